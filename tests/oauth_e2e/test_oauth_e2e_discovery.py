"""Logging in with a standard authorization server found through its metadata."""

from __future__ import annotations

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _check_standard_requests(world, sandbox, *, openid: bool) -> None:
    """The device grant ran the standard way: forms, client_id in the body, space-separated scopes."""
    (device,) = world.seen(sandbox, "/oauth/device_authorization")
    assert device.method == "POST"
    assert device.header("Content-Type").startswith("application/x-www-form-urlencoded")
    form = world.form(device)
    assert form["client_id"] == ["skytells-cli"]
    (scope,) = form["scope"]
    scopes = scope.split(" ")
    assert "," not in scope and "offline_access" in scopes and "projects.read" in scopes
    assert ("openid" in scopes) is openid
    polls = world.seen(sandbox, "/oauth/token")
    assert polls, "the token endpoint was never polled"
    for poll in polls:
        assert poll.header("Content-Type").startswith("application/x-www-form-urlencoded")
        assert world.form(poll)["client_id"] == ["skytells-cli"]
        assert world.form(poll)["grant_type"] == [DEVICE_GRANT]
    # Nothing went to the console's private dialect.
    assert not world.seen(sandbox, "/api/oauth/device") and not world.seen(sandbox, "/api/oauth/token")


def test_login_with_issuer_flags_uses_rfc8414_metadata_and_standard_requests(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.login(sandbox)

    assert "Authenticated successfully" in result.stderr
    paths = [seen.path for seen in sandbox.requests_seen]
    assert paths[0] == "/.well-known/oauth-authorization-server"
    assert "/.well-known/openid-configuration" not in paths
    _check_standard_requests(oauth_world, sandbox, openid=False)
    stored = oauth_world.profile()
    assert sandbox.token_is_active(stored["token"])
    assert sandbox.refresh_token_is_active(stored["refresh_token"])
    facts = stored["meta"]["token"]
    assert facts["issuer"] == sandbox.url and facts["client_id"] == "skytells-cli"
    assert "offline_access" in facts["scopes"] and isinstance(facts["expires_at"], int)


def test_login_with_issuer_from_the_environment(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.run("login", "--no-browser",
                             env={"SKYTELLS_ISSUER": sandbox.url, "SKYTELLS_CLIENT_ID": "skytells-cli"})

    assert result.code == 0, str(result)
    _check_standard_requests(oauth_world, sandbox, openid=False)
    assert oauth_world.profile()["meta"]["token"]["issuer"] == sandbox.url
    assert sandbox.token_is_active(oauth_world.profile()["token"])


def test_login_falls_back_to_openid_connect_discovery(oauth_world):
    sandbox = oauth_world.start_sandbox(oauth_metadata=False, oidc=True)

    oauth_world.login(sandbox)

    paths = [seen.path for seen in sandbox.requests_seen]
    assert paths[:2] == ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]
    _check_standard_requests(oauth_world, sandbox, openid=True)
    stored = oauth_world.profile()
    assert "openid" in stored["meta"]["token"]["scopes"]
    assert sandbox.token_is_active(stored["token"])


def test_unknown_client_id_fails_clearly_and_stores_nothing(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.run("login", "--issuer", sandbox.url, "--client-id", "not-registered", "--no-browser")

    assert result.code == 4, str(result)
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert "does not know the client id 'not-registered'" in error_lines[0]
    assert "--client-id" in error_lines[0]
    assert not oauth_world.seen(sandbox, "/oauth/token")
    assert not oauth_world.credentials_path.exists()


def test_issuer_without_client_id_is_a_usage_error(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.run("login", "--issuer", sandbox.url, "--no-browser")

    assert result.code == 2, str(result)
    assert "client id" in result.stderr and "SKYTELLS_CLIENT_ID" in result.stderr
    assert sandbox.requests_seen == []


def test_metadata_naming_another_issuer_is_refused(oauth_world):
    sandbox = oauth_world.start_sandbox()
    # The same server reached as "localhost": its metadata names http://127.0.0.1:PORT, another issuer.
    other_name = sandbox.url.replace("127.0.0.1", "localhost")

    result = oauth_world.run("login", "--issuer", other_name, "--client-id", "skytells-cli", "--no-browser")

    assert result.code != 0, str(result)
    assert "different issuer" in result.stderr
    assert [seen.path for seen in sandbox.requests_seen] == ["/.well-known/oauth-authorization-server"]
    assert not oauth_world.credentials_path.exists()


def test_skytells_issuer_does_not_stop_a_pasted_token_login(oauth_world):
    sandbox = oauth_world.start_sandbox()
    pat = oauth_world.secret(sandbox.issue_token())
    issuer_env = {"SKYTELLS_ISSUER": sandbox.url, "SKYTELLS_CLIENT_ID": "skytells-cli"}

    pasted = oauth_world.run("login", "--token", input=pat + "\n", env=issuer_env)
    both = oauth_world.run("login", "--token", "--issuer", sandbox.url, "--client-id", "skytells-cli",
                           input=pat + "\n")

    assert pasted.code == 0, str(pasted)
    stored = oauth_world.profile()
    assert stored["token"] == pat and "issuer" not in stored["meta"]["token"]
    owners = "'device', 'browser' and 'workload' login methods"  # the browser and workload logins take --issuer too
    assert both.code == 2 and f"--issuer is an option of the {owners}" in both.stderr, str(both)
    assert not oauth_world.seen(sandbox, "/.well-known/oauth-authorization-server")
