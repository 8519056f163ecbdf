"""``skytells auth token``: a valid token on stdout and nothing else; exit 4 when there is none."""

from __future__ import annotations

import pytest


def test_auth_token_prints_exactly_one_valid_token(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True)  # with userinfo the token is checked: no "not checked" warning
    oauth_world.login(sandbox)

    result = oauth_world.run("auth", "token")

    assert result.code == 0, str(result)
    token = result.stdout.rstrip("\n")
    assert result.stdout == token + "\n" and token == oauth_world.profile()["token"]
    assert sandbox.token_is_active(token)
    assert result.stderr == ""


def test_auth_token_without_a_login_exits_4(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.run("auth", "token")

    assert result.code == 4, str(result)
    assert result.stdout == ""
    assert "not logged in" in result.stderr and "skytells login" in result.stderr
    assert sandbox.requests_seen == []


def test_auth_token_for_a_profile_that_does_not_exist_exits_4(oauth_world):
    sandbox = oauth_world.start_sandbox()
    oauth_world.login(sandbox)

    result = oauth_world.run("--profile", "elsewhere", "auth", "token")

    assert result.code == 4, str(result)
    assert result.stdout == ""
    assert "'elsewhere'" in result.stderr


def test_auth_token_prints_the_token_from_the_environment(oauth_world):
    sandbox = oauth_world.start_sandbox()
    chosen = oauth_world.secret(sandbox.issue_token())

    result = oauth_world.run("auth", "token", env={"SKYTELLS_TOKEN": chosen})

    assert result.code == 0, str(result)
    assert result.stdout == chosen + "\n"


def test_the_canary_catches_a_piece_of_a_secret(oauth_world, tmp_path):
    """The leak check these tests rely on does fail on a partial leak (and lets auth token's stdout be)."""
    other = type(oauth_world)(tmp_path / "canary")
    secret = other.secret("sbx_rt_" + "0123456789abcdef" * 4)
    other.record(("auth", "token"), "", secret)  # stdout of auth token: allowed
    other.check_canary()
    other.record(("whoami",), "token: ...89abcdef01234567...", "")
    with pytest.raises(AssertionError, match="appears in the output of skytells whoami"):
        other.check_canary()
