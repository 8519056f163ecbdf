"""Token revocation (RFC 7009), the Python controls, and OpenID Connect userinfo."""

from __future__ import annotations

import pytest

from skytells_sandbox.state import UnknownCredentialError

OFFLINE = "projects.read offline_access"


# POST /oauth/revoke --------------------------------------------------------------------


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token", "something_else"])
def test_revoking_an_access_token_kills_only_that_token(sandbox_server, sandbox_oauth, hint):
    body = sandbox_oauth.login(sandbox_server, OFFLINE)
    fields = {} if hint is None else {"token_type_hint": hint}

    response = sandbox_oauth.revoke(sandbox_server, body["access_token"], **fields)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert not sandbox_server.token_is_active(body["access_token"])
    assert sandbox_oauth.projects(sandbox_server, body["access_token"]).status_code == 401
    # The grant lives on: its refresh token still works.
    assert sandbox_server.refresh_token_is_active(body["refresh_token"])
    assert sandbox_oauth.refresh(sandbox_server, body["refresh_token"]).status_code == 200
    [revocation] = sandbox_server.revocations
    assert (revocation.kind, revocation.reason) == ("access_token", "revocation_endpoint")


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token"])
def test_revoking_a_refresh_token_kills_its_family(sandbox_server, sandbox_oauth, hint):
    first = sandbox_oauth.login(sandbox_server, OFFLINE)
    second = sandbox_oauth.refresh(sandbox_server, first["refresh_token"]).json()
    other = sandbox_oauth.login(sandbox_server, OFFLINE)
    fields = {} if hint is None else {"token_type_hint": hint}

    response = sandbox_oauth.revoke(sandbox_server, second["refresh_token"], **fields)

    assert response.status_code == 200
    assert not sandbox_server.refresh_token_is_active(second["refresh_token"])
    assert not sandbox_server.token_is_active(first["access_token"])
    assert not sandbox_server.token_is_active(second["access_token"])
    refused = sandbox_oauth.refresh(sandbox_server, second["refresh_token"])
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")
    assert sandbox_server.token_is_active(other["access_token"])
    assert [(r.kind, r.reason) for r in sandbox_server.revocations] == [
        ("refresh_token", "revocation_endpoint")
    ]


def test_logout_order_refresh_then_access(sandbox_server, sandbox_oauth):
    body = sandbox_oauth.login(sandbox_server, OFFLINE)

    first = sandbox_oauth.revoke(sandbox_server, body["refresh_token"])
    second = sandbox_oauth.revoke(sandbox_server, body["access_token"])

    assert (first.status_code, second.status_code) == (200, 200)
    assert not sandbox_server.token_is_active(body["access_token"])
    # The access token was already dead with its family: one revocation only.
    assert len(sandbox_server.revocations) == 1


@pytest.mark.parametrize("token", ["sbx_at_" + "0" * 64, "not-a-token", "sk_pat_" + "a" * 64])
def test_unknown_tokens_are_answered_200(sandbox_server, sandbox_oauth, token):
    response = sandbox_oauth.revoke(sandbox_server, token)

    assert response.status_code == 200
    assert sandbox_server.revocations == []


def test_revocation_does_not_touch_personal_access_tokens(sandbox_server, sandbox_oauth):
    token = sandbox_server.issue_token()

    assert sandbox_oauth.revoke(sandbox_server, token).status_code == 200

    assert sandbox_server.token_is_active(token)


def test_revoking_twice_is_harmless(sandbox_server, sandbox_oauth):
    body = sandbox_oauth.login(sandbox_server, OFFLINE)

    answers = [sandbox_oauth.revoke(sandbox_server, body["access_token"]) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    assert len(sandbox_server.revocations) == 1


def test_revocation_needs_a_registered_client(sandbox_server, sandbox_oauth):
    body = sandbox_oauth.login(sandbox_server, OFFLINE)

    unknown = sandbox_oauth.revoke(sandbox_server, body["access_token"], client_id="intruder")
    missing = sandbox_oauth.post(sandbox_server, "/oauth/revoke", None, token=body["access_token"])

    assert (unknown.status_code, unknown.json()["error"]) == (401, "invalid_client")
    assert (missing.status_code, missing.json()["error"]) == (401, "invalid_client")
    assert sandbox_server.token_is_active(body["access_token"])


def test_a_client_cannot_revoke_another_clients_token(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(client_ids=("cli-a", "cli-b"), auto_approve=True)
    flow = sandbox_oauth.start(sandbox, OFFLINE, client_id="cli-a")
    body = sandbox_oauth.poll(sandbox, flow["device_code"], client_id="cli-a").json()

    response = sandbox_oauth.revoke(sandbox, body["refresh_token"], client_id="cli-b")

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert sandbox.refresh_token_is_active(body["refresh_token"])


def test_revocation_needs_a_token(sandbox_server, sandbox_oauth):
    response = sandbox_oauth.post(sandbox_server, "/oauth/revoke", token_type_hint="access_token")

    assert (response.status_code, response.json()["error"]) == (400, "invalid_request")


# Python controls ------------------------------------------------------------------------


def test_python_revoke_handles_standard_tokens(sandbox_server, sandbox_oauth):
    first = sandbox_oauth.login(sandbox_server, OFFLINE)
    second = sandbox_oauth.login(sandbox_server, OFFLINE)

    sandbox_server.revoke(first["access_token"])
    sandbox_server.revoke(second["refresh_token"])

    assert not sandbox_server.token_is_active(first["access_token"])
    assert sandbox_server.refresh_token_is_active(first["refresh_token"])
    assert not sandbox_server.token_is_active(second["access_token"])
    assert not sandbox_server.refresh_token_is_active(second["refresh_token"])
    assert [(r.kind, r.reason) for r in sandbox_server.revocations] == [
        ("access_token", "sandbox"),
        ("refresh_token", "sandbox"),
    ]


def test_revocations_record_every_kind_with_the_wall_clock(sandbox_server, sandbox_wall_clock):
    credentials = {
        "personal_access_token": sandbox_server.issue_token(),
        "project_key": sandbox_server.issue_project_key(),
        "api_key": sandbox_server.issue_api_key(),
    }

    for credential in credentials.values():
        sandbox_wall_clock.advance(1)
        sandbox_server.revoke(credential)
    sandbox_server.revoke(credentials["api_key"])  # no second record

    revocations = sandbox_server.revocations
    assert [r.kind for r in revocations] == list(credentials)
    assert [r.token for r in revocations] == list(credentials.values())
    start = 1_750_000_000.0
    assert [r.time for r in revocations] == [start + 1, start + 2, start + 3]


def test_python_revoke_still_refuses_unknown_credentials(sandbox_server):
    with pytest.raises(UnknownCredentialError):
        sandbox_server.revoke("sbx_rt_" + "0" * 64)


def test_token_is_active_covers_personal_access_tokens(sandbox_server):
    token = sandbox_server.issue_token()

    assert sandbox_server.token_is_active(token)
    sandbox_server.revoke(token)
    assert not sandbox_server.token_is_active(token)
    assert not sandbox_server.token_is_active("sk_pat_" + "0" * 64)
    assert not sandbox_server.refresh_token_is_active(token)


# Userinfo -------------------------------------------------------------------------------


def test_userinfo_for_a_token_granted_openid(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(oidc=True)
    body = sandbox_oauth.login(sandbox, "openid projects.read")

    response = sandbox_oauth.userinfo(sandbox, body["access_token"])

    assert response.status_code == 200
    assert response.json() == {
        "sub": "user_sandbox",
        "name": "Sandbox User",
        "email": "sandbox-user@example.com",
        "preferred_username": "sandbox-user",
    }


def test_userinfo_without_openid_is_insufficient_scope(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(oidc=True)
    body = sandbox_oauth.login(sandbox, "projects.read")

    response = sandbox_oauth.userinfo(sandbox, body["access_token"])

    assert (response.status_code, response.json()["error"]) == (403, "insufficient_scope")
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]


def test_userinfo_refuses_missing_bad_expired_and_revoked_tokens(
    sandbox_factory, sandbox_oauth, sandbox_http, sandbox_wall_clock
):
    sandbox = sandbox_factory(oidc=True, token_lifetime=10)
    revoked = sandbox_oauth.login(sandbox, "openid")["access_token"]
    sandbox_oauth.revoke(sandbox, revoked)
    expired = sandbox_oauth.login(sandbox, "openid")["access_token"]
    sandbox_wall_clock.advance(10)

    missing = sandbox_http.get(f"{sandbox.url}/oauth/userinfo")
    answers = [
        sandbox_oauth.userinfo(sandbox, token)
        for token in ("sbx_at_" + "0" * 64, revoked, expired, sandbox.issue_token())
    ]

    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert [a.status_code for a in answers] == [401, 401, 401, 403]
    assert all(a.json()["error"] == "invalid_token" for a in answers[:3])
    assert answers[0].headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_userinfo_is_absent_without_oidc(sandbox_server, sandbox_oauth):
    body = sandbox_oauth.login(sandbox_server, "projects.read")

    assert sandbox_oauth.userinfo(sandbox_server, body["access_token"]).status_code == 404
