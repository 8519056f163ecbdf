"""Profiles kept apart: logins, ``auth status``, ``auth switch`` and logout of one profile."""

from __future__ import annotations

import json
import time

import pytest


@pytest.fixture
def oauth_three_profiles(oauth_world):
    """default and work from device logins with the sandbox (at the same time, OpenID Connect, so their
    tokens can be checked at its userinfo endpoint), personal from a pasted token."""
    sandbox = oauth_world.start_sandbox(oidc=True)
    login = ("login", "--issuer", sandbox.url, "--client-id", "skytells-cli", "--no-browser")
    for result in oauth_world.run_together(login, ("--profile", "work", *login)):
        assert result.code == 0, str(result)
    pat = oauth_world.secret(sandbox.issue_token())
    result = oauth_world.run("login", "--token", input=pat + "\n", env={"SKYTELLS_PROFILE": "personal"})
    assert result.code == 0, str(result)
    return sandbox, pat


def _status(world, *options: str, env=None):
    result = world.run("auth", "status", "-f", "json", *options, env=env)
    return result, {row["profile"]: row for row in json.loads(result.stdout or "[]")}


def test_logins_land_in_separate_profiles_and_the_default_keeps_the_official_fields(
        oauth_world, oauth_three_profiles):
    sandbox, pat = oauth_three_profiles

    data = oauth_world.credentials()
    assert "profile" not in data  # the default profile is called "default"
    assert set(data["profiles"]) == {"work", "personal"}
    default, work, personal = data, data["profiles"]["work"], data["profiles"]["personal"]
    assert isinstance(default["created_at"], int) and default["meta"]["token"]["method"] == "device"
    assert personal["token"] == pat and "refresh_token" not in personal
    tokens = {default["token"], work["token"], personal["token"]}
    assert len(tokens) == 3 and all(sandbox.token_is_active(token) for token in tokens)
    assert default["refresh_token"] != work["refresh_token"]
    for name, token in (("default", default["token"]), ("work", work["token"]), ("personal", pat)):
        printed = oauth_world.run("--profile", name, "auth", "token")
        assert printed.stdout == token + "\n", str(printed)
    assert oauth_world.run("auth", "token").stdout == default["token"] + "\n"


def test_auth_status_lists_every_profile_and_checks_each_token(oauth_world, oauth_three_profiles):
    sandbox, _pat = oauth_three_profiles

    result, rows = _status(oauth_world)

    assert result.code == 0, str(result)
    assert list(rows) == ["default", "personal", "work"]
    assert [row["default"] for row in rows.values()] == [True, False, False]
    for name, row in rows.items():
        assert row["server"] == sandbox.url
        assert row["source"].endswith("credentials.json")
        assert set(row["token"]) <= set("sk_pat*"), f"{name}'s token is not masked: {row['token']}"
        assert row["status"] == "valid"
    assert rows["personal"]["token"] == "sk_pat_********"
    assert (rows["default"]["method"], rows["personal"]["method"]) == ("device", "token")
    assert "offline_access" in rows["work"]["scopes"] and rows["personal"]["scopes"] is None
    assert rows["work"]["expires"][:4].isdigit() and rows["personal"]["expires"] is None

    sandbox.revoke(oauth_world.profile("work")["token"])
    result, rows = _status(oauth_world)
    assert result.code == 4, str(result)
    assert rows["work"]["status"].startswith("invalid (")
    assert rows["default"]["status"] == rows["personal"]["status"] == "valid"


def test_auth_status_offline_asks_no_server(oauth_world, oauth_three_profiles):
    sandbox, _pat = oauth_three_profiles
    sandbox.clear_requests()

    result, rows = _status(oauth_world, "--offline")

    assert result.code == 0, str(result)
    assert sandbox.requests_seen == []
    assert set(rows) == {"default", "work", "personal"}
    assert {row["status"] for row in rows.values()} == {"not checked (--offline)"}


def test_auth_switch_moves_the_profile_to_the_official_fields(oauth_world, oauth_three_profiles):
    before = oauth_world.credentials()

    result = oauth_world.run("auth", "switch", "work")

    assert result.code == 0, str(result)
    after = oauth_world.credentials()
    assert after["profile"] == "work"
    assert after["token"] == before["profiles"]["work"]["token"]
    assert after["refresh_token"] == before["profiles"]["work"]["refresh_token"]
    assert after["meta"] == before["profiles"]["work"]["meta"]
    assert set(after["profiles"]) == {"default", "personal"}
    assert after["profiles"]["default"]["token"] == before["token"]
    assert after["profiles"]["default"]["refresh_token"] == before["refresh_token"]
    assert oauth_world.run("auth", "token").stdout == after["token"] + "\n"
    assert oauth_world.run("--profile", "default", "auth", "token").stdout == before["token"] + "\n"
    _result, rows = _status(oauth_world, "--offline")
    assert rows["work"]["default"] is True and rows["default"]["default"] is False


def test_auth_switch_to_an_unknown_profile_changes_nothing(oauth_world, oauth_three_profiles):
    before = oauth_world.credentials_path.read_bytes()

    result = oauth_world.run("auth", "switch", "nope")

    assert result.code == 4, str(result)  # as for --profile nope: there is no such profile, log in to create it
    assert "no profile 'nope'" in result.stderr and "work" in result.stderr
    assert "Run skytells --profile nope login to create it." in result.stderr
    assert oauth_world.credentials_path.read_bytes() == before


def test_logout_of_one_profile_keeps_the_others(oauth_world, oauth_three_profiles):
    sandbox, pat = oauth_three_profiles
    before = oauth_world.credentials()
    work = before["profiles"]["work"]

    result = oauth_world.run("--profile", "work", "logout", "--force")

    assert result.code == 0, str(result)
    assert not sandbox.token_is_active(work["token"])
    assert sandbox.token_is_active(before["token"]) and sandbox.token_is_active(pat)
    after = oauth_world.credentials()
    assert "work" not in after.get("profiles", {})
    assert after["token"] == before["token"] and after["refresh_token"] == before["refresh_token"]
    assert after["profiles"]["personal"]["token"] == pat
    assert oauth_world.run("--profile", "work", "auth", "token").code == 4
    assert oauth_world.run("auth", "token").stdout == before["token"] + "\n"


def test_a_bad_profile_name_from_the_environment_is_refused_before_anything_is_saved(oauth_world):
    sandbox = oauth_world.start_sandbox()
    oauth_world.login(sandbox)
    before = oauth_world.credentials_path.read_bytes()
    pat = oauth_world.secret(sandbox.issue_token())

    result = oauth_world.run("login", "--token", input=pat + "\n", env={"SKYTELLS_PROFILE": "two words"})

    assert result.code == 2, str(result)
    assert "SKYTELLS_PROFILE" in result.stderr
    assert oauth_world.credentials_path.read_bytes() == before
    assert oauth_world.run("auth", "token").code == 0  # the file is still usable


def _expire_stored_token(world, *, keep_refresh_token: bool) -> None:
    data = world.credentials()
    data["meta"]["token"]["expires_at"] = int(time.time() * 1000) - 5_000
    if not keep_refresh_token:
        del data["refresh_token"]
    world.credentials_path.write_text(json.dumps(data), encoding="utf-8")


def test_auth_status_reports_expiry_without_refreshing(oauth_world):
    # 30 s: due for refresh (within a minute) but not expired, so it is checked like any other token.
    sandbox = oauth_world.start_sandbox(token_lifetime=30, oidc=True)
    oauth_world.login(sandbox)
    stored = oauth_world.credentials_path.read_bytes()

    due, due_rows = _status(oauth_world)
    assert (due.code, due_rows["default"]["status"]) == (0, "valid"), str(due)

    _expire_stored_token(oauth_world, keep_refresh_token=True)
    refreshable, refreshable_rows = _status(oauth_world)
    assert (refreshable.code, refreshable_rows["default"]["status"]) == (0, "expired (refreshable)")

    _expire_stored_token(oauth_world, keep_refresh_token=False)
    dead, dead_rows = _status(oauth_world)
    assert (dead.code, dead_rows["default"]["status"]) == (4, "expired"), str(dead)
    offline, _rows = _status(oauth_world, "--offline")
    assert offline.code == 0

    assert oauth_world.refresh_forms(sandbox) == []  # status never refreshes
    assert json.loads(stored)["token"] == oauth_world.credentials()["token"]
