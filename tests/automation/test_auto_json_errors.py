"""Rule: with ``--json`` or ``-f json``, every command's failure is one JSON error object on stdout.

For every command of the entry points, in every JSON spelling it accepts,
and every failure that can be provoked (bad usage, not logged in, server
down, unreadable store, bad ``-c`` column): stdout is exactly one object
``{"error": {"reason", "message", "hint", "exit_code"}}``, ``exit_code`` is
the process's exit status and agrees with the documented reason, stderr still
has its one ``error:`` line, and no secret shows (the canary checks every run).
"""

from __future__ import annotations

import json
import re
from importlib.metadata import entry_points

import pytest

from skytells.cli.json_errors import REASONS
from skytells.exitcodes import ExitCode

#: The commands of the entry points (``skytells.commands``) of this distribution, as typed.
COMMANDS = sorted(ep.name.replace("_", " ") for ep in entry_points(group="skytells.commands")
                  if ep.dist is not None and ep.dist.name == "skytells-cli")
#: What each command needs besides options to run: its arguments, and what it reads on stdin.
INVOCATIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "api": (("/api/v1/cli/projects",), None),
    "api-key rm": ((), None),
    "api-key set": ((), "API_KEY"),
    "api-key status": ((), None),
    "auth doctor": ((), None),
    "auth status": ((), None),
    "auth switch": (("default",), None),
    "auth token": ((), None),
    "link": (("-",), "PROJECT_KEY"),
    "login": (("--token",), "TOKEN"),
    "logout": (("--force",), None),
    "plugins": ((), None),
    "whoami": ((), None),
}
#: The ways to ask for JSON; each command is tried with those its help lists.
SPELLINGS = {"--json": ("--json",), "-f json": ("-f", "json"), "--format=json": ("--format=json",),
             "-fjson": ("-fjson",)}
FAILURES = ("bad usage", "not logged in", "server down", "unreadable store", "bad column")
#: Commands that must fail in each situation (others may succeed; when they fail, the same rule holds).
MUST_FAIL = {
    "bad usage": set(INVOCATIONS),
    "not logged in": {"whoami", "auth status", "auth token", "api-key status", "auth switch"},
    "server down": {"whoami", "login", "link", "api-key set"},
    "unreadable store": {"whoami", "auth status", "auth token", "logout", "login", "link", "api-key set",
                         "api-key status", "api-key rm", "auth switch"},
    "bad column": {"whoami", "auth status", "plugins"},
}
#: Display commands whose rows are a verdict (a failed check, an invalid token): they print them, as JSON when
#: asked, and exit non-zero without an error object. Their errors (nothing to show) are error objects.
REPORTS = {"auth doctor", "auth status", "whoami"}
CORRUPT_STORE = b'{"token": "sk_pat_'


def test_every_command_of_the_entry_points_is_exercised():
    assert set(COMMANDS) == set(INVOCATIONS)


def _help(e2e, command: str) -> str:
    shown = e2e.run(*command.split(), "--help")
    assert shown.code == 0, shown
    return shown.stdout


def _spellings(help_text: str) -> list[str]:
    has_format = re.search(r"-f \{[^}]*json", help_text) is not None
    return [name for name in SPELLINGS if (name == "--json" and "--json" in help_text)
            or (name != "--json" and has_format)]


def assert_one_error_object(result, *, reason: str | None = None) -> dict:
    """stdout is exactly one error object with the four fields; exit status and reason agree; one error: line."""
    assert result.code not in (0, ExitCode.BROKEN_PIPE), result
    document = json.loads(result.stdout)  # one JSON value and nothing else (json.loads refuses extra data)
    assert result.stdout.endswith("}\n") and result.stdout.count("\n") == 1, result
    error = document["error"]
    if document.get("event") == "error":  # login --json: the final event is the error object, its fields on top too
        assert result.args[0] == "login" and {k: v for k, v in document.items() if k != "event"} \
            == {**error, "error": error}, result
    else:
        assert set(document) == {"error"}, result
    assert set(error) == {"reason", "message", "hint", "exit_code"}, result
    assert error["exit_code"] == result.code, result
    assert error["reason"] in REASONS, result
    assert REASONS[error["reason"]][0] == result.code, f"{error['reason']} is documented with another code: {result}"
    assert isinstance(error["message"], str) and error["message"].strip(), result
    assert error["hint"] is None or (isinstance(error["hint"], str) and error["hint"].strip()), result
    assert "Traceback" not in result.stdout
    assert result.stdout.isascii()  # escaped JSON: nothing reaches a terminal raw
    assert len(re.findall(r"(?m)^(?:skytells[^:\n]*: )?error: ", result.stderr)) == 1, result
    if reason is not None:
        assert error["reason"] == reason, result
    return error


def _provoke(e2e, failure: str) -> tuple[str, ...]:
    """Set the machine up for ``failure``; the extra words of the run."""
    if failure != "not logged in":
        token = e2e.issue_token()
        assert e2e.run("login", "--token", input=token + "\n").code == 0
    if failure == "unreadable store":
        e2e.write_credentials(CORRUPT_STORE)
    if failure == "server down":
        e2e.sandbox.stop()  # the one the token was issued by: the CLI still goes there
    if failure == "bad usage":
        return ("--no-such-option",)
    if failure == "bad column":
        return ("-c", "no_such_column")
    return ()


def _stdin(e2e, kind: str | None) -> str | None:
    if kind == "TOKEN":
        return e2e.issue_token() + "\n"
    if kind == "PROJECT_KEY":
        return e2e.issue_project_key() + "\n"
    if kind == "API_KEY":
        return e2e.secret(e2e.sandbox.issue_api_key()) + "\n"
    return None


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("command", sorted(INVOCATIONS))
def test_a_failure_asked_for_as_json_is_one_error_object(e2e, command, failure):
    spellings = _spellings(_help(e2e, command))
    if failure == "bad column" and not any(name != "--json" for name in spellings):
        pytest.skip(f"{command} has no -c")
    if not spellings:  # a command without JSON output: -f json is itself a usage error, reported as JSON
        spellings = ["-f json"]
    args, stdin_kind = INVOCATIONS[command]
    stdins = [_stdin(e2e, stdin_kind) for _ in spellings]
    extra = _provoke(e2e, failure)
    failed = 0
    for spelling, stdin in zip(spellings, stdins, strict=True):
        result = e2e.run(*command.split(), *args, *SPELLINGS[spelling], *extra, input=stdin)
        if result.code == 0:
            assert command not in MUST_FAIL[failure], result
            continue
        failed += 1
        if command in REPORTS and "error" not in json.loads(result.stdout):
            continue  # the report is the answer; its exit status is the verdict
        error = assert_one_error_object(result)
        if failure == "bad usage":
            assert error["reason"] == "usage"
        if failure == "unreadable store" and error["reason"] != "usage":
            assert error["reason"] == "store", result
        if failure == "server down" and command in MUST_FAIL[failure] and error["reason"] != "usage":
            assert error["reason"] == "network", result
    if command in MUST_FAIL[failure]:
        assert failed == len(spellings)


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("words", [("nosuch",), ("auth", "nosuch"), ("api-key", "--offline"), ("help", "nosuch"),
                                   ("whoamx",), ("--profile", "bad/name", "whoami"),
                                   ("--no-such-global", "whoami")])
def test_a_command_line_that_names_no_command_is_one_error_object(e2e, words, spelling):
    result = e2e.run(*words, *SPELLINGS[spelling])
    assert_one_error_object(result, reason="usage")


def test_whoami_without_a_login_says_not_logged_in(e2e):
    error = assert_one_error_object(e2e.run("whoami", "--json"), reason="not_logged_in")
    assert error["hint"].startswith("Run skytells login")


def test_the_specific_reasons_reach_programs(e2e):
    assert_one_error_object(e2e.run("api-key", "status", "-f", "json"), reason="not_logged_in")
    assert_one_error_object(e2e.run("auth", "status", "-f", "json"), reason="not_logged_in")
    assert_one_error_object(e2e.run("whoami", "-f", "json", env={"SKYTELLS_PROFILE": "bad/name"}), reason="usage")


def test_a_secret_typed_in_the_wrong_place_is_masked_in_the_object(e2e):
    token = e2e.issue_token()
    for words in (("whoami", "--json", "--bogus", token), ("whoami", "-f", "json", f"--format-x={token}"),
                  (token, "--json"), ("auth", token, "-f", "json"), ("whoami", "--json", "--profile", token)):
        result = e2e.run(*words)
        error = assert_one_error_object(result, reason="usage")
        assert token not in result.output and token[:20] not in error["message"]


def test_without_json_stdout_stays_empty(e2e):
    for words in (("whoami",), ("nosuch",), ("whoami", "--bogus"), ("whoami", "-f", "yaml")):
        result = e2e.run(*words)
        assert result.code != 0 and result.stdout == "", result


def test_json_after_the_end_of_options_is_an_argument_not_a_request(e2e):
    result = e2e.run("auth", "switch", "--", "--json")
    assert result.code != 0 and result.stdout == "", result


def test_a_store_no_plugin_provides_is_reported_as_json(e2e):
    e2e.write_config({"credential_store": "no-such-store"})
    assert_one_error_object(e2e.run("whoami", "--json"))
