"""Refresh after expiry, refresh token rotation, and two processes refreshing at once.

The sandbox's access tokens live 2 s by its own (still) clock, which the test
moves; for the CLI, a token that expires within a minute is due for refresh,
so every command after such a login refreshes first.
"""

from __future__ import annotations

import json
import time

LIFETIME = 2
ROUNDS = 3


def _logged_in(world, **settings):
    sandbox = world.start_sandbox(token_lifetime=LIFETIME, **settings)
    world.login(sandbox)
    stored = world.profile()
    sandbox.config.wall_clock.advance(LIFETIME + 1)  # the login's access token is now dead at the server
    assert not sandbox.token_is_active(stored["token"])
    return sandbox, stored["token"], stored["refresh_token"]


def _check_rotated(world, sandbox, old_access: str, old_refresh: str) -> dict:
    stored = world.profile()
    assert stored["token"] != old_access and sandbox.token_is_active(stored["token"])
    assert stored["refresh_token"] != old_refresh, "the stored refresh token was not rotated"
    assert sandbox.refresh_token_is_active(stored["refresh_token"])
    assert not sandbox.refresh_token_is_active(old_refresh), "the old refresh token was not spent"
    assert sandbox.revocations == []
    return stored


def test_whoami_refreshes_an_expired_token_first(oauth_world):
    sandbox, old_access, old_refresh = _logged_in(oauth_world, oidc=True)

    result = oauth_world.run("whoami", "-f", "json")

    assert result.code == 0, str(result)
    shown = json.loads(result.stdout)
    assert shown["token_status"] == "valid"
    assert oauth_world.refresh_forms(sandbox) == [
        {"grant_type": ["refresh_token"], "refresh_token": [old_refresh], "client_id": ["skytells-cli"]}]
    stored = _check_rotated(oauth_world, sandbox, old_access, old_refresh)
    # whoami checked the new token, never the dead one, where it lives: at the issuer's userinfo.
    checked = [seen.header("Authorization") for seen in oauth_world.seen(sandbox, "/oauth/userinfo")]
    assert checked == [f"Bearer {stored['token']}"]
    assert oauth_world.seen(sandbox, "/api/v1/cli/projects") == []


def test_auth_token_refreshes_an_expired_token_and_prints_only_the_new_one(oauth_world):
    sandbox, old_access, old_refresh = _logged_in(oauth_world)

    result = oauth_world.run("auth", "token")

    assert result.code == 0, str(result)
    stored = _check_rotated(oauth_world, sandbox, old_access, old_refresh)
    assert result.stdout == stored["token"] + "\n"
    assert len(oauth_world.refresh_forms(sandbox)) == 1


def test_a_token_far_from_expiry_is_not_refreshed(oauth_world):
    sandbox = oauth_world.start_sandbox(token_lifetime=3600)
    oauth_world.login(sandbox)
    before = oauth_world.profile()

    result = oauth_world.run("auth", "token")

    assert result.code == 0, str(result)
    assert result.stdout == before["token"] + "\n"
    assert oauth_world.refresh_forms(sandbox) == []
    assert oauth_world.profile()["refresh_token"] == before["refresh_token"]


def test_a_refused_refresh_exits_4_and_asks_for_a_new_login(oauth_world):
    sandbox, _old_access, old_refresh = _logged_in(oauth_world)
    sandbox.revoke(old_refresh)  # revoked at the provider, e.g. from its account page

    result = oauth_world.run("auth", "token")

    assert result.code == 4, str(result)
    assert result.stdout == ""
    assert "refused to refresh" in result.stderr and "skytells login" in result.stderr


def test_two_processes_refreshing_at_once_do_not_log_each_other_out(oauth_world):
    sandbox, _old_access, _old_refresh = _logged_in(oauth_world)

    for _ in range(ROUNDS):
        sandbox.config.wall_clock.advance(LIFETIME + 1)
        first, second = oauth_world.run_together(("auth", "token"), ("auth", "token"))
        for result in (first, second):
            assert result.code == 0, str(result)
            token = result.stdout.strip()
            assert result.stdout == token + "\n"
            assert sandbox.token_is_active(token), "a printed token is not valid at the server"

    assert [r for r in sandbox.revocations if r.reason == "refresh_token_reuse"] == []
    assert sandbox.revocations == []
    spent = [form["refresh_token"][0] for form in oauth_world.refresh_forms(sandbox)]
    assert len(spent) >= ROUNDS
    assert len(set(spent)) == len(spent), "a refresh token was presented twice"
    stored = oauth_world.profile()
    assert sandbox.refresh_token_is_active(stored["refresh_token"])
    assert oauth_world.run("whoami").code == 0


def test_the_second_process_uses_the_tokens_the_first_one_saved(oauth_world):
    # Access tokens live an hour; the stored expiry is moved into the past, as time would.
    sandbox = oauth_world.start_sandbox(token_lifetime=3600)
    oauth_world.login(sandbox)

    for round_number in range(1, ROUNDS + 1):
        data = oauth_world.credentials()
        data["meta"]["token"]["expires_at"] = int(time.time() * 1000) - 1_000
        oauth_world.credentials_path.write_text(json.dumps(data), encoding="utf-8")
        sandbox.config.wall_clock.advance(3601)
        assert not sandbox.token_is_active(data["token"])

        first, second = oauth_world.run_together(("auth", "token"), ("auth", "token"))

        assert first.code == second.code == 0, f"{first}\n{second}"
        assert first.stdout == second.stdout == oauth_world.profile()["token"] + "\n"
        assert sandbox.token_is_active(first.stdout.strip())
        assert len(oauth_world.refresh_forms(sandbox)) == round_number, "both processes refreshed"

    assert sandbox.revocations == []
    assert sandbox.refresh_token_is_active(oauth_world.profile()["refresh_token"])
