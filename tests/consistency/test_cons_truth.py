"""Rules 1 and 3: exit codes mean the same in every command, and whoami and auth status tell one truth."""

from __future__ import annotations

import json

import pytest


def _status_and_whoami(e2e, **options):
    status = e2e.run("auth", "status", "-f", "json", **options)
    whoami = e2e.run("whoami", "--json", **options)
    return status, whoami


def test_valid_invalid_and_unreachable_give_the_same_exit_code_in_both(e2e):
    sandbox = e2e.start_sandbox()
    token = e2e.issue_token()
    assert e2e.run("login", "--token", input=token + "\n").code == 0
    outcomes = []
    status, whoami = _status_and_whoami(e2e)
    outcomes.append(("valid", status, whoami))
    sandbox.revoke(token)
    status, whoami = _status_and_whoami(e2e)
    outcomes.append(("invalid", status, whoami))
    sandbox.stop()
    status, whoami = _status_and_whoami(e2e)
    outcomes.append(("could not be checked", status, whoami))
    for expected, status, whoami in outcomes:
        code = {"valid": 0, "invalid": 4, "could not be checked": 1}[expected]
        assert (status.code, whoami.code) == (code, code), (expected, status, whoami)
        shown = json.loads(whoami.stdout)["token_status"]
        assert shown.split(" (")[0] == expected
        assert json.loads(status.stdout)[0]["status"] == shown  # the same words, caveats included
        assert "run with --debug" not in status.stderr + whoami.stderr


def test_a_token_lacking_projects_read_has_the_same_caveat_in_both(e2e):
    e2e.start_sandbox()
    token = e2e.secret(e2e.sandbox.issue_token(("inference",)))
    assert e2e.run("login", "--token", input=token + "\n").code == 0
    status, whoami = _status_and_whoami(e2e)
    assert (status.code, whoami.code) == (0, 0)
    assert json.loads(whoami.stdout)["token_status"] == "valid, lacks projects.read"
    assert json.loads(status.stdout)[0]["status"] == "valid, lacks projects.read"


@pytest.mark.parametrize("source", ["stored", "environment"])
def test_whoami_without_a_token_still_shows_the_keys_that_are_there(e2e, source):
    e2e.start_sandbox()
    key = e2e.issue_project_key("Image Lab")
    env = {}
    if source == "stored":
        assert e2e.run("link", "-", input=key + "\n").code == 0
    else:
        env = {"SKYTELLS_ACCESS_KEY": key}
    result = e2e.run("whoami", "--json", env=env)
    assert result.code == 4, result
    shown = json.loads(result.stdout)
    assert shown["token"] is None and shown["token_status"] == "not logged in"
    assert shown["project_key"] == "sk_proj_********" and shown["project"].startswith("Image Lab")
    assert result.error_lines == ["error: You are not logged in. Run skytells login (or set SKYTELLS_TOKEN)."]
    nothing = e2e.run("whoami", "--json", env={"SKYTELLS_ACCESS_KEY": None})
    if source == "environment":  # with nothing at all, only the error (as JSON, since JSON was asked for)
        assert nothing.code == 4
        assert json.loads(nothing.stdout)["error"]["reason"] == "not_logged_in"


@pytest.mark.parametrize("command", [("whoami",), ("auth", "token"), ("logout",), ("api-key", "status")])
def test_a_profile_that_does_not_exist_is_named_with_the_ones_that_do(e2e, command):
    e2e.start_sandbox()
    assert e2e.run("--profile", "work", "login", "--token", input=e2e.issue_token() + "\n").code == 0
    result = e2e.run("--profile", "nope", *command)
    if command == ("logout",):  # nothing to log out of is not an error, but says where it looked
        assert result.code == 0 and "(profile nope)" in result.stderr
        return
    if command == ("api-key", "status"):
        assert result.code == 4
        assert result.error_lines == ["error: No API key is set in profile 'nope'. "
                                      "Run skytells --profile nope api-key set (or set SKYTELLS_API_KEY)."]
        return
    assert result.code == 4
    assert result.error_lines == ["error: There is no profile 'nope' (profiles: work). "
                                  "Run skytells --profile nope login to create it."]
