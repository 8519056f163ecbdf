"""Each kind of credential, sent where it belongs; refresh before expiry and once after a 401."""

from __future__ import annotations

import json

LIFETIME = 2


def bearers(sandbox, path: str) -> list[str | None]:
    return [seen.header("Authorization") for seen in sandbox.requests_seen if seen.path == path]


def test_the_stored_user_token_goes_to_the_console(e2e, e2e_logged_in):
    e2e.sandbox.clear_requests()
    result = e2e.run("api", "/api/v1/cli/projects")
    assert result.code == 0, result
    assert [project["slug"] for project in json.loads(result.stdout)["data"]] == ["image-studio", "support-assistant"]
    assert bearers(e2e.sandbox, "/api/v1/cli/projects") == [f"Bearer {e2e_logged_in}"]


def test_skytells_token_from_the_environment_wins(e2e, e2e_logged_in):
    other = e2e.issue_token()
    e2e.sandbox.clear_requests()
    assert e2e.run("api", "/api/v1/cli/projects", env={"SKYTELLS_TOKEN": other}).code == 0
    assert bearers(e2e.sandbox, "/api/v1/cli/projects") == [f"Bearer {other}"]


def test_without_a_token_it_is_not_logged_in(e2e):
    result = e2e.run("api", "/api/v1/cli/projects")
    assert result.code == 4
    assert result.error_lines == ["error: You are not logged in. Run skytells login (or set SKYTELLS_TOKEN)."]
    assert e2e.sandbox.requests_seen == []


def test_a_refused_token_exits_4_without_a_retry(e2e, e2e_logged_in):
    e2e.sandbox.revoke(e2e_logged_in)
    e2e.sandbox.clear_requests()
    result = e2e.run("api", "/api/v1/cli/projects")
    assert result.code == 4, result
    assert "refused the user token (HTTP 401: Token is invalid or expired)" in result.stderr
    assert "Run skytells login again" in result.stderr
    assert len(bearers(e2e.sandbox, "/api/v1/cli/projects")) == 1  # a personal token cannot be refreshed


def test_project_sends_the_project_access_key(e2e):
    key = e2e.issue_project_key("Linked")
    assert e2e.run("link", "-", input=key + "\n").code == 0
    e2e.sandbox.clear_requests()
    result = e2e.run("api", "--project", "/api/v1/cli/project")
    assert result.code == 0, result
    assert json.loads(result.stdout)["data"]["name"] == "Linked"
    assert bearers(e2e.sandbox, "/api/v1/cli/project") == [f"Bearer {key}"]
    missing = e2e.run("--profile", "other", "api", "--project", "/api/v1/cli/project")
    assert missing.code == 4
    assert "No project access key is linked in profile 'other'" in missing.stderr


def test_inference_sends_the_api_key_as_x_api_key(e2e):
    key = e2e.secret(e2e.sandbox.issue_api_key())
    assert e2e.run("api-key", "set", input=key + "\n").code == 0
    e2e.sandbox.clear_requests()
    result = e2e.run("api", "--inference", "models")
    assert result.code == 0, result
    assert "sandbox-image-1" in {model["namespace"] for model in json.loads(result.stdout)["data"]}
    (seen,) = e2e.sandbox.requests_seen
    assert (seen.path, seen.header("x-api-key"), seen.header("Authorization")) == ("/v1/models", key, None)
    from_env = e2e.run("api", "--inference", "/models/sandbox-text-1",
                       env={"SKYTELLS_API_KEY": e2e.secret(e2e.sandbox.issue_api_key())})
    assert from_env.code == 0 and json.loads(from_env.stdout)["type"] == "text"


def test_inference_without_a_key_and_with_a_refused_one(e2e):
    missing = e2e.run("api", "--inference", "models")
    assert missing.code == 4
    assert missing.error_lines == ["error: No API key is set. Run skytells api-key set (or set SKYTELLS_API_KEY)."]
    key = e2e.secret(e2e.sandbox.issue_api_key())
    e2e.sandbox.revoke(key)
    refused = e2e.run("api", "--inference", "models", env={"SKYTELLS_API_KEY": key})
    assert refused.code == 4
    assert "refused the API key (HTTP 401: Invalid API key)" in refused.stderr


def test_an_absolute_url_picks_the_api_whose_origin_it_is(e2e, e2e_logged_in):
    e2e.sandbox.clear_requests()
    assert e2e.run("api", e2e.sandbox.url + "/api/v1/cli/projects").code == 0
    assert bearers(e2e.sandbox, "/api/v1/cli/projects") == [f"Bearer {e2e_logged_in}"]


# -- a standard provider's token: the issuer's API, refresh on expiry and after a 401 ----------------------


def test_issuer_sends_the_providers_token_to_its_origin(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True)
    oauth_world.login(sandbox)
    token = oauth_world.profile()["token"]
    result = oauth_world.run("api", "--issuer", "/oauth/userinfo")
    assert result.code == 0, result
    assert json.loads(result.stdout)["sub"] == "user_sandbox"
    assert [seen.header("Authorization") for seen in oauth_world.seen(sandbox, "/oauth/userinfo")] \
        == [f"Bearer {token}"]
    assert oauth_world.run("api", sandbox.url + "/oauth/userinfo").code == 0  # its origin, without the flag


def test_issuer_needs_a_providers_token(e2e, e2e_logged_in):
    result = e2e.run("api", "--issuer", "/oauth/userinfo")
    assert result.code == 2
    assert "not from a standard OAuth provider" in result.stderr


def test_an_expired_token_is_refreshed_before_the_request(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True, token_lifetime=LIFETIME)
    oauth_world.login(sandbox)
    old = oauth_world.profile()
    sandbox.config.wall_clock.advance(LIFETIME + 1)
    result = oauth_world.run("api", "--issuer", "/oauth/userinfo")
    assert result.code == 0, result
    new = oauth_world.profile()
    assert new["token"] != old["token"] and new["refresh_token"] != old["refresh_token"]
    assert len(oauth_world.refresh_forms(sandbox)) == 1
    assert [seen.header("Authorization") for seen in oauth_world.seen(sandbox, "/oauth/userinfo")] \
        == [f"Bearer {new['token']}"]


def test_a_401_refreshes_once_and_sends_again(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True, token_lifetime=3600)
    oauth_world.login(sandbox)
    old = oauth_world.profile()
    sandbox.revoke(old["token"])  # refused by the server long before its expiry
    result = oauth_world.run("api", "/api/v1/cli/projects")
    assert result.code == 0, result
    new = oauth_world.profile()
    assert new["token"] != old["token"]
    assert [seen.header("Authorization") for seen in oauth_world.seen(sandbox, "/api/v1/cli/projects")] \
        == [f"Bearer {old['token']}", f"Bearer {new['token']}"]
    assert len(oauth_world.refresh_forms(sandbox)) == 1


def test_a_401_after_the_refresh_is_not_retried_again(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True, token_lifetime=3600)
    oauth_world.login(sandbox)
    # /api/v1/cli/project takes a project access key only: every user token is refused there.
    result = oauth_world.run("api", "/api/v1/cli/project")
    assert result.code == 4, result
    assert len(result.error_lines) == 1
    assert len(oauth_world.seen(sandbox, "/api/v1/cli/project")) == 2  # the first try, one after one refresh
    assert len(oauth_world.refresh_forms(sandbox)) == 1


def test_a_refused_refresh_exits_4(oauth_world):
    sandbox = oauth_world.start_sandbox(oidc=True, token_lifetime=3600)
    oauth_world.login(sandbox)
    stored = oauth_world.profile()
    sandbox.revoke(stored["token"])
    sandbox.revoke(stored["refresh_token"])
    result = oauth_world.run("api", "--issuer", "/oauth/userinfo")
    assert result.code == 4, result
    assert len(result.error_lines) == 1 and "refused to refresh the session" in result.stderr
