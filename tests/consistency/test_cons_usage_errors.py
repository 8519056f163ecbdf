"""Rule: a bad ``-c COLUMN`` is a usage error, and ``--debug`` never asks to be run with ``--debug``.

Every display command (cliff's ``ShowOne``/``Lister``: whoami, auth status,
auth doctor, api-key status, plugins) checks each requested column in one
place: exit 2 (``ExitCode.USAGE``), one ``error:`` line that names the column
and lists the valid ones, no exception class name, no traceback.
"""

from __future__ import annotations

import pytest

from skytells.exitcodes import ExitCode

#: Each display command, and one of its columns.
DISPLAY_COMMANDS = {
    "whoami": (("whoami",), "token"),
    "whoami --offline": (("whoami", "--offline"), "token"),
    "auth status": (("auth", "status"), "profile"),
    "auth status --offline": (("auth", "status", "--offline"), "profile"),
    "auth doctor --offline": (("auth", "doctor", "--offline"), "check"),
    "api-key status": (("api-key", "status"), "api_key"),
    "plugins": (("plugins",), "Name"),
}
#: ``-c`` arguments ({known}: a column of the command), and the column each names that does not exist.
BAD_COLUMNS = {
    "unknown": (["nope"], "nope"),
    "unknown after a known one": (["{known}", "-c", "nope"], "nope"),
    "unknown before a known one": (["no_such", "-c", "{known}"], "no_such"),
    "empty": ([""], ""),
}
#: Columns that exist, written as cliff accepts them (any case, "_" for a space).
GOOD_COLUMNS = {"whoami --offline": "TOKEN", "auth status --offline": "Profile", "plugins": "group"}
API_KEY = "sky_consistency_api_key_0123456789"


@pytest.fixture
def display_world(e2e, e2e_logged_in):
    """A logged-in machine with an API key in the environment, so every display command has output."""
    e2e.env["SKYTELLS_API_KEY"] = e2e.secret(API_KEY)
    return e2e


def _refused(world, command, words, column, debug=False):
    """Run a display command with ``-c WORDS`` and check the one usage error about ``column``."""
    args, known = command
    result = world.run(*(["--debug"] if debug else []), *args, "-c", *[w.format(known=known) for w in words])
    assert result.code == ExitCode.USAGE, result
    assert result.stdout == ""
    assert "(run with --debug for details)" not in result.stderr
    assert "ValueError" not in result.stderr
    message = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(message) == 1, result
    assert f"Unknown column {column!r} for -c." in message[0]
    assert "Valid columns: " in message[0]
    if not debug:
        assert result.stderr == message[0] + "\n", result  # one line, nothing else
    return message[0]


@pytest.mark.parametrize("bad", BAD_COLUMNS.values(), ids=BAD_COLUMNS.keys())
@pytest.mark.parametrize("command", DISPLAY_COMMANDS.values(), ids=DISPLAY_COMMANDS.keys())
def test_an_unknown_column_is_a_usage_error_naming_the_valid_ones(display_world, command, bad):
    message = _refused(display_world, command, *bad)
    assert command[1] in message.split("Valid columns: ", 1)[1].rstrip(".").split(", ")


@pytest.mark.parametrize("command", DISPLAY_COMMANDS.values(), ids=DISPLAY_COMMANDS.keys())
def test_with_debug_the_usage_error_has_no_hint_to_use_debug(display_world, command):
    _refused(display_world, command, ["nope"], "nope", debug=True)


def test_the_valid_columns_listed_are_accepted(display_world):
    for name, (command, _known) in DISPLAY_COMMANDS.items():
        refused = display_world.run(*command, "-c", "nope")
        valid = refused.stderr.split("Valid columns: ", 1)[1].rstrip(".\n").split(", ")
        accepted = display_world.run(*command, "-f", "json", *[arg for column in valid for arg in ("-c", column)])
        assert accepted.code in (0, ExitCode.FAILURE), (name, accepted)  # doctor may find a problem: exit 1
        assert accepted.stdout.strip().startswith(("{", "[")), (name, accepted)


@pytest.mark.parametrize(("command", "column"), GOOD_COLUMNS.items(), ids=GOOD_COLUMNS.keys())
def test_a_known_column_in_any_case_still_works(display_world, command, column):
    result = display_world.run(*command.split(), "-c", column, "-f", "value")
    assert result.code == 0, result
    assert result.stdout.strip()


def test_a_credential_typed_as_a_column_is_not_echoed(display_world):
    token = display_world.issue_token()
    result = display_world.run("whoami", "--offline", "-c", token)
    assert result.code == ExitCode.USAGE, result
    assert "sk_pat_********" in result.stderr


BOOM_MODULE = '''
from cliff.command import Command


class Boom(Command):
    """Fail with an unexpected error"""

    def take_action(self, parsed_args):
        raise RuntimeError("the plugin broke")
'''


@pytest.fixture
def boom_world(startup_world):
    """A plugin command that fails with an error skytells does not know (RuntimeError)."""
    startup_world.install(startup_world.plugin("consistency_boom", {"hello": ("Say hello", "hello")},
                                               extra_modules={"consistency_boom_mod": BOOM_MODULE},
                                               extra_entry_points="boom = consistency_boom_mod:Boom\n"))
    return startup_world


def test_an_unexpected_error_hints_at_debug_only_without_it(boom_world):
    plain = boom_world.run("boom")
    assert plain.code == ExitCode.FAILURE, plain
    assert plain.stderr == "error: RuntimeError: the plugin broke (run with --debug for details)\n"

    debug = boom_world.run("--debug", "boom")
    assert debug.code == ExitCode.FAILURE, debug
    assert "Traceback" in debug.stderr
    assert "error: RuntimeError: the plugin broke\n" in debug.stderr
    assert "--debug for details" not in debug.stderr
