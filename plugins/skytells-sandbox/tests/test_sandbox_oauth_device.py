"""The device grant on the standard endpoints: form-encoded, client_id, space-separated scopes."""

from __future__ import annotations

import re
import threading

import pytest

from skytells_sandbox.config import DEFAULT_SCOPES, DEVICE_GRANT_TYPE
from skytells_sandbox.state import DeviceStatus

ACCESS_TOKEN = re.compile(r"sbx_at_[0-9a-f]{64}")
REFRESH_TOKEN = re.compile(r"sbx_rt_[0-9a-f]{64}")


def error_of(response) -> tuple[int, str]:
    body = response.json()
    assert body["error_description"]
    return response.status_code, body["error"]


# Device authorization request --------------------------------------------------


def test_device_authorization_answers_the_console_fields(sandbox_server, sandbox_oauth):
    flow = sandbox_oauth.start(sandbox_server, "projects.read")

    assert set(flow) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert flow["verification_uri"] == f"{sandbox_server.url}/device"
    assert flow["verification_uri_complete"].endswith(f"?code={flow['user_code']}")
    assert (flow["expires_in"], flow["interval"]) == (900, 5)


def test_scopes_are_space_separated(sandbox_server, sandbox_oauth):
    flow = sandbox_oauth.start(sandbox_server, "projects.read  inference projects.read")

    device = sandbox_server.device_request(flow["user_code"])
    assert device.scopes == ("projects.read", "inference")
    assert (device.client_id, device.client_name) == ("skytells-cli", "skytells-cli")


@pytest.mark.parametrize("scope", [None, "", "   "])
def test_missing_scope_gets_the_default_scopes(sandbox_server, sandbox_oauth, scope):
    flow = sandbox_oauth.start(sandbox_server, scope)

    assert sandbox_server.device_request(flow["user_code"]).scopes == DEFAULT_SCOPES


@pytest.mark.parametrize("scope", ["projects.read bogus", "openid", "projects.read,inference"])
def test_unknown_scope_is_invalid_scope(sandbox_server, sandbox_oauth, scope):
    response = sandbox_oauth.post(sandbox_server, "/oauth/device_authorization", scope=scope)

    assert error_of(response) == (400, "invalid_scope")
    assert sandbox_server.pending_user_codes() == []


def test_openid_is_accepted_with_oidc(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(oidc=True)

    flow = sandbox_oauth.start(sandbox, "openid offline_access projects.read")

    assert sandbox.device_request(flow["user_code"]).scopes == (
        "openid",
        "offline_access",
        "projects.read",
    )


@pytest.mark.parametrize("client_id", ["someone-else", "SKYTELLS-CLI"])
def test_unknown_client_is_invalid_client(sandbox_server, sandbox_oauth, client_id):
    response = sandbox_oauth.post(sandbox_server, "/oauth/device_authorization", client_id)

    assert error_of(response) == (401, "invalid_client")
    assert response.headers["Cache-Control"] == "no-store"


def test_missing_client_is_invalid_client(sandbox_server, sandbox_oauth):
    response = sandbox_oauth.post(
        sandbox_server, "/oauth/device_authorization", None, scope="inference"
    )

    assert error_of(response) == (401, "invalid_client")


def test_every_registered_client_may_start_a_flow(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(client_ids=("cli-a", "cli-b"))

    for client_id in ("cli-a", "cli-b"):
        flow = sandbox_oauth.start(sandbox, client_id=client_id)
        assert sandbox.device_request(flow["user_code"]).client_id == client_id
    refused = sandbox_oauth.post(sandbox, "/oauth/device_authorization", "skytells-cli")
    assert error_of(refused) == (401, "invalid_client")


@pytest.mark.parametrize("path", ["/oauth/device_authorization", "/oauth/token", "/oauth/revoke"])
def test_json_bodies_are_refused(sandbox_server, sandbox_http, path):
    body = {"client_id": "skytells-cli", "scope": "projects.read", "token": "x"}

    response = sandbox_http.post(sandbox_server.url + path, json=body)

    assert error_of(response) == (400, "invalid_request")
    assert "application/x-www-form-urlencoded" in response.json()["error_description"]


def test_repeated_parameters_are_refused(sandbox_server, sandbox_http):
    body = "client_id=skytells-cli&scope=inference&scope=projects.read"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    response = sandbox_http.post(
        f"{sandbox_server.url}/oauth/device_authorization", data=body, headers=headers
    )

    assert error_of(response) == (400, "invalid_request")
    assert "scope" in response.json()["error_description"]


def test_form_with_a_charset_is_accepted(sandbox_server, sandbox_http):
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}

    response = sandbox_http.post(
        f"{sandbox_server.url}/oauth/device_authorization",
        data="client_id=skytells-cli",
        headers=headers,
    )

    assert response.status_code == 200


# Token polling ----------------------------------------------------------------------


def test_approved_request_gets_an_opaque_token(sandbox_server, sandbox_oauth):
    flow = sandbox_oauth.start(sandbox_server, "projects.read inference")
    sandbox_server.approve(flow["user_code"])

    response = sandbox_oauth.poll(sandbox_server, flow["device_code"])

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert ACCESS_TOKEN.fullmatch(body["access_token"])
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert body["scope"] == "projects.read inference"


def test_offline_access_adds_a_refresh_token(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(token_lifetime=1)

    body = sandbox_oauth.login(sandbox, "projects.read offline_access")

    assert REFRESH_TOKEN.fullmatch(body["refresh_token"])
    assert body["scope"] == "projects.read offline_access"
    assert body["expires_in"] == 1
    assert sandbox.refresh_token_is_active(body["refresh_token"])


def test_pending_denied_and_expired_are_rfc8628_errors(sandbox_server, sandbox_oauth):
    pending, denied, expired = (sandbox_oauth.start(sandbox_server) for _ in range(3))
    sandbox_server.deny(denied["user_code"])
    sandbox_server.expire(expired["user_code"])

    flows = (pending, denied, expired)
    answers = [error_of(sandbox_oauth.poll(sandbox_server, f["device_code"])) for f in flows]

    assert answers == [
        (400, "authorization_pending"),
        (400, "access_denied"),
        (400, "expired_token"),
    ]


def test_codes_expire_on_the_clock(sandbox_server, sandbox_oauth, sandbox_clock):
    flow = sandbox_oauth.start(sandbox_server)
    sandbox_server.approve(flow["user_code"])
    sandbox_clock.advance(900)

    answer = sandbox_oauth.poll(sandbox_server, flow["device_code"])

    assert error_of(answer) == (400, "expired_token")


def test_polling_faster_than_the_interval_is_slow_down(
    sandbox_server, sandbox_oauth, sandbox_clock
):
    flow = sandbox_oauth.start(sandbox_server)

    def poll_after(seconds: float) -> str:
        sandbox_clock.advance(seconds)
        return sandbox_oauth.poll(sandbox_server, flow["device_code"]).json()["error"]

    assert poll_after(0) == "authorization_pending"
    assert poll_after(4) == "slow_down"  # the interval grows to 10 s
    assert poll_after(10) == "authorization_pending"
    assert sandbox_server.device_request(flow["user_code"]).interval == 10


def test_forced_slow_down_applies_to_the_standard_endpoint(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(dialect="rfc8628", slow_down_polls=1, auto_approve=True)
    flow = sandbox_oauth.start(sandbox)

    first = sandbox_oauth.poll(sandbox, flow["device_code"])

    assert error_of(first) == (400, "slow_down")


def test_a_device_code_is_single_use(sandbox_server, sandbox_oauth, sandbox_clock):
    flow = sandbox_oauth.start(sandbox_server)
    sandbox_server.approve(flow["user_code"])
    assert sandbox_oauth.poll(sandbox_server, flow["device_code"]).status_code == 200
    sandbox_clock.advance(5)

    again = sandbox_oauth.poll(sandbox_server, flow["device_code"])

    assert error_of(again) == (400, "invalid_grant")


def test_a_device_code_belongs_to_its_client(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(client_ids=("cli-a", "cli-b"), auto_approve=True)
    flow = sandbox_oauth.start(sandbox, client_id="cli-a")

    stolen = sandbox_oauth.poll(sandbox, flow["device_code"], client_id="cli-b")
    own = sandbox_oauth.poll(sandbox, flow["device_code"], client_id="cli-a")

    assert error_of(stolen) == (400, "invalid_grant")
    assert own.status_code == 200


def test_console_and_standard_device_codes_do_not_mix(sandbox_factory, sandbox_http, sandbox_oauth):
    sandbox = sandbox_factory(auto_approve=True)
    console = sandbox_http.post(f"{sandbox.url}/api/oauth/device", json={}).json()
    standard = sandbox_oauth.start(sandbox)

    on_standard = sandbox_oauth.poll(sandbox, console["device_code"])
    on_console = sandbox_http.post(
        f"{sandbox.url}/api/oauth/token",
        json={"device_code": standard["device_code"], "grant_type": DEVICE_GRANT_TYPE},
    )

    assert error_of(on_standard) == (400, "invalid_grant")
    assert (on_console.status_code, on_console.json()["error"]) == (400, "invalid_grant")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"grant_type": "password"}, (400, "unsupported_grant_type")),
        ({"grant_type": "implicit"}, (400, "unsupported_grant_type")),
        ({"grant_type": "authorization_code"}, (400, "invalid_request")),
        ({}, (400, "invalid_request")),
        ({"grant_type": DEVICE_GRANT_TYPE}, (400, "invalid_request")),
        ({"grant_type": "refresh_token"}, (400, "invalid_request")),
    ],
)
def test_malformed_token_requests(sandbox_server, sandbox_oauth, fields, expected):
    response = sandbox_oauth.post(sandbox_server, "/oauth/token", **fields)

    assert error_of(response) == expected


def test_token_endpoint_checks_the_client(sandbox_server, sandbox_oauth):
    flow = sandbox_oauth.start(sandbox_server)
    sandbox_server.approve(flow["user_code"])

    unknown = sandbox_oauth.poll(sandbox_server, flow["device_code"], client_id="intruder")
    missing = sandbox_oauth.post(
        sandbox_server,
        "/oauth/token",
        None,
        grant_type=DEVICE_GRANT_TYPE,
        device_code=flow["device_code"],
    )

    assert error_of(unknown) == (401, "invalid_client")
    assert error_of(missing) == (401, "invalid_client")
    # The refusals did not spend the code.
    assert sandbox_oauth.poll(sandbox_server, flow["device_code"]).status_code == 200


# Python controls and the approval page ------------------------------------------------


def test_controls_work_for_standard_requests(sandbox_server, sandbox_oauth):
    flows = [sandbox_oauth.start(sandbox_server) for _ in range(3)]

    announced = [sandbox_server.wait_for_device_request(timeout=1.0) for _ in flows]
    assert announced == [f["user_code"] for f in flows]
    sandbox_server.approve(flows[0]["user_code"])
    sandbox_server.deny(flows[1]["user_code"])
    sandbox_server.expire(flows[2]["user_code"])

    statuses = [sandbox_server.device_request(f["user_code"]).status for f in flows]
    assert statuses == [DeviceStatus.APPROVED, DeviceStatus.DENIED, DeviceStatus.EXPIRED]


def test_wait_for_device_request_wakes_for_a_standard_request(sandbox_server, sandbox_oauth):
    found: list[str] = []
    waiter = threading.Thread(
        target=lambda: found.append(sandbox_server.wait_for_device_request(timeout=5.0))
    )
    waiter.start()

    flow = sandbox_oauth.start(sandbox_server)
    waiter.join(timeout=5.0)

    assert found == [flow["user_code"]]


def test_auto_approve_covers_standard_requests(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(auto_approve=True)
    flow = sandbox_oauth.start(sandbox)

    assert sandbox_oauth.poll(sandbox, flow["device_code"]).status_code == 200


def test_approval_page_handles_standard_requests(sandbox_factory, sandbox_http, sandbox_oauth):
    sandbox = sandbox_factory(oidc=True)
    flow = sandbox_oauth.start(sandbox, "openid offline_access projects.read")

    confirm = sandbox_http.post(
        f"{sandbox.url}/device", data={"code": flow["user_code"], "action": "continue"}
    )
    assert confirm.status_code == 200
    assert "skytells-cli" in confirm.text
    assert "Stay signed in" in confirm.text and "<code>offline_access</code>" in confirm.text
    assert "<code>openid</code>" in confirm.text
    form_token = re.search(r'name="form_token" value="([^"]+)"', confirm.text).group(1)
    approved = sandbox_http.post(
        f"{sandbox.url}/device",
        data={"code": flow["user_code"], "action": "approve", "form_token": form_token},
    )

    assert [answer.status_code for answer in approved.history] == [303]
    assert approved.status_code == 200 and "Access granted" in approved.text
    body = sandbox_oauth.poll(sandbox, flow["device_code"]).json()
    assert body["scope"] == "openid offline_access projects.read"
    assert "refresh_token" in body


# The console CLI endpoints with a standard token ---------------------------------------


def test_cli_endpoint_accepts_a_standard_token(sandbox_server, sandbox_oauth):
    body = sandbox_oauth.login(sandbox_server, "projects.read")

    response = sandbox_oauth.projects(sandbox_server, body["access_token"])

    assert response.status_code == 200
    assert len(response.json()["data"]) >= 2
    assert sandbox_server.token_is_active(body["access_token"])
    assert sandbox_server.token_scopes(body["access_token"]) == ("projects.read",)


def test_cli_endpoint_checks_the_scope_of_a_standard_token(sandbox_server, sandbox_oauth):
    body = sandbox_oauth.login(sandbox_server, "inference offline_access")

    response = sandbox_oauth.projects(sandbox_server, body["access_token"])

    assert response.status_code == 403


def test_refresh_token_is_not_an_access_token(sandbox_server, sandbox_oauth):
    body = sandbox_oauth.login(sandbox_server, "projects.read offline_access")

    response = sandbox_oauth.projects(sandbox_server, body["refresh_token"])

    assert response.status_code == 401
    assert not sandbox_server.token_is_active(body["refresh_token"])
