"""whoami for an OpenID Connect profile shows the userinfo claims."""

from __future__ import annotations

import json


def test_whoami_shows_subject_name_and_email_from_userinfo(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True)
    oauth_world.login(sandbox)
    token = oauth_world.profile()["token"]

    result = oauth_world.run("whoami", "--json")

    assert result.code == 0, str(result)
    shown = json.loads(result.stdout)
    assert (shown["subject"], shown["name"], shown["email"]) == \
        ("user_sandbox", "Sandbox User", "sandbox-user@example.com")
    assert shown["issuer"] == sandbox.url and shown["profile"] == "default"
    assert shown["token_status"] == "valid" and shown["method"] == "device"
    (userinfo,) = oauth_world.seen(sandbox, "/oauth/userinfo")
    assert userinfo.method == "GET" and userinfo.header("Authorization") == f"Bearer {token}"


def test_whoami_after_expiry_reads_userinfo_with_the_refreshed_token(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True, token_lifetime=2)
    oauth_world.login(sandbox)
    sandbox.config.wall_clock.advance(3)

    result = oauth_world.run("whoami", "--json")

    assert result.code == 0, str(result)
    assert json.loads(result.stdout)["email"] == "sandbox-user@example.com"
    (userinfo,) = oauth_world.seen(sandbox, "/oauth/userinfo")
    assert userinfo.header("Authorization") == f"Bearer {oauth_world.profile()['token']}"
    assert sandbox.token_is_active(oauth_world.profile()["token"])


def test_whoami_without_openid_asks_no_userinfo(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=False)
    oauth_world.login(sandbox)

    result = oauth_world.run("whoami", "--json")

    assert result.code == 0, str(result)
    shown = json.loads(result.stdout)
    assert "subject" not in shown and "email" not in shown
    assert oauth_world.seen(sandbox, "/oauth/userinfo") == []
    # The Skytells console does not know a standard provider's token: it is not asked, and whoami says
    # honestly that only the expiry is known, without failing.
    assert oauth_world.seen(sandbox, "/api/v1/cli/projects") == []
    assert shown["token_status"] == "not checked (only its expiry is known: the grant has no openid scope)"
    assert shown["expires_at"][:4].isdigit()


def test_auth_status_and_whoami_judge_a_standard_provider_token_alike(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True)
    oauth_world.login(sandbox)
    for expected, code in (("valid", 0), ("invalid", 4)):
        whoami = oauth_world.run("whoami", "--json")
        status = oauth_world.run("auth", "status", "-f", "json")
        assert (whoami.code, status.code) == (code, code), str(whoami) + str(status)
        shown = json.loads(whoami.stdout)["token_status"]
        assert shown.split(" (")[0] == expected
        assert json.loads(status.stdout)[0]["status"] == shown
        sandbox.revoke(oauth_world.profile()["token"])
