"""The /device page a person uses in a browser to approve or deny a request."""

from __future__ import annotations

import html
import re

import pytest
import requests

from skytells_sandbox.config import DEVICE_GRANT_TYPE
from skytells_sandbox.state import DeviceStatus

APPROVED_TEXT = "Device approved. You can return to your terminal."
HOSTILE_NAME = '<script>alert("pwned")</script> & "friends"'


def start_flow(http, sandbox, client_name="Skytells CLI v1.2.3", scopes=None) -> dict:
    body = {"client_name": client_name}
    if scopes is not None:
        body["scopes"] = scopes
    response = http.post(f"{sandbox.url}/api/oauth/device", json=body)
    assert response.status_code == 200
    return response.json()


def submit(http, sandbox, **fields):
    return http.post(f"{sandbox.url}/device", data=fields)


def form_token(page: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match, "confirmation page has no form token"
    return html.unescape(match.group(1))


def confirm(http, sandbox, code: str):
    response = submit(http, sandbox, code=code, action="continue")
    assert response.status_code == 200, response.text
    return response


def token_status(http, sandbox, device_code: str) -> int:
    body = {"device_code": device_code, "grant_type": DEVICE_GRANT_TYPE}
    return http.post(f"{sandbox.url}/api/oauth/token", json=body).status_code


def test_entry_form_is_self_contained_html(sandbox_server, sandbox_http):
    response = sandbox_http.get(f"{sandbox_server.url}/device")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    page = response.text
    assert '<form method="post" action="/device">' in page
    assert 'name="code"' in page
    assert "Signed in as sandbox-user" in page
    assert "<link" not in page and "src=" not in page and "<script" not in page


def test_entry_form_is_prefilled_from_the_complete_uri(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)

    page = sandbox_http.get(flow["verification_uri_complete"]).text

    assert f'value="{flow["user_code"]}"' in page


def test_prefill_is_normalised_and_escaped(sandbox_server, sandbox_http):
    normalised = sandbox_http.get(f"{sandbox_server.url}/device", params={"code": "bcdf1234"})
    hostile = sandbox_http.get(f"{sandbox_server.url}/device", params={"code": '"><script>'})

    assert 'value="BCDF-1234"' in normalised.text
    assert "<script>" not in hostile.text
    assert 'value="&quot;&gt;&lt;script&gt;"' in hostile.text


def test_confirmation_shows_client_code_and_scopes(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server, scopes=["inference", "keys.write"])
    typed = flow["user_code"].lower().replace("-", "")

    page = confirm(sandbox_http, sandbox_server, typed).text

    assert "Skytells CLI v1.2.3" in page
    assert flow["user_code"] in page
    assert "<code>inference</code>" in page and "<code>keys.write</code>" in page
    assert "<code>projects.read</code>" not in page
    assert 'value="approve"' in page and 'value="deny"' in page


def test_hostile_client_name_is_escaped(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server, client_name=HOSTILE_NAME)

    page = confirm(sandbox_http, sandbox_server, flow["user_code"]).text

    assert "<script>" not in page
    assert html.escape(HOSTILE_NAME) in page


def assert_redirected_to_the_result(response) -> str:
    """The decision was answered 303 to its result page, which the client fetched; its URL."""
    (redirect,) = response.history
    assert redirect.status_code == 303
    assert redirect.request.method == "POST" and response.request.method == "GET"
    assert re.fullmatch(r"/device/result\?id=[\w-]{16,}", redirect.headers["Location"])
    assert response.url.endswith(redirect.headers["Location"])
    return response.url


def decide(http, sandbox, action: str) -> tuple[dict, requests.Response]:
    """A device request, decided from the page; the flow and the final answer."""
    flow = start_flow(http, sandbox)
    token = form_token(confirm(http, sandbox, flow["user_code"]).text)
    result = submit(http, sandbox, code=flow["user_code"], action=action, form_token=token)
    return flow, result


def test_approve_from_the_page(sandbox_server, sandbox_http):
    flow, result = decide(sandbox_http, sandbox_server, "approve")

    assert_redirected_to_the_result(result)
    assert result.status_code == 200
    assert APPROVED_TEXT in result.text
    assert sandbox_server.device_request(flow["user_code"]).status is DeviceStatus.APPROVED
    assert token_status(sandbox_http, sandbox_server, flow["device_code"]) == 200


def test_deny_from_the_page(sandbox_server, sandbox_http):
    flow, result = decide(sandbox_http, sandbox_server, "deny")

    assert_redirected_to_the_result(result)
    assert result.status_code == 200
    assert "Request denied" in result.text
    assert token_status(sandbox_http, sandbox_server, flow["device_code"]) == 403


OUTCOMES = {
    "approve": ("Access granted", APPROVED_TEXT),
    "deny": ("Access denied", "Request denied"),
}


@pytest.mark.parametrize("action", OUTCOMES)
def test_reloading_the_result_shows_it_again_and_decides_nothing(
    sandbox_server, sandbox_http, action
):
    flow, result = decide(sandbox_http, sandbox_server, action)
    status = sandbox_server.device_request(flow["user_code"]).status
    url = assert_redirected_to_the_result(result)

    reloads = [sandbox_http.get(url) for _ in range(2)]

    for reload in reloads:
        assert reload.status_code == 200 and not reload.history
        assert all(text in reload.text for text in OUTCOMES[action])
    assert sandbox_server.device_request(flow["user_code"]).status is status
    posts = [seen for seen in sandbox_server.requests_seen if seen.method == "POST"]
    assert [seen.path for seen in posts].count("/device") == 2  # continue, then the decision


@pytest.mark.parametrize("action", OUTCOMES)
def test_sending_the_decision_again_is_refused(sandbox_server, sandbox_http, action):
    flow = start_flow(sandbox_http, sandbox_server)
    token = form_token(confirm(sandbox_http, sandbox_server, flow["user_code"]).text)
    fields = {"code": flow["user_code"], "action": action, "form_token": token}
    submit(sandbox_http, sandbox_server, **fields)

    again = submit(sandbox_http, sandbox_server, **fields)  # a browser resubmitting the form

    assert again.status_code == 409 and not again.history
    assert "already used" in again.text


@pytest.mark.parametrize("query", ["", "?id=", "?id=forged", "?id=BCDF-1234", "?code=BCDF-1234"])
def test_the_result_page_shows_only_a_decision_it_knows(sandbox_server, sandbox_http, query):
    flow, _result = decide(sandbox_http, sandbox_server, "approve")
    query = query.replace("BCDF-1234", flow["user_code"])

    response = sandbox_http.get(f"{sandbox_server.url}/device/result{query}")

    assert response.status_code == 404
    assert "Nothing to show" in response.text
    assert "Access granted" not in response.text and "approved" not in response.text.lower()
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_each_decision_has_its_own_result(sandbox_server, sandbox_http):
    _approved_flow, approved = decide(sandbox_http, sandbox_server, "approve")
    _denied_flow, denied = decide(sandbox_http, sandbox_server, "deny")

    assert assert_redirected_to_the_result(approved) != assert_redirected_to_the_result(denied)
    assert "Access granted" in sandbox_http.get(approved.url).text
    assert "Access denied" in sandbox_http.get(denied.url).text


def test_a_refused_decision_is_answered_without_a_redirect(
    sandbox_server, sandbox_http, sandbox_clock
):
    flow = start_flow(sandbox_http, sandbox_server)
    token = form_token(confirm(sandbox_http, sandbox_server, flow["user_code"]).text)
    code = flow["user_code"]

    forged = submit(sandbox_http, sandbox_server, code=code, action="approve", form_token="x")
    unknown = submit(sandbox_http, sandbox_server, code="BCDF-0000", action="deny")
    malformed = submit(sandbox_http, sandbox_server, code="nope", action="approve")
    sandbox_clock.advance(900)
    expired = submit(sandbox_http, sandbox_server, code=code, action="approve", form_token=token)

    answers = [(forged, 403), (unknown, 404), (malformed, 400), (expired, 410)]
    for response, status in answers:
        assert response.status_code == status and not response.history
        assert "Location" not in response.headers
    assert "no longer valid" in forged.text and "Unknown or expired code" in unknown.text
    assert "like ABCD-1234" in malformed.text and "expired" in expired.text


def test_decision_needs_the_form_token(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)

    result = submit(
        sandbox_http, sandbox_server, code=flow["user_code"], action="approve", form_token="forged"
    )

    assert result.status_code == 403
    assert sandbox_server.device_request(flow["user_code"]).status is DeviceStatus.PENDING


def test_unknown_code_is_reported(sandbox_server, sandbox_http):
    looked_up = submit(sandbox_http, sandbox_server, code="BCDF-0000", action="continue")
    decided = submit(sandbox_http, sandbox_server, code="BCDF-0000", action="approve")

    assert looked_up.status_code == 404
    assert "Unknown or expired code" in looked_up.text
    assert 'name="code"' in looked_up.text  # the person can try again
    assert decided.status_code == 404
    assert "Unknown or expired code" in decided.text


@pytest.mark.parametrize("typed", ["", "1234-ABCD", "ABCD-12345", "hello"])
def test_malformed_code_asks_again(sandbox_server, sandbox_http, typed):
    response = submit(sandbox_http, sandbox_server, code=typed, action="continue")

    assert response.status_code == 400
    assert "like ABCD-1234" in response.text


def test_expired_code_is_reported(sandbox_server, sandbox_http, sandbox_clock):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_clock.advance(900)

    response = submit(sandbox_http, sandbox_server, code=flow["user_code"], action="continue")

    assert response.status_code == 410
    assert "expired" in response.text


def test_approving_after_expiry_changes_nothing(sandbox_server, sandbox_http, sandbox_clock):
    flow = start_flow(sandbox_http, sandbox_server)
    token = form_token(confirm(sandbox_http, sandbox_server, flow["user_code"]).text)
    sandbox_clock.advance(900)

    result = submit(
        sandbox_http, sandbox_server, code=flow["user_code"], action="approve", form_token=token
    )

    assert result.status_code == 410
    assert token_status(sandbox_http, sandbox_server, flow["device_code"]) == 410


def test_settled_request_is_reported_as_already_used(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)
    sandbox_server.approve(flow["user_code"])

    response = submit(sandbox_http, sandbox_server, code=flow["user_code"], action="continue")

    assert response.status_code == 409
    assert "already used" in response.text
    assert APPROVED_TEXT not in response.text and "Access granted" not in response.text
    assert 'value="approve"' not in response.text


def test_unknown_action_is_rejected(sandbox_server, sandbox_http):
    flow = start_flow(sandbox_http, sandbox_server)

    response = submit(sandbox_http, sandbox_server, code=flow["user_code"], action="delete")

    assert response.status_code == 400
    assert sandbox_server.device_request(flow["user_code"]).status is DeviceStatus.PENDING
