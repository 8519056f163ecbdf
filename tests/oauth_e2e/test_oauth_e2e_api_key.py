"""``skytells api-key set | status | rm`` against the sandbox's inference API (``GET /v1/models``)."""

from __future__ import annotations

import json
import secrets

import pytest


def _models_checks(world, sandbox) -> list[str | None]:
    return [seen.header("x-api-key") for seen in world.seen(sandbox, "/v1/models")]


@pytest.fixture
def oauth_all_credentials(oauth_world):
    """A token (pasted), a linked project key and an API key, all stored through the CLI."""
    sandbox = oauth_world.start_sandbox()
    token = oauth_world.secret(sandbox.issue_token())
    assert oauth_world.run("login", "--token", input=token + "\n").code == 0
    access_key = oauth_world.secret(sandbox.issue_project_key())
    assert oauth_world.run("link", "-", input=access_key + "\n").code == 0
    api_key = oauth_world.secret(sandbox.issue_api_key())
    assert oauth_world.run("api-key", "set", input=api_key + "\n").code == 0
    return sandbox, token, access_key, api_key


def test_api_key_set_from_stdin_is_checked_then_saved(oauth_world):
    sandbox = oauth_world.start_sandbox()
    key = oauth_world.secret(sandbox.issue_api_key())

    result = oauth_world.run("api-key", "set", input=key + "\n")

    assert result.code == 0, str(result)
    assert "API key saved" in result.stderr
    assert _models_checks(oauth_world, sandbox) == [key]
    (check,) = oauth_world.seen(sandbox, "/v1/models")
    assert check.method == "GET" and check.header("Authorization") is None
    assert oauth_world.credentials()["api_key"] == key


def test_api_key_set_on_a_terminal_uses_a_hidden_prompt(oauth_world):
    sandbox = oauth_world.start_sandbox()
    key = oauth_world.secret(sandbox.issue_api_key())

    session = oauth_world.spawn("api-key", "set")
    session.expect("Paste your API key")
    session.sendline(key)
    code = session.wait()

    assert code == 0, session.plain
    assert key not in session.plain  # also checked, piece by piece, by the canary
    assert "API key saved" in session.plain
    assert _models_checks(oauth_world, sandbox) == [key]
    assert oauth_world.credentials()["api_key"] == key


@pytest.mark.parametrize("how", ["stdin", "terminal"])
def test_a_refused_api_key_exits_4_and_is_not_stored(oauth_world, how):
    sandbox = oauth_world.start_sandbox()
    good = oauth_world.secret(sandbox.issue_api_key())
    assert oauth_world.run("api-key", "set", input=good + "\n").code == 0
    before = oauth_world.credentials_path.read_bytes()
    refused = oauth_world.secret("sbx_key_" + secrets.token_hex(24))

    if how == "stdin":
        result = oauth_world.run("api-key", "set", input=refused + "\n")
        code, text = result.code, result.output
    else:
        session = oauth_world.spawn("api-key", "set")
        session.expect("Paste your API key")
        session.sendline(refused)
        code, text = session.wait(), session.plain

    assert code == 4, text
    assert "refused" in text and "401" in text
    assert _models_checks(oauth_world, sandbox)[-1] == refused
    assert oauth_world.credentials_path.read_bytes() == before


def test_api_key_status_is_masked_and_names_its_source(oauth_world, oauth_all_credentials):
    sandbox, _token, _access_key, _api_key = oauth_all_credentials

    stored = oauth_world.run("api-key", "status", "-f", "json")
    other = oauth_world.secret(sandbox.issue_api_key())
    from_env = oauth_world.run("api-key", "status", "-f", "json", env={"SKYTELLS_API_KEY": other})

    assert stored.code == 0, str(stored)
    shown = json.loads(stored.stdout)
    assert shown["api_key"] == "********"
    assert shown["source"] == str(oauth_world.credentials_path)
    assert from_env.code == 0, str(from_env)
    assert json.loads(from_env.stdout) == {"api_key": "********", "source": "SKYTELLS_API_KEY"}


def test_api_key_status_without_a_key_exits_4(oauth_world):
    oauth_world.start_sandbox()

    result = oauth_world.run("api-key", "status")

    assert result.code == 4, str(result)
    assert "No API key" in result.stderr


def test_api_key_rm_keeps_the_token_and_the_project_key(oauth_world, oauth_all_credentials):
    _sandbox, token, access_key, _api_key = oauth_all_credentials
    before = oauth_world.credentials()

    result = oauth_world.run("api-key", "rm")

    assert result.code == 0, str(result)
    assert "API key removed" in result.stderr
    after = oauth_world.credentials()
    assert "api_key" not in after and "api_key" not in after.get("meta", {})
    assert (after["token"], after["access_key"]) == (token, access_key)
    assert after["meta"]["token"] == before["meta"]["token"]
    assert after["meta"]["access_key"] == before["meta"]["access_key"]
    assert oauth_world.run("api-key", "status").code == 4


def test_api_key_rm_says_the_environment_variable_cannot_be_removed(oauth_world, oauth_all_credentials):
    sandbox, token, _access_key, _api_key = oauth_all_credentials
    from_env = oauth_world.secret(sandbox.issue_api_key())

    result = oauth_world.run("api-key", "rm", env={"SKYTELLS_API_KEY": from_env})

    assert result.code == 0, str(result)
    assert "API key removed" in result.stderr
    assert "SKYTELLS_API_KEY" in result.stderr and "cannot remove it" in result.stderr
    assert "api_key" not in oauth_world.credentials()
    assert oauth_world.credentials()["token"] == token
