"""``auth token`` keeps its promise, and the server shown is the server used.

``auth token`` prints a token only once its server accepts it, judged as
``whoami`` and ``auth status`` judge it (``CredentialService.check_token``):
a revoked token is exit 4 with nothing printed in all three; a server that
cannot be asked is exit 1 with nothing printed; a standard provider without
userinfo prints with a "not checked" warning. A "valid" answer is trusted
for a minute (``skytells.credentials.check_cache``), a "not valid" one from
any command is never cached. ``--no-check`` prints the stored token unasked.

``whoami`` and ``auth status`` show an issuer profile's issuer as its
server; a token bound to another server than ``SKYTELLS_API_URL`` names is
refused by all three alike, the hint naming the variable to unset.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

CLIENT_ID = "skytells-cli"


def _status_rows(world, *args, env=None):
    result = world.run("auth", "status", "-f", "json", *args, env=env)
    return result, {row["profile"]: row for row in json.loads(result.stdout)} if result.stdout else {}


def _checks(world, sandbox) -> int:
    return len(world.seen(sandbox, "/api/v1/cli/projects")) + len(world.seen(sandbox, "/oauth/userinfo"))


@pytest.fixture
def pat_world(oauth_world):
    """Logged in with a personal access token at a sandbox (the default profile and profile 'work')."""
    sandbox = oauth_world.start_sandbox()
    tokens = {}
    for profile in (None, "work"):
        token = oauth_world.secret(sandbox.issue_token())
        chosen = () if profile is None else ("--profile", profile)
        assert oauth_world.run(*chosen, "login", "--token", input=token + "\n").code == 0
        tokens[profile] = token
    sandbox.clear_requests()
    return sandbox, tokens


@pytest.mark.parametrize("profile", [None, "work"])
def test_a_revoked_token_is_refused_by_whoami_auth_status_and_auth_token_alike(oauth_world, pat_world, profile):
    sandbox, tokens = pat_world
    chosen = () if profile is None else ("--profile", profile)
    sandbox.revoke(tokens[profile])

    printed = oauth_world.run(*chosen, "auth", "token")
    whoami = oauth_world.run(*chosen, "whoami", "-f", "json")
    status, rows = _status_rows(oauth_world)

    assert printed.code == whoami.code == status.code == 4, (str(printed), str(whoami), str(status))
    assert printed.stdout == ""
    assert len(printed.error_lines) == 1 and "The token is invalid (HTTP 401" in printed.error_lines[0], str(printed)
    login = "skytells login" if profile is None else "skytells --profile work login"
    assert printed.error_lines[0].endswith(f"Run {login} again.")
    assert whoami.json()["token_status"].startswith("invalid")
    assert rows[profile or "default"]["status"].startswith("invalid")


def test_a_token_from_the_environment_is_checked_too(oauth_world, pat_world):
    sandbox, _tokens = pat_world
    revoked = oauth_world.secret(sandbox.issue_token())
    sandbox.revoke(revoked)

    printed = oauth_world.run("auth", "token", env={"SKYTELLS_TOKEN": revoked})

    assert printed.code == 4 and printed.stdout == "", str(printed)
    assert "SKYTELLS_TOKEN" in printed.stderr


def test_a_valid_answer_is_trusted_for_a_minute_and_an_invalid_one_never(oauth_world, pat_world):
    sandbox, tokens = pat_world

    first = oauth_world.run("auth", "token")
    second = oauth_world.run("auth", "token")
    assert first.stdout == second.stdout == tokens[None] + "\n"
    assert _checks(oauth_world, sandbox) == 1, "the second call asked again within the minute"

    sandbox.revoke(tokens[None])
    assert oauth_world.run("whoami").code == 4  # whoami always asks, and its "invalid" is remembered
    after = oauth_world.run("auth", "token")
    assert after.code == 4 and after.stdout == "", str(after)
    assert _checks(oauth_world, sandbox) == 3


def test_the_cache_holds_no_token(oauth_world, pat_world):
    _sandbox, tokens = pat_world
    assert oauth_world.run("auth", "token").code == 0
    assert oauth_world.run("--profile", "work", "auth", "token").code == 0

    path = oauth_world.cache_dir / "skytells" / "token-checks.json"
    text = path.read_text(encoding="utf-8")
    assert len(json.loads(text)) == 2
    for token in tokens.values():
        assert token not in text and token[7:19] not in text
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_no_check_prints_the_stored_token_without_asking(oauth_world, pat_world):
    sandbox, tokens = pat_world
    sandbox.revoke(tokens[None])

    printed = oauth_world.run("auth", "token", "--no-check")

    assert printed.code == 0 and printed.stdout == tokens[None] + "\n", str(printed)
    assert _checks(oauth_world, sandbox) == 0


def test_a_server_that_cannot_be_asked_gets_nothing_printed(oauth_world, pat_world):
    sandbox, _tokens = pat_world
    sandbox.stop()

    printed = oauth_world.run("auth", "token", env={"SKYTELLS_HTTP_TIMEOUT": "2"})

    assert printed.code == 1, str(printed)
    assert printed.stdout == ""
    assert len(printed.error_lines) == 1 and "could not be checked" in printed.error_lines[0], str(printed)
    assert "--no-check" in printed.error_lines[0]


@pytest.mark.parametrize("oidc", [False, True])
def test_a_standard_providers_token_is_judged_where_it_lives(oauth_world, oidc):
    sandbox = oauth_world.start_sandbox(oidc=oidc)
    oauth_world.login(sandbox)
    token = oauth_world.profile()["token"]

    printed = oauth_world.run("auth", "token")

    assert printed.code == 0 and printed.stdout == token + "\n", str(printed)
    if oidc:
        assert "not checked" not in printed.stderr
        sandbox.revoke(token)
        oauth_world.run("whoami")
        refused = oauth_world.run("auth", "token")
        assert refused.code == 4 and refused.stdout == "", str(refused)
    else:  # no userinfo: only the expiry is known, and it says so, as whoami does
        assert "The token was not checked (only its expiry is known" in printed.stderr
        assert "not checked" in oauth_world.run("whoami", "-f", "json").json()["token_status"]


def test_an_issuer_profile_shows_its_issuer_as_its_server(oauth_world):
    console = oauth_world.start_sandbox()  # SKYTELLS_API_URL points here
    issuer = oauth_world.start_sandbox(use=False, oidc=True)
    result = oauth_world.run("login", "--issuer", issuer.url, "--client-id", CLIENT_ID, "--no-browser")
    assert result.code == 0, str(result)

    whoami = oauth_world.run("whoami", "-f", "json")
    _status, rows = _status_rows(oauth_world)

    assert whoami.code == 0, str(whoami)
    assert whoami.json()["server"] == issuer.url and whoami.json()["issuer"] == issuer.url
    assert rows["default"]["server"] == issuer.url
    assert oauth_world.seen(console, "/api/v1/cli/projects") == []


@pytest.mark.parametrize("kind", ["pat", "issuer"])
@pytest.mark.parametrize("profile", [None, "work"])
def test_a_token_bound_to_another_server_is_refused_by_all_three(oauth_world, kind, profile):
    home = oauth_world.start_sandbox(oidc=True)
    chosen = () if profile is None else ("--profile", profile)
    if kind == "pat":
        assert oauth_world.run(*chosen, "login", "--token", input=oauth_world.secret(home.issue_token()) + "\n"
                               ).code == 0
    else:
        oauth_world.login(home, *chosen)
    other = oauth_world.start_sandbox(use=False)
    home.clear_requests()
    elsewhere = {"SKYTELLS_API_URL": other.url}

    whoami = oauth_world.run(*chosen, "whoami", env=elsewhere)
    printed = oauth_world.run(*chosen, "auth", "token", env=elsewhere)
    status, rows = _status_rows(oauth_world, env=elsewhere)

    assert whoami.code == printed.code == status.code == 4, (str(whoami), str(printed), str(status))
    assert printed.stdout == ""
    for result in (whoami, printed):
        assert f"issued for {home.url}, not {other.url}" in result.stderr
        assert "Unset SKYTELLS_API_URL" in result.stderr
    assert rows[profile or "default"]["status"] == (
        f"not used here (issued for {home.url}, not {other.url}; unset SKYTELLS_API_URL)")
    assert other.requests_seen == [] and home.requests_seen == []
    assert oauth_world.run(*chosen, "auth", "status", "--offline", env=elsewhere).code == 0
