"""Revocation on logout (RFC 7009), and an honest report when the server cannot revoke."""

from __future__ import annotations


def test_logout_revokes_refresh_and_access_tokens_at_the_issuer(oauth_world):
    sandbox = oauth_world.start_sandbox()
    oauth_world.login(sandbox)
    stored = oauth_world.profile()
    assert sandbox.token_is_active(stored["token"])

    result = oauth_world.run("logout", "--force")

    assert result.code == 0, str(result)
    assert not sandbox.token_is_active(stored["token"])
    assert not sandbox.refresh_token_is_active(stored["refresh_token"])
    assert {r.reason for r in sandbox.revocations} == {"revocation_endpoint"}
    revoked = {oauth_world.form(seen)["token"][0]: oauth_world.form(seen)
               for seen in oauth_world.seen(sandbox, "/oauth/revoke")}
    assert set(revoked) == {stored["token"], stored["refresh_token"]}
    for form in revoked.values():
        assert form["client_id"] == ["skytells-cli"]
    assert revoked[stored["refresh_token"]]["token_type_hint"] == ["refresh_token"]
    assert "confirmed the token is revoked" in result.stderr
    assert "stays valid" not in result.stderr
    data = oauth_world.credentials()
    assert "token" not in data and "refresh_token" not in data
    assert oauth_world.run("auth", "token").code == 4


def test_logout_with_the_issuer_unreachable_removes_locally_and_says_the_token_stays_valid(oauth_world):
    sandbox = oauth_world.start_sandbox()
    oauth_world.login(sandbox)
    sandbox.stop()  # the issuer is unreachable: nothing can be confirmed

    result = oauth_world.run("logout", "--force")

    assert result.code == 0, str(result)
    assert "could not revoke" in result.stderr and "stays valid" in result.stderr
    assert "confirmed" not in result.stderr
    assert "token" not in oauth_world.credentials(), "the local credentials must go either way"


def test_logout_of_a_personal_access_token_says_it_stays_valid(oauth_world):
    sandbox = oauth_world.start_sandbox()
    token = oauth_world.secret(sandbox.issue_token())
    assert oauth_world.run("login", "--token", input=token + "\n").code == 0

    result = oauth_world.run("logout", "--force")

    assert result.code == 0, str(result)
    assert "stays valid" in result.stderr and "settings/tokens" in result.stderr
    assert "confirmed" not in result.stderr
    assert sandbox.token_is_active(token)  # the CLI did not pretend otherwise
    assert oauth_world.seen(sandbox, "/oauth/revoke") == []
    assert "token" not in oauth_world.credentials()
