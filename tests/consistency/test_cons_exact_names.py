"""Only a command's whole name runs it: an abbreviation or a typo is a usage error with suggestions.

cliff runs a command from any unambiguous abbreviation of its words
(``skytells logo -f`` logged out, ``skytells api rm`` removed the API key);
``skytells.cli.command_manager.LazyCommandManager.find_command`` takes whole
names only, so these are refused (exit 2, nothing done) with "Did you mean".
"""

from __future__ import annotations

import pytest

ABBREVIATIONS = [
    (("logo", "-f"), "logout"),
    (("logou",), "logout"),
    (("whoam",), "whoami"),
    (("who", "--offline"), "whoami"),
    (("api-k", "rm"), "api-key rm"),  # 'api rm' is now 'skytells api' with the path rm
    (("api-key", "r"), "api-key rm"),
    (("auth", "tok"), "auth token"),
    (("auth", "stat", "--offline"), "auth status"),
    (("plug",), "plugins"),
    (("lin", "-"), "link"),
]


@pytest.mark.parametrize(("typed", "meant"), ABBREVIATIONS, ids=[" ".join(typed) for typed, _ in ABBREVIATIONS])
def test_an_abbreviation_runs_nothing_and_suggests_the_command(e2e, e2e_logged_in, typed, meant):
    api_key = e2e.secret(e2e.sandbox.issue_api_key())
    assert e2e.run("api-key", "set", input=api_key + "\n").code == 0
    before = e2e.credentials_bytes()
    e2e.sandbox.clear_requests()

    result = e2e.run(*typed)

    assert result.code == 2, str(result)
    assert result.stdout == ""
    assert result.error_lines and "is not a" in result.error_lines[0], str(result)
    suggestions = [line.strip() for line in result.stderr.split("Did you mean one of these?\n", 1)[1].splitlines()]
    assert meant in suggestions, str(result)
    assert "usage:" not in result.stderr  # no command's usage line, abbreviated or not
    assert e2e.credentials_bytes() == before, "an abbreviation changed the stored credentials"
    assert e2e.sandbox.requests_seen == []


@pytest.mark.parametrize("typed", [("help", "whoam"), ("whoam", "--help"), ("help", "logo"), ("auth", "tok", "-h")])
def test_help_for_an_abbreviation_is_refused_too(e2e, typed):
    result = e2e.run(*typed)

    assert result.code == 2, str(result)
    assert result.stdout == ""
    assert "Did you mean" in result.stderr
    assert "usage: skytells whoam" not in result.stderr and "usage: skytells logo" not in result.stderr


@pytest.mark.parametrize("typed", [("whoami", "--offline"), ("auth", "status", "--offline"), ("api-key", "status")])
def test_whole_names_still_run(e2e, e2e_logged_in, typed):
    result = e2e.run(*typed)

    assert result.code in (0, 4), str(result)
    assert "is not a" not in result.stderr
