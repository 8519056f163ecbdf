"""A stored credential is only sent to the server it was issued for."""

from __future__ import annotations

import pytest


@pytest.fixture
def oauth_two_servers(oauth_world):
    """Logged in (standard device grant, OpenID Connect) with sandbox A; sandbox B is another server."""
    server_a = oauth_world.start_sandbox(oidc=True)
    oauth_world.login(server_a)
    server_b = oauth_world.start_sandbox(use=False)
    return server_a, server_b


@pytest.mark.parametrize("command", [("whoami",), ("auth", "token")])
def test_a_credential_is_refused_for_another_server(oauth_world, oauth_two_servers, command):
    server_a, server_b = oauth_two_servers
    server_a.clear_requests()

    result = oauth_world.run(*command, env={"SKYTELLS_API_URL": server_b.url})

    assert result.code == 4, str(result)
    assert result.stdout == ""
    assert f"issued for {server_a.url}, not {server_b.url}" in result.stderr
    assert "--profile" in result.stderr and "SKYTELLS_API_URL" in result.stderr
    assert server_b.requests_seen == [], "sandbox B was sent something"
    assert server_a.requests_seen == []


def test_a_profile_talks_to_its_own_server_when_no_url_is_set(oauth_world, oauth_two_servers):
    server_a, _server_b = oauth_two_servers
    token = oauth_world.profile()["token"]
    server_a.clear_requests()

    whoami = oauth_world.run("whoami", env={"SKYTELLS_API_URL": None})
    printed = oauth_world.run("auth", "token", env={"SKYTELLS_API_URL": None})

    assert whoami.code == 0, str(whoami)
    checks = [seen.header("Authorization") for seen in oauth_world.seen(server_a, "/oauth/userinfo")]
    assert checks == [f"Bearer {token}"]  # checked where it was issued
    assert printed.code == 0, str(printed)
    assert printed.stdout == token + "\n"


def test_a_token_from_the_environment_is_sent_where_the_user_says(oauth_world, oauth_two_servers):
    _server_a, server_b = oauth_two_servers
    chosen = oauth_world.secret(server_b.issue_token())

    result = oauth_world.run("whoami", env={"SKYTELLS_API_URL": server_b.url, "SKYTELLS_TOKEN": chosen})

    assert result.code == 0, str(result)
    assert "SKYTELLS_TOKEN" in result.stdout
    sent = [seen.header("Authorization") for seen in server_b.requests_seen]
    assert sent == [f"Bearer {chosen}"]
