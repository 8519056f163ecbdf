"""Refresh tokens: rotation, reuse detection, and access-token expiry on the wall clock."""

from __future__ import annotations

import threading

import pytest
import requests

OFFLINE = "projects.read offline_access"


def refreshed(sandbox_oauth, sandbox, refresh_token: str, **fields: str) -> dict:
    response = sandbox_oauth.refresh(sandbox, refresh_token, **fields)
    assert response.status_code == 200, response.text
    return response.json()


# Rotation ---------------------------------------------------------------------------


def test_refresh_rotates_both_tokens(sandbox_server, sandbox_oauth):
    first = sandbox_oauth.login(sandbox_server, OFFLINE)

    second = refreshed(sandbox_oauth, sandbox_server, first["refresh_token"])

    assert set(second) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert (second["token_type"], second["expires_in"], second["scope"]) == (
        "Bearer",
        3600,
        OFFLINE,
    )
    assert not sandbox_server.refresh_token_is_active(first["refresh_token"])
    assert sandbox_server.refresh_token_is_active(second["refresh_token"])
    assert sandbox_oauth.projects(sandbox_server, second["access_token"]).status_code == 200


def test_the_old_access_token_lives_on_after_a_refresh(sandbox_server, sandbox_oauth):
    first = sandbox_oauth.login(sandbox_server, OFFLINE)

    refreshed(sandbox_oauth, sandbox_server, first["refresh_token"])

    assert sandbox_server.token_is_active(first["access_token"])


def test_a_chain_of_refreshes(sandbox_server, sandbox_oauth):
    tokens = sandbox_oauth.login(sandbox_server, OFFLINE)
    seen = {tokens["refresh_token"]}

    for _ in range(5):
        tokens = refreshed(sandbox_oauth, sandbox_server, tokens["refresh_token"])
        seen.add(tokens["refresh_token"])

    assert len(seen) == 6
    assert [sandbox_server.refresh_token_is_active(t) for t in seen].count(True) == 1
    assert sandbox_server.revocations == []


def test_scope_may_narrow_but_not_widen(sandbox_server, sandbox_oauth):
    first = sandbox_oauth.login(sandbox_server, "projects.read inference offline_access")

    narrow = refreshed(sandbox_oauth, sandbox_server, first["refresh_token"], scope="inference")
    wide = sandbox_oauth.refresh(sandbox_server, narrow["refresh_token"], scope="keys.write")
    unknown = sandbox_oauth.refresh(sandbox_server, narrow["refresh_token"], scope="bogus")

    assert narrow["scope"] == "inference"
    assert sandbox_server.token_scopes(narrow["access_token"]) == ("inference",)
    assert (wide.status_code, wide.json()["error"]) == (400, "invalid_scope")
    assert (unknown.status_code, unknown.json()["error"]) == (400, "invalid_scope")
    # A refused scope does not spend the refresh token.
    again = refreshed(sandbox_oauth, sandbox_server, narrow["refresh_token"])
    assert again["scope"] == "projects.read inference offline_access"


def test_unknown_refresh_token_is_invalid_grant(sandbox_server, sandbox_oauth):
    response = sandbox_oauth.refresh(sandbox_server, "sbx_rt_" + "0" * 64)

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert sandbox_server.revocations == []


def test_an_access_token_cannot_refresh(sandbox_server, sandbox_oauth):
    first = sandbox_oauth.login(sandbox_server, OFFLINE)

    response = sandbox_oauth.refresh(sandbox_server, first["access_token"])

    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")
    assert sandbox_server.token_is_active(first["access_token"])


def test_refresh_token_belongs_to_its_client(sandbox_factory, sandbox_oauth):
    sandbox = sandbox_factory(client_ids=("cli-a", "cli-b"), auto_approve=True)
    flow = sandbox_oauth.start(sandbox, OFFLINE, client_id="cli-a")
    first = sandbox_oauth.poll(sandbox, flow["device_code"], client_id="cli-a").json()

    other = sandbox_oauth.refresh(sandbox, first["refresh_token"], client_id="cli-b")
    unregistered = sandbox_oauth.refresh(sandbox, first["refresh_token"], client_id="cli-c")

    assert (other.status_code, other.json()["error"]) == (400, "invalid_grant")
    assert (unregistered.status_code, unregistered.json()["error"]) == (401, "invalid_client")
    # Neither attempt spent or revoked anything.
    assert sandbox.refresh_token_is_active(first["refresh_token"])
    assert refreshed(sandbox_oauth, sandbox, first["refresh_token"], client_id="cli-a")


# Reuse detection ----------------------------------------------------------------------


def test_reusing_a_spent_refresh_token_revokes_the_whole_family(sandbox_server, sandbox_oauth):
    first = sandbox_oauth.login(sandbox_server, OFFLINE)
    second = refreshed(sandbox_oauth, sandbox_server, first["refresh_token"])
    third = refreshed(sandbox_oauth, sandbox_server, second["refresh_token"])
    bystander = sandbox_oauth.login(sandbox_server, OFFLINE)  # another approval, another family

    reuse = sandbox_oauth.refresh(sandbox_server, first["refresh_token"])

    assert (reuse.status_code, reuse.json()["error"]) == (400, "invalid_grant")
    family = [first, second, third]
    assert not any(sandbox_server.token_is_active(t["access_token"]) for t in family)
    assert not any(sandbox_server.refresh_token_is_active(t["refresh_token"]) for t in family)
    assert sandbox_oauth.projects(sandbox_server, third["access_token"]).status_code == 401
    latest = sandbox_oauth.refresh(sandbox_server, third["refresh_token"])
    assert (latest.status_code, latest.json()["error"]) == (400, "invalid_grant")
    assert sandbox_server.token_is_active(bystander["access_token"])
    assert sandbox_server.refresh_token_is_active(bystander["refresh_token"])
    [revocation] = sandbox_server.revocations
    assert (revocation.kind, revocation.reason) == ("refresh_token", "refresh_token_reuse")
    assert revocation.token == first["refresh_token"]
    assert first["refresh_token"] not in repr(revocation)


def test_simultaneous_refreshes_with_one_token_are_serialised(sandbox_server, sandbox_oauth):
    # Two clients presenting the same refresh token at once: exactly one wins,
    # the other is reuse. This is what a CLI must avoid by re-reading its store.
    first = sandbox_oauth.login(sandbox_server, OFFLINE)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def refresh() -> None:
        barrier.wait()
        response = requests.post(
            f"{sandbox_server.url}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": first["refresh_token"],
                "client_id": "skytells-cli",
            },
            timeout=5,
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert sorted(statuses) == [200, 400]
    assert [r.reason for r in sandbox_server.revocations] == ["refresh_token_reuse"]


def test_sequential_refreshes_that_reread_the_latest_token_are_fine(sandbox_server, sandbox_oauth):
    # The well-behaved pattern: the second process uses the token the first stored.
    first = sandbox_oauth.login(sandbox_server, OFFLINE)
    by_process_one = refreshed(sandbox_oauth, sandbox_server, first["refresh_token"])

    by_process_two = refreshed(sandbox_oauth, sandbox_server, by_process_one["refresh_token"])

    assert sandbox_server.token_is_active(by_process_one["access_token"])
    assert sandbox_server.token_is_active(by_process_two["access_token"])
    assert sandbox_server.revocations == []


# Expiry ---------------------------------------------------------------------------------


def test_access_tokens_expire_on_the_wall_clock(sandbox_factory, sandbox_oauth, sandbox_wall_clock):
    sandbox = sandbox_factory(token_lifetime=1)
    body = sandbox_oauth.login(sandbox, OFFLINE)
    assert body["expires_in"] == 1
    assert sandbox_oauth.projects(sandbox, body["access_token"]).status_code == 200

    sandbox_wall_clock.advance(0.9)
    assert sandbox.token_is_active(body["access_token"])
    sandbox_wall_clock.advance(0.1)

    assert not sandbox.token_is_active(body["access_token"])
    expired = sandbox_oauth.projects(sandbox, body["access_token"])
    assert expired.status_code == 401
    assert expired.json() == {"error": "Unauthorized", "message": "Token is invalid or expired"}
    assert sandbox.token_scopes(body["access_token"]) is None


def test_refresh_after_expiry_gives_a_working_token(
    sandbox_factory, sandbox_oauth, sandbox_wall_clock
):
    sandbox = sandbox_factory(token_lifetime=60)
    first = sandbox_oauth.login(sandbox, OFFLINE)
    sandbox_wall_clock.advance(3600)  # refresh tokens do not expire

    second = refreshed(sandbox_oauth, sandbox, first["refresh_token"])

    assert sandbox_oauth.projects(sandbox, second["access_token"]).status_code == 200
    sandbox_wall_clock.advance(60)
    assert sandbox_oauth.projects(sandbox, second["access_token"]).status_code == 401


def test_expiry_does_not_follow_the_polling_clock(sandbox_factory, sandbox_oauth, sandbox_clock):
    sandbox = sandbox_factory(token_lifetime=1)
    body = sandbox_oauth.login(sandbox, OFFLINE)

    sandbox_clock.advance(10_000)

    assert sandbox.token_is_active(body["access_token"])


def test_default_wall_clock_is_real_time():
    import time

    from skytells_sandbox.config import SandboxConfig

    assert SandboxConfig().wall_clock is time.time


@pytest.mark.parametrize("scope", ["projects.read", "projects.read inference"])
def test_no_refresh_token_without_offline_access(sandbox_server, sandbox_oauth, scope):
    body = sandbox_oauth.login(sandbox_server, scope)

    assert "refresh_token" not in body
