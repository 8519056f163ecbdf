"""The device authorization and token endpoints, in both dialects."""

from __future__ import annotations

import re
import threading

import pytest
import requests

from skytells_sandbox.codes import USER_CODE_LETTERS
from skytells_sandbox.config import DEFAULT_SCOPES, DEVICE_GRANT_TYPE
from skytells_sandbox.state import DeviceStatus

USER_CODE = re.compile(rf"[{USER_CODE_LETTERS}]{{4}}-[0-9]{{4}}")
CLIENT = {"client_name": "Skytells CLI v1.2.3"}


def start_flow(http, sandbox, body=None) -> dict:
    response = http.post(f"{sandbox.url}/api/oauth/device", json=CLIENT if body is None else body)
    assert response.status_code == 200, response.text
    return response.json()


def poll(http, sandbox, device_code: str, grant_type: str = DEVICE_GRANT_TYPE):
    body = {"device_code": device_code, "grant_type": grant_type}
    return http.post(f"{sandbox.url}/api/oauth/token", json=body)


# Device authorization --------------------------------------------------------


def test_device_answer_has_the_documented_fields(sandbox_server, sandbox_http):
    response = sandbox_http.post(f"{sandbox_server.url}/api/oauth/device", json=CLIENT)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert USER_CODE.fullmatch(body["user_code"])
    assert len(body["device_code"]) >= 43
    assert body["verification_uri"] == f"{sandbox_server.url}/device"
    assert body["verification_uri_complete"] == (
        f"{sandbox_server.url}/device?code={body['user_code']}"
    )
    assert (body["expires_in"], body["interval"]) == (900, 5)


def test_expires_in_and_interval_follow_the_config(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(interval=2, expires_in=60)

    body = start_flow(sandbox_http, sandbox)

    assert (body["expires_in"], body["interval"]) == (60, 2)


def test_codes_are_unique(sandbox_server, sandbox_http):
    answers = [start_flow(sandbox_http, sandbox_server) for _ in range(30)]

    assert len({a["user_code"] for a in answers}) == 30
    assert len({a["device_code"] for a in answers}) == 30


def test_missing_scopes_get_the_default_scopes(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server, {"client_name": "x"})

    assert sandbox_server.device_request(flow["user_code"]).scopes == DEFAULT_SCOPES


def test_requested_scopes_are_carried_by_the_token(sandbox_server, sandbox_http):
    flow = start_flow(
        sandbox_http, sandbox_server, {"client_name": "x", "scopes": ["inference", "keys.write"]}
    )
    sandbox_server.approve(flow["user_code"])

    body = poll(sandbox_http, sandbox_server, flow["device_code"]).json()

    assert body["scopes"] == ["inference", "keys.write"]
    assert sandbox_server.token_scopes(body["access_token"]) == ("inference", "keys.write")


def test_unknown_scope_is_rejected(sandbox_server, sandbox_http):
    response = sandbox_http.post(
        f"{sandbox_server.url}/api/oauth/device",
        json={"client_name": "x", "scopes": ["inference", "admin.all"]},
    )

    assert response.status_code == 422
    assert response.json() == {"error": "invalid_scope", "message": "Unknown scope: admin.all"}
    assert sandbox_server.pending_user_codes() == []


@pytest.mark.parametrize("scopes", ["inference", [1], []])
def test_scopes_must_be_a_non_empty_list_of_strings(sandbox_server, sandbox_http, scopes):
    response = sandbox_http.post(
        f"{sandbox_server.url}/api/oauth/device", json={"client_name": "x", "scopes": scopes}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_scope"


@pytest.mark.parametrize("body", [b"{", b"[]", b"", b'"text"', b"\xff"])
def test_device_body_must_be_a_json_object(sandbox_server, sandbox_http, body):
    response = sandbox_http.post(
        f"{sandbox_server.url}/api/oauth/device",
        data=body,
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert response.json()["message"]


@pytest.mark.parametrize("name", [42, "", "   ", "x" * 201])
def test_client_name_must_be_a_reasonable_string(sandbox_server, sandbox_http, name):
    response = sandbox_http.post(
        f"{sandbox_server.url}/api/oauth/device", json={"client_name": name}
    )

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


# Token endpoint, common rules ---------------------------------------------------


@pytest.mark.parametrize("dialect", ["console", "rfc8628"])
@pytest.mark.parametrize("grant_type", [None, "password", "device_code"])
def test_wrong_grant_type_is_unsupported(sandbox_factory, sandbox_http, dialect, grant_type):
    sandbox = sandbox_factory(dialect=dialect)
    flow = start_flow(sandbox_http, sandbox)
    body = {"device_code": flow["device_code"]}
    if grant_type is not None:
        body["grant_type"] = grant_type

    response = sandbox_http.post(f"{sandbox.url}/api/oauth/token", json=body)

    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    assert sandbox.device_request(flow["user_code"]).polls == 0


@pytest.mark.parametrize("dialect", ["console", "rfc8628"])
def test_unknown_device_code_is_an_invalid_grant(sandbox_factory, sandbox_http, dialect):
    sandbox = sandbox_factory(dialect=dialect)

    response = poll(sandbox_http, sandbox, "no-such-code")

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert ("error_description" in response.json()) == (dialect == "rfc8628")


def test_console_errors_have_the_exact_documented_bodies(sandbox_server, sandbox_http):
    assert poll(sandbox_http, sandbox_server, "nope").json() == {"error": "invalid_grant"}
    flow = start_flow(sandbox_http, sandbox_server)
    response = poll(sandbox_http, sandbox_server, flow["device_code"], grant_type="x")
    assert response.json() == {"error": "unsupported_grant_type"}


def test_missing_device_code_is_an_invalid_request(sandbox_server, sandbox_http):
    response = sandbox_http.post(
        f"{sandbox_server.url}/api/oauth/token", json={"grant_type": DEVICE_GRANT_TYPE}
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_malformed_token_body_is_an_invalid_request(sandbox_server, sandbox_http):
    response = sandbox_http.post(
        f"{sandbox_server.url}/api/oauth/token",
        data=b"{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_form_encoded_poll_is_understood(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.approve(flow["user_code"])

    response = sandbox_http.post(
        f"{sandbox_server.url}/api/oauth/token",
        data={"device_code": flow["device_code"], "grant_type": DEVICE_GRANT_TYPE},
    )

    assert response.status_code == 200
    assert response.json()["access_token"].startswith("sk_pat_")


# Console dialect -----------------------------------------------------------------


def test_console_pending_then_approved(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)

    pending = poll(sandbox_http, sandbox_server, flow["device_code"])
    sandbox_server.approve(flow["user_code"])
    approved = poll(sandbox_http, sandbox_server, flow["device_code"])

    assert pending.status_code == 428
    assert pending.json() == {"error": "authorization_pending"}
    assert approved.status_code == 200
    body = approved.json()
    assert re.fullmatch(r"sk_pat_[0-9a-f]{64}", body["access_token"])
    assert body["token_type"] == "Bearer"
    assert body["scopes"] == list(DEFAULT_SCOPES)
    assert approved.headers["Cache-Control"] == "no-store"


def test_console_token_from_the_flow_is_accepted_by_the_cli_endpoint(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.approve(flow["user_code"])
    token = poll(sandbox_http, sandbox_server, flow["device_code"]).json()["access_token"]

    response = sandbox_http.get(
        f"{sandbox_server.url}/api/v1/cli/projects", headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200


def test_console_denied_is_403_and_stays_denied(sandbox_server, sandbox_http, sandbox_clock):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.deny(flow["user_code"])

    first = poll(sandbox_http, sandbox_server, flow["device_code"])
    sandbox_clock.advance(10_000)
    later = poll(sandbox_http, sandbox_server, flow["device_code"])

    assert (first.status_code, first.json()) == (403, {"error": "access_denied"})
    assert (later.status_code, later.json()) == (403, {"error": "access_denied"})


def test_console_expiry_follows_the_injected_clock(sandbox_server, sandbox_http, sandbox_clock):
    flow = start_flow(sandbox_http, sandbox_server)

    sandbox_clock.advance(899.9)
    before = poll(sandbox_http, sandbox_server, flow["device_code"])
    sandbox_clock.advance(0.1)
    at_deadline = poll(sandbox_http, sandbox_server, flow["device_code"])

    assert before.status_code == 428
    assert (at_deadline.status_code, at_deadline.json()) == (410, {"error": "expired_token"})
    assert sandbox_server.device_request(flow["user_code"]).status is DeviceStatus.EXPIRED


def test_console_approved_but_unredeemed_code_still_expires(
    sandbox_server, sandbox_http, sandbox_clock
):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.approve(flow["user_code"])
    sandbox_clock.advance(900)

    assert poll(sandbox_http, sandbox_server, flow["device_code"]).status_code == 410


def test_console_expire_control_ends_the_flow(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.expire(flow["user_code"])

    responses = [poll(sandbox_http, sandbox_server, flow["device_code"]) for _ in range(2)]

    assert [r.status_code for r in responses] == [410, 410]
    with pytest.raises(RuntimeError):
        sandbox_server.approve(flow["user_code"])


def test_console_code_is_single_use(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.approve(flow["user_code"])

    first = poll(sandbox_http, sandbox_server, flow["device_code"])
    second = poll(sandbox_http, sandbox_server, flow["device_code"])

    assert first.status_code == 200
    assert (second.status_code, second.json()) == (400, {"error": "invalid_grant"})
    assert sandbox_server.device_request(flow["user_code"]).status is DeviceStatus.REDEEMED


def test_console_does_not_rate_limit_fast_polls(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)

    codes = [poll(sandbox_http, sandbox_server, flow["device_code"]).status_code for _ in range(3)]

    assert codes == [428, 428, 428]
    assert sandbox_server.device_request(flow["user_code"]).interval == 5


def test_auto_approve_answers_the_first_poll_with_a_token(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(auto_approve=True)
    flow = start_flow(sandbox_http, sandbox)

    response = poll(sandbox_http, sandbox, flow["device_code"])

    assert response.status_code == 200
    assert sandbox.token_scopes(response.json()["access_token"]) == DEFAULT_SCOPES


def test_poll_times_come_from_the_injected_clock(sandbox_server, sandbox_http, sandbox_clock):
    flow = start_flow(sandbox_http, sandbox_server)
    start = sandbox_clock.now
    for _ in range(3):
        sandbox_clock.advance(5)
        poll(sandbox_http, sandbox_server, flow["device_code"])

    device = sandbox_server.device_request(flow["user_code"])
    token_posts = [r for r in sandbox_server.requests_seen if r.path == "/api/oauth/token"]

    assert device.polls == 3
    assert device.poll_times == [start + 5, start + 10, start + 15]
    assert [r.time for r in token_posts] == device.poll_times


# RFC 8628 dialect ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("decide", "error"),
    [
        (None, "authorization_pending"),
        ("deny", "access_denied"),
        ("expire", "expired_token"),
    ],
)
def test_rfc8628_states_are_400_with_standard_errors(sandbox_factory, sandbox_http, decide, error):
    sandbox = sandbox_factory(dialect="rfc8628")
    flow = start_flow(sandbox_http, sandbox)
    if decide:
        getattr(sandbox, decide)(flow["user_code"])

    response = poll(sandbox_http, sandbox, flow["device_code"])

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_rfc8628_expiry_by_clock(sandbox_factory, sandbox_http, sandbox_clock):
    sandbox = sandbox_factory(dialect="rfc8628", expires_in=30)
    flow = start_flow(sandbox_http, sandbox)
    sandbox_clock.advance(30)

    response = poll(sandbox_http, sandbox, flow["device_code"])

    assert (response.status_code, response.json()["error"]) == (400, "expired_token")


def test_rfc8628_approved_then_single_use(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(dialect="rfc8628")
    flow = start_flow(sandbox_http, sandbox)
    sandbox.approve(flow["user_code"])

    first = poll(sandbox_http, sandbox, flow["device_code"])
    second = poll(sandbox_http, sandbox, flow["device_code"])

    assert first.status_code == 200
    assert first.json()["token_type"] == "Bearer"
    assert (second.status_code, second.json()["error"]) == (400, "invalid_grant")


def test_rfc8628_first_polls_slow_down_and_grow_the_interval(
    sandbox_factory, sandbox_http, sandbox_clock
):
    sandbox = sandbox_factory(dialect="rfc8628", slow_down_polls=2)
    flow = start_flow(sandbox_http, sandbox)
    errors, intervals = [], []
    for _ in range(3):
        sandbox_clock.advance(sandbox.device_request(flow["user_code"]).interval)
        errors.append(poll(sandbox_http, sandbox, flow["device_code"]).json()["error"])
        intervals.append(sandbox.device_request(flow["user_code"]).interval)

    assert errors == ["slow_down", "slow_down", "authorization_pending"]
    assert intervals == [10, 15, 15]


def test_rfc8628_forced_slow_down_counts_per_device_code(
    sandbox_factory, sandbox_http, sandbox_clock
):
    sandbox = sandbox_factory(dialect="rfc8628", slow_down_polls=1)
    first = start_flow(sandbox_http, sandbox)
    second = start_flow(sandbox_http, sandbox)

    answers = [
        poll(sandbox_http, sandbox, f["device_code"]).json()["error"] for f in (first, second)
    ]

    assert answers == ["slow_down", "slow_down"]


def test_rfc8628_polling_too_fast_slows_down(sandbox_factory, sandbox_http, sandbox_clock):
    sandbox = sandbox_factory(dialect="rfc8628")
    flow = start_flow(sandbox_http, sandbox)

    def poll_after(seconds: float) -> str:
        sandbox_clock.advance(seconds)
        return poll(sandbox_http, sandbox, flow["device_code"]).json()["error"]

    assert poll_after(5) == "authorization_pending"
    assert poll_after(4.9) == "slow_down"  # interval grows to 10
    assert sandbox.device_request(flow["user_code"]).interval == 10
    assert poll_after(9.9) == "slow_down"  # measured from the previous poll; now 15
    assert poll_after(15) == "authorization_pending"
    assert poll_after(15) == "authorization_pending"
    assert sandbox.device_request(flow["user_code"]).interval == 15


def test_rfc8628_slow_down_comes_before_the_token(sandbox_factory, sandbox_http, sandbox_clock):
    sandbox = sandbox_factory(dialect="rfc8628", slow_down_polls=1, auto_approve=True)
    flow = start_flow(sandbox_http, sandbox)

    first = poll(sandbox_http, sandbox, flow["device_code"])
    sandbox_clock.advance(10)
    second = poll(sandbox_http, sandbox, flow["device_code"])

    assert (first.status_code, first.json()["error"]) == (400, "slow_down")
    assert second.status_code == 200


def test_rfc8628_validation_errors_carry_a_description(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(dialect="rfc8628")

    response = sandbox_http.post(
        f"{sandbox.url}/api/oauth/device", json={"client_name": "x", "scopes": ["nope"]}
    )

    assert response.status_code == 422
    assert response.json()["error_description"] == "Unknown scope: nope"


# Test controls --------------------------------------------------------------------


def test_wait_for_device_request_sees_a_request_made_concurrently(sandbox_server):
    def make_request() -> None:
        with requests.Session() as session:
            start_flow(session, sandbox_server)

    thread = threading.Thread(target=make_request)
    thread.start()
    user_code = sandbox_server.wait_for_device_request(timeout=5.0)
    thread.join()

    assert USER_CODE.fullmatch(user_code)
    assert sandbox_server.pending_user_codes() == [user_code]


def test_wait_for_device_request_returns_each_request_once_in_order(sandbox_server, sandbox_http):
    flows = [start_flow(sandbox_http, sandbox_server) for _ in range(2)]

    seen = [sandbox_server.wait_for_device_request(timeout=1.0) for _ in range(2)]

    assert seen == [f["user_code"] for f in flows]
    with pytest.raises(TimeoutError):
        sandbox_server.wait_for_device_request(timeout=0.05)


def test_controls_accept_any_case_and_an_optional_dash(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)

    sandbox_server.approve(flow["user_code"].lower().replace("-", ""))

    assert sandbox_server.device_request(flow["user_code"]).status is DeviceStatus.APPROVED


def test_controls_reject_unknown_and_settled_codes(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.deny(flow["user_code"])
    sandbox_server.deny(flow["user_code"])  # repeating a decision is harmless

    with pytest.raises(LookupError):
        sandbox_server.approve("BCDF-0000")
    with pytest.raises(RuntimeError):
        sandbox_server.approve(flow["user_code"])


def test_pending_user_codes_lists_only_undecided_live_requests(
    sandbox_server, sandbox_http, sandbox_clock
):
    approved, denied, waiting = (start_flow(sandbox_http, sandbox_server) for _ in range(3))
    sandbox_server.approve(approved["user_code"])
    sandbox_server.deny(denied["user_code"])

    assert sandbox_server.pending_user_codes() == [waiting["user_code"]]
    sandbox_clock.advance(900)
    assert sandbox_server.pending_user_codes() == []
