"""``skytells login --method workload``: a CI job's ID token exchanged for an access token, with no stored secret."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

from skytells.testing import find_leaks

CLIENT_ID = "skytells-cli"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
DEFAULT_SCOPES = "inference projects.read deployments.read account.read"
LOGIN_AGAIN = "Run skytells login --method workload again"


def _one_error_line(result) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def _nothing_stored(world) -> None:
    assert "token" not in world.credentials()


def test_in_github_actions_the_cli_fetches_the_id_token_and_exchanges_it(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()
    actions = world.actions(sandbox)

    result = world.login(sandbox, env=actions)

    assert result.code == 0, str(result)
    asked = world.seen(sandbox, "/_sandbox/actions/id-token")
    assert len(asked) == 1
    assert parse_qs(asked[0].query) == {"api-version": ["2.0"], "audience": [CLIENT_ID]}
    assert asked[0].header("Authorization") == "Bearer " + actions["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
    [form] = world.exchanges(sandbox)
    world.secret(form["subject_token"][0])
    assert form["subject_token_type"] == [ID_TOKEN_TYPE]
    assert form["requested_token_type"] == [ACCESS_TOKEN_TYPE]
    assert form["client_id"] == [CLIENT_ID]
    assert form["scope"] == [DEFAULT_SCOPES]
    assert "audience" not in form
    stored = world.credentials()
    assert sandbox.token_is_active(stored["token"])
    assert "refresh_token" not in stored
    meta = stored["meta"]["token"]
    assert meta["method"] == "workload" and meta["issuer"] == sandbox.url and meta["client_id"] == CLIENT_ID
    assert meta["expires_at"] > meta["saved_at"]
    assert meta["renewal"] == {"id_token_source": "github", "subject_token_type": ID_TOKEN_TYPE}

    printed = world.run("auth", "token", env=actions)
    assert printed.code == 0 and printed.stdout == stored["token"] + "\n"
    # Neither the ID token nor GitHub's request token is kept in any file.
    assert find_leaks(world.files_text(), [form["subject_token"][0], actions["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]]) == []


def test_audience_is_asked_of_github_and_sent_with_the_exchange(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()

    result = world.login(sandbox, "--audience", "api://skytells", env=world.actions(sandbox))

    assert result.code == 0, str(result)
    [asked] = world.seen(sandbox, "/_sandbox/actions/id-token")
    assert parse_qs(asked.query)["audience"] == ["api://skytells"]
    [form] = world.exchanges(sandbox)
    assert form["audience"] == ["api://skytells"]
    assert world.credentials()["meta"]["token"]["renewal"]["audience"] == "api://skytells"


def test_id_token_from_a_file(workload_world, tmp_path):
    world = workload_world
    sandbox = world.start_sandbox()
    path = tmp_path / "id_token"
    path.write_text(world.id_token(sandbox) + "\n", encoding="utf-8")

    result = world.login(sandbox, "--id-token-file", str(path), "--scopes", "inference")

    assert result.code == 0, str(result)
    assert world.seen(sandbox, "/_sandbox/actions/id-token") == []
    [form] = world.exchanges(sandbox)
    assert form["scope"] == ["inference"]
    meta = world.credentials()["meta"]["token"]
    assert meta["renewal"] == {"id_token_source": "file", "id_token_path": str(path),
                               "subject_token_type": ID_TOKEN_TYPE}
    assert meta["scopes"] == ["inference"]


def test_id_token_from_an_environment_variable_wins_over_github(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()
    env = {**world.actions(sandbox), "SKYTELLS_ID_TOKEN": world.id_token(sandbox)}

    result = world.login(sandbox, "--id-token-env", "SKYTELLS_ID_TOKEN", "--json", env=env)

    assert result.code == 0, str(result)
    event = json.loads(result.stdout.splitlines()[-1])
    assert event["event"] == "authenticated" and event["method"] == "workload"
    assert world.seen(sandbox, "/_sandbox/actions/id-token") == []  # the option chose the source
    assert world.credentials()["meta"]["token"]["renewal"]["id_token_variable"] == "SKYTELLS_ID_TOKEN"


def test_subject_token_type_can_be_overridden(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()
    jwt_type = "urn:ietf:params:oauth:token-type:jwt"

    result = world.login(sandbox, "--subject-token-type", jwt_type, env=world.actions(sandbox))

    assert result.code == 0, str(result)
    assert world.exchanges(sandbox)[0]["subject_token_type"] == [jwt_type]


def test_without_any_id_token_source_it_says_what_to_do(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()

    result = world.login(sandbox)

    assert result.code == 2
    line = _one_error_line(result)
    assert "no CI ID token" in line and "--id-token-env" in line and "id-token: write" in line
    assert world.seen(sandbox, "/oauth/token") == []
    _nothing_stored(world)


def test_an_unset_variable_is_a_usage_error(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()

    result = world.login(sandbox, "--id-token-env", "NOT_SET_HERE")

    assert result.code == 2
    assert "$NOT_SET_HERE is not set" in _one_error_line(result)
    assert world.seen(sandbox, "/oauth/token") == []
    _nothing_stored(world)


def test_an_issuer_without_the_exchange_grant_gets_no_token_request(workload_world):
    world = workload_world
    sandbox = world.start_sandbox(token_exchange=False)

    result = world.login(sandbox, env=world.actions(sandbox))

    assert result.code == 2
    line = _one_error_line(result)
    assert "does not offer OAuth 2.0 token exchange" in line
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in line and "grant_types_supported" in line
    assert world.seen(sandbox, "/oauth/token") == []
    assert world.seen(sandbox, "/_sandbox/actions/id-token") == [], "no ID token is fetched that cannot be used"
    _nothing_stored(world)


@pytest.mark.parametrize(("settings", "extra", "error"), [
    ({}, ("--audience", "api://other"), "invalid_grant"),  # the ID token (for the client id) is not for it
    ({"exchange_audiences": ("api://skytells",)}, ("--audience", "api://other"), "invalid_target"),
    ({"client_ids": (CLIENT_ID, "ci-only"), "exchange_clients": ("ci-only",)}, (), "unauthorized_client"),
])
def test_a_refused_exchange_is_one_line_exit_4_and_nothing_stored(workload_world, tmp_path, settings, extra, error):
    world = workload_world
    sandbox = world.start_sandbox(**settings)
    path = tmp_path / "id_token"
    path.write_text(world.id_token(sandbox), encoding="utf-8")

    result = world.login(sandbox, "--id-token-file", str(path), *extra)

    assert result.code == 4, str(result)
    line = _one_error_line(result)
    assert "refused the token exchange" in line and error in line
    assert len(world.exchanges(sandbox)) == 1
    _nothing_stored(world)


def test_an_expired_id_token_is_refused(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()

    result = world.login(sandbox, "--id-token-env", "CI_ID_TOKEN",
                         env={"CI_ID_TOKEN": world.id_token(sandbox, lifetime=-1)})

    assert result.code == 4
    assert "invalid_grant" in _one_error_line(result)
    _nothing_stored(world)


def test_github_refusing_the_request_token_says_which_permission_is_needed(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()
    env = {**world.actions(sandbox), "ACTIONS_ID_TOKEN_REQUEST_TOKEN": world.secret("sbx_ghrt_" + "0" * 48)}

    result = world.login(sandbox, env=env)

    assert result.code == 4
    assert "id-token: write" in _one_error_line(result)
    assert world.seen(sandbox, "/oauth/token") == []
    _nothing_stored(world)


def test_an_expired_token_is_exchanged_again_while_the_source_is_there(workload_world):
    world = workload_world
    sandbox = world.start_sandbox(token_lifetime=2)
    actions = world.actions(sandbox)
    assert world.login(sandbox, env=actions).code == 0
    first = world.credentials()["token"]
    sandbox.config.wall_clock.advance(3)
    assert not sandbox.token_is_active(first)

    printed = world.run("auth", "token", env=actions)

    assert printed.code == 0, str(printed)
    second = world.credentials()["token"]
    assert second != first and printed.stdout == second + "\n"
    assert sandbox.token_is_active(second)
    assert len(world.exchanges(sandbox)) == 2
    assert world.credentials()["meta"]["token"]["method"] == "workload"

    sandbox.config.wall_clock.advance(3)
    shown = world.run("whoami", "-f", "json", env=actions)
    assert shown.code == 0, str(shown)
    assert len(world.exchanges(sandbox)) == 3
    assert json.loads(shown.stdout)["method"] == "workload"


def test_once_the_source_is_gone_an_expired_token_says_how_to_log_in_again(workload_world):
    world = workload_world
    sandbox = world.start_sandbox(token_lifetime=2)
    assert world.login(sandbox, "--id-token-env", "CI_ID_TOKEN",
                       env={"CI_ID_TOKEN": world.id_token(sandbox)}).code == 0
    sandbox.config.wall_clock.advance(3)

    for args in (("auth", "token"), ("whoami",)):
        result = world.run(*args)
        assert result.code == 4, str(result)
        line = _one_error_line(result)
        assert "expired" in line and "$CI_ID_TOKEN is not set here" in line and LOGIN_AGAIN in line
        assert result.stdout == "" or args == ("whoami",)
    assert len(world.exchanges(sandbox)) == 1


def test_logout_revokes_the_exchanged_token(workload_world):
    world = workload_world
    sandbox = world.start_sandbox()
    assert world.login(sandbox, env=world.actions(sandbox)).code == 0
    token = world.credentials()["token"]

    result = world.run("logout", "--force")

    assert result.code == 0, str(result)
    assert not sandbox.token_is_active(token)
    [revoked] = world.seen(sandbox, "/oauth/revoke")
    assert world.form(revoked)["token"] == [token]
    assert "confirmed the token is revoked" in result.stderr
    _nothing_stored(world)


def test_with_debug_and_a_log_file_no_ci_secret_is_shown_or_logged(workload_world, tmp_path):
    world = workload_world
    sandbox = world.start_sandbox(token_lifetime=2, exchange_audiences=("api://skytells",))
    actions = world.actions(sandbox)
    log = tmp_path / "skytells.log"
    world.log_files.append(log)
    debug = ("--debug", "-vv", "--log-file", str(log))

    assert world.run(*debug, "login", "--method", "workload", "--issuer", sandbox.url, "--client-id", CLIENT_ID,
                     env=actions).code == 0
    sandbox.config.wall_clock.advance(3)
    assert world.run(*debug, "whoami", env=actions).code == 0  # exchanged again, in the log's sight
    refused = world.run(*debug, "login", "--method", "workload", "--issuer", sandbox.url, "--client-id", CLIENT_ID,
                        "--audience", "api://other", env=actions)
    assert refused.code == 4

    for form in world.exchanges(sandbox):
        world.secret(form["subject_token"][0])
    assert log.exists() and log.stat().st_size > 0
    # The canary (at the fixture's end) searches every run's output and the log for the ID tokens, the request
    # token and the access tokens; the files too:
    secrets = [form["subject_token"][0] for form in world.exchanges(sandbox)]
    assert find_leaks(world.files_text(), [*secrets, actions["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]]) == []
