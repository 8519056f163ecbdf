"""The authorization code grant with PKCE (RFC 6749 4.1, RFC 7636, RFC 8252, RFC 9207)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse

import pytest

from skytells_sandbox.authcodes import CODE_LIFETIME

REDIRECT = "http://127.0.0.1:53682/callback"


def challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def authorize_query(verifier: str, **fields: str) -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": "skytells-cli",
        "redirect_uri": REDIRECT,
        "scope": "projects.read offline_access",
        "state": "st-1",
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
    }
    query.update(fields)
    return {name: value for name, value in query.items() if value != "-"}


def back_parameters(response) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?"), location
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))


def authorize(sandbox, http, verifier: str, **fields: str):
    return http.get(
        sandbox.url + "/oauth/authorize",
        params=authorize_query(verifier, **fields),
        allow_redirects=False,
    )


def redeem(sandbox, http, code: str, verifier: str, **fields: str):
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": "skytells-cli",
        "code_verifier": verifier,
    }
    form.update(fields)
    return http.post(sandbox.url + "/oauth/token", data=form)


@pytest.fixture
def approving(sandbox_factory):
    return sandbox_factory(auto_approve=True)


def new_code(sandbox, http) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    response = authorize(sandbox, http, verifier)
    assert response.status_code == 302, response.text
    back = back_parameters(response)
    assert back["state"] == "st-1" and back["iss"] == sandbox.url
    return back["code"], verifier


def test_auto_approve_sends_the_browser_back_with_code_state_and_iss(approving, sandbox_http):
    code, verifier = new_code(approving, sandbox_http)

    response = redeem(approving, sandbox_http, code, verifier)

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["scope"] == "projects.read offline_access"
    assert approving.token_is_active(tokens["access_token"])
    assert approving.refresh_token_is_active(tokens["refresh_token"])


def test_the_rfc_7636_example_verifier_matches_its_challenge():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    from skytells_sandbox.authcodes import s256

    assert s256(verifier) == challenge(verifier)


def test_a_wrong_verifier_is_refused(approving, sandbox_http):
    code, _verifier = new_code(approving, sandbox_http)

    response = redeem(approving, sandbox_http, code, secrets.token_urlsafe(48))

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "code_verifier" in response.json()["error_description"]


def test_a_wrong_redirect_uri_is_refused(approving, sandbox_http):
    code, verifier = new_code(approving, sandbox_http)

    response = redeem(
        approving, sandbox_http, code, verifier, redirect_uri="http://127.0.0.1:1/callback"
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_a_reused_code_is_refused_and_revokes_what_it_bought(approving, sandbox_http):
    code, verifier = new_code(approving, sandbox_http)
    tokens = redeem(approving, sandbox_http, code, verifier).json()

    again = redeem(approving, sandbox_http, code, verifier)

    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert not approving.token_is_active(tokens["access_token"])
    assert not approving.refresh_token_is_active(tokens["refresh_token"])
    assert {r.reason for r in approving.revocations} == {"authorization_code_reuse"}


def test_a_code_expires(approving, sandbox_http, sandbox_clock):
    code, verifier = new_code(approving, sandbox_http)
    sandbox_clock.advance(CODE_LIFETIME)

    response = redeem(approving, sandbox_http, code, verifier)

    assert response.status_code == 400 and "expired" in response.json()["error_description"]


def test_a_code_is_for_its_client_only(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(auto_approve=True, client_ids=("skytells-cli", "other"))
    code, verifier = new_code(sandbox, sandbox_http)

    response = redeem(sandbox, sandbox_http, code, verifier, client_id="other")

    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://127.0.0.1:5000/callback",
        "http://localhost:5000/callback",
        "http://evil.example/callback",
        "http://127.0.0.1@evil.example/callback",
        "http://127.0.0.1:5000/callback#x",
        "-",
    ],
)
def test_a_redirect_uri_that_is_not_loopback_is_never_redirected_to(
    approving, sandbox_http, redirect_uri
):
    response = authorize(
        approving, sandbox_http, secrets.token_urlsafe(48), redirect_uri=redirect_uri
    )

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert "loopback" in response.text


def test_an_unknown_client_is_never_redirected_to(approving, sandbox_http):
    response = authorize(approving, sandbox_http, secrets.token_urlsafe(48), client_id="nobody")

    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"code_challenge": "-"}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": "-"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "projects.read nonsense"}, "invalid_scope"),
    ],
)
def test_other_problems_go_back_to_the_client(approving, sandbox_http, fields, error):
    response = authorize(approving, sandbox_http, secrets.token_urlsafe(48), **fields)

    assert response.status_code == 302
    back = back_parameters(response)
    assert back["error"] == error
    assert back["state"] == "st-1" and back["iss"] == approving.url
    assert "code" not in back


def test_the_consent_page_approves_once(sandbox_server, sandbox_http):
    verifier = secrets.token_urlsafe(48)
    page = authorize(sandbox_server, sandbox_http, verifier)
    assert page.status_code == 200
    assert "Approve" in page.text and "127.0.0.1:53682" in page.text
    assert "form-action 'self' http://127.0.0.1:*" in page.headers["Content-Security-Policy"]
    request_id = page.text.split('name="request" value="')[1].split('"')[0]
    form = {"request": request_id, "action": "approve"}

    approved = sandbox_http.post(
        sandbox_server.url + "/oauth/authorize", data=form, allow_redirects=False
    )
    again = sandbox_http.post(
        sandbox_server.url + "/oauth/authorize", data=form, allow_redirects=False
    )

    assert approved.status_code == 303
    code = back_parameters(approved)["code"]
    assert redeem(sandbox_server, sandbox_http, code, verifier).status_code == 200
    assert again.status_code == 404 and "Location" not in again.headers


def test_the_consent_page_denies(sandbox_server, sandbox_http):
    page = authorize(sandbox_server, sandbox_http, secrets.token_urlsafe(48))
    request_id = page.text.split('name="request" value="')[1].split('"')[0]

    denied = sandbox_http.post(
        sandbox_server.url + "/oauth/authorize",
        data={"request": request_id, "action": "deny"},
        allow_redirects=False,
    )

    assert denied.status_code == 303
    back = back_parameters(denied)
    assert back["error"] == "access_denied" and back["state"] == "st-1"
    assert back["iss"] == sandbox_server.url and "code" not in back
