"""The error object's parts in isolation: every error class's reason, the JSON switch, the object, the docs."""

from __future__ import annotations

import inspect
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skytells import errors
from skytells.cli.json_errors import REASONS, ErrorReport, error_object, reason_of, wanted
from skytells.exitcodes import ExitCode
from skytells.terminal.ui import Terminal

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
ERROR_CLASSES = [cls for _, cls in inspect.getmembers(errors, inspect.isclass)
                 if issubclass(cls, errors.SkytellsError) and cls.__module__ == errors.__name__]


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_documented_reason_with_its_exit_code(cls):
    assert "reason" in cls.__dict__, f"{cls.__name__} inherits its reason: give it its own"
    assert cls.reason in REASONS
    assert REASONS[cls.reason][0] == cls.exit_code
    error = error_object(cls("Something failed.", hint="Do this."), cls.exit_code)["error"]
    assert error == {"reason": cls.reason, "message": "Something failed.", "hint": "Do this.",
                     "exit_code": int(cls.exit_code)}


def test_each_class_has_its_own_reason():
    reasons = [cls.reason for cls in ERROR_CLASSES]
    assert len(reasons) == len(set(reasons))


def test_a_plugins_own_reason_falls_back_to_the_documented_base():
    class Quota(errors.NetworkError):
        reason = "quota_exceeded"

    class Plain(errors.AuthError):
        pass

    assert reason_of(Quota("x")) == "network"
    assert reason_of(Plain("x")) == "auth"


def test_an_unexpected_error_is_internal_and_carries_no_traceback():
    try:
        {}["missing"]
    except KeyError as raised:
        error = error_object(raised, 1)["error"]
    assert error["reason"] == "internal" and error["exit_code"] == 1
    assert error["message"] == "KeyError: 'missing'" and "--debug" in error["hint"]
    assert "Traceback" not in json.dumps(error)
    assert reason_of(KeyboardInterrupt()) == "interrupted"


@pytest.mark.parametrize("argv", [
    ["whoami", "--json"], ["whoami", "-f", "json"], ["whoami", "--format", "json"], ["whoami", "--format=json"],
    ["whoami", "-fjson"], ["--debug", "auth", "status", "-f", "table", "-f", "json"], ["nosuch", "--json"],
    ["--json", "--", "x"],
])
def test_json_is_wanted(argv):
    assert wanted(argv)


@pytest.mark.parametrize("argv", [
    [], ["whoami"], ["whoami", "-f", "yaml"], ["whoami", "-f", "json", "-f", "table"], ["whoami", "-f"],
    ["auth", "switch", "--", "--json"], ["link", "json"], ["whoami", "--format=jsonx"], ["whoami", "--jsonx"],
])
def test_json_is_not_wanted(argv):
    assert not wanted(argv)


@given(st.lists(st.text(max_size=12).filter(lambda word: "json" not in word), max_size=8))
def test_json_is_never_wanted_without_the_word(argv):
    assert not wanted(argv)


@pytest.mark.parametrize("code", [0, ExitCode.BROKEN_PIPE])
def test_no_object_for_success_or_a_lost_reader(code):
    report, out = ErrorReport(wanted=True), io.StringIO()
    report.record(errors.UsageError("x"))
    assert report.finish(code, out) == code and out.getvalue() == ""


def test_the_first_failure_recorded_is_the_one_reported():
    report, out = ErrorReport(wanted=True), io.StringIO()
    report.record(errors.StoreError("first"))
    report.record(errors.UsageError("second"))
    report.finish(1, out)
    assert json.loads(out.getvalue())["error"]["message"] == "first"


def test_control_characters_are_escaped_in_the_object():
    out = io.StringIO()
    report = ErrorReport(wanted=True)
    report.record(errors.ServerError("The server said \x1b[31mred\x07 \u202e."))
    report.finish(1, out)
    assert out.getvalue().isascii() and "\x1b" not in out.getvalue()
    assert json.loads(out.getvalue())["error"]["message"] == "The server said \x1b[31mred\x07 \u202e."


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("non_interactive", [True, False])
def test_confirm_refuses_at_once_naming_its_flag(non_interactive):
    stdin = _Tty("y\n") if non_interactive else io.StringIO("y\n")
    terminal = Terminal(stdin=stdin, stderr=io.StringIO(), non_interactive=non_interactive)
    with pytest.raises(errors.NonInteractiveError) as refused:
        terminal.confirm("Remove it?", flag="--force")
    assert refused.value.hint == "Pass --force to go ahead without the question."
    assert stdin.read() == "y\n"  # nothing was read
    assert error_object(refused.value, 2)["error"]["reason"] == "non_interactive"


def test_a_non_interactive_secret_comes_from_piped_stdin_only():
    piped = Terminal(stdin=io.StringIO("sk_live_abc\n"), stderr=io.StringIO(), non_interactive=True)
    assert piped.read_secret("API key", "Paste your API key") == "sk_live_abc"
    at_terminal = Terminal(stdin=_Tty("sk_live_abc\n"), stderr=io.StringIO(), non_interactive=True)
    with pytest.raises(errors.NonInteractiveError, match="Not asking for the API key"):
        at_terminal.read_secret("API key", "Paste your API key")


def test_the_documented_table_is_the_list_of_reasons():
    rows = re.findall(r"^\| `([a-z_]+)` \| (\d+) \|", DOCS.read_text(encoding="utf-8"), re.MULTILINE)
    assert {reason: int(code) for reason, code in rows} == {reason: int(code) for reason, (code, _) in REASONS.items()}
    assert len(rows) == len(REASONS)
