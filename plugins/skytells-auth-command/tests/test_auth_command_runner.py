"""Running the token command: words or shell, stdin, timeout, and every way it can fail."""

from __future__ import annotations

import os
import stat
import sys

import pytest
from auth_command_helpers import LOCKED_VAULT, PRINT_VAULT_TOKEN, python_command
from skytells_auth_command.runner import MAX_STDOUT, STDERR_TAIL, TokenCommand, run_token_command

from skytells.errors import AuthError, UsageError
from skytells.exitcodes import ExitCode

TOKEN = "sk_pat_" + "ab" * 32


def run(command: str, **settings) -> str:
    return run_token_command(TokenCommand(command, **settings))


# Success -------------------------------------------------------------------------


def test_the_token_is_stdout_trimmed(monkeypatch):
    monkeypatch.setenv("FAKE_VAULT_TOKEN", f"  {TOKEN}  ")

    assert run(PRINT_VAULT_TOKEN) == TOKEN


def test_blank_lines_around_the_token_are_ignored():
    assert run(python_command(f"print(); print({TOKEN!r}); print('   ')")) == TOKEN


def test_without_shell_pipes_and_variables_are_plain_words():
    command = python_command("import sys; print(repr(sys.argv[1:]))", "a|b", "$HOME", ";", "*")

    assert run(command) == repr(["a|b", "$HOME", ";", "*"])


@pytest.mark.skipif(os.name != "posix", reason="uses a POSIX shell")
def test_shell_mode_runs_pipes_and_variables(monkeypatch):
    monkeypatch.setenv("FAKE_VAULT_TOKEN", TOKEN.upper())

    assert run('printf "%s\\n" "$FAKE_VAULT_TOKEN" | tr A-Z a-z', shell=True) == TOKEN  # noqa: S604


def test_stdin_is_closed_so_a_reading_command_does_not_hang():
    command = python_command("import sys; data = sys.stdin.read(); print('closed' if data == '' else 'open')")

    assert run(command, timeout=20) == "closed"


# Failures ----------------------------------------------------------------------


def test_non_zero_exit_quotes_stderr_but_never_stdout(monkeypatch):
    monkeypatch.setenv("FAKE_VAULT_TOKEN", TOKEN)

    with pytest.raises(AuthError) as caught:
        run(LOCKED_VAULT)

    message = str(caught.value)
    assert "exited with status 3" in message
    assert "vault is locked" in message
    assert TOKEN not in message
    assert "\n" not in message
    assert caught.value.exit_code == ExitCode.AUTH


def test_non_zero_exit_without_stderr_says_so():
    with pytest.raises(AuthError, match="exited with status 2 without a message on stderr"):
        run(python_command("raise SystemExit(2)"))


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_a_killed_command_names_the_signal():
    with pytest.raises(AuthError, match="was killed by SIGTERM"):
        run(python_command("import os, signal; os.kill(os.getpid(), signal.SIGTERM)"))


def test_a_command_that_runs_too_long_is_stopped():
    with pytest.raises(AuthError, match=r"did not finish within 0\.3 s and was stopped") as caught:
        run(python_command("import time; time.sleep(60)"), timeout=0.3)

    assert "--command-timeout" in str(caught.value)


def test_a_missing_program_is_a_usage_error():
    with pytest.raises(UsageError, match="program 'no-such-vault-cli' was not found") as caught:
        run("/nonexistent/dir/no-such-vault-cli read op://x")

    assert "SKYTELLS_AUTH_COMMAND" in str(caught.value)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_program_that_is_not_executable_is_a_usage_error(tmp_path):
    script = tmp_path / "vault"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(stat.S_IRUSR | stat.S_IWUSR)

    with pytest.raises(UsageError, match="permission denied"):
        run(str(script))


def test_empty_output_is_an_error_that_quotes_stderr():
    command = python_command("import sys; sys.stderr.write('item not found\\n')")

    with pytest.raises(AuthError, match=r"printed nothing on stdout \(its stderr: item not found\)"):
        run(command)


def test_several_lines_are_refused_without_showing_them():
    command = python_command(f"print({TOKEN!r}); print('username: me')")

    with pytest.raises(AuthError, match="printed 2 lines") as caught:
        run(command)

    assert TOKEN not in str(caught.value)


def test_output_that_is_not_utf8_is_refused():
    command = python_command("import sys; sys.stdout.buffer.write(b'\\xff\\xfe\\n')")

    with pytest.raises(AuthError, match="not UTF-8"):
        run(command)


def test_stderr_is_made_safe_for_the_terminal_and_credentials_are_masked():
    other = "sk_proj_" + "c" * 40
    command = python_command(
        f"import sys; sys.stderr.write('\\x1b[31mred\\x07 \\u202eevil {other}\\n'); sys.exit(1)")

    with pytest.raises(AuthError) as caught:
        run(command)

    message = str(caught.value)
    assert "\x1b" not in message and "\x07" not in message and "\u202e" not in message
    assert other not in message
    assert "sk_proj_********" in message


def test_long_stderr_keeps_its_last_lines():
    command = python_command(
        "import sys; sys.stderr.write(''.join(f'line {n}\\n' for n in range(50))); sys.exit(1)")

    with pytest.raises(AuthError) as caught:
        run(command)

    assert "line 47 / line 48 / line 49" in str(caught.value)
    assert "line 10" not in str(caught.value)


# Writes N bytes to stdout, then waits as an endless command would.
FLOOD = "import sys, time; sys.stdout.buffer.write(b'k' * int(sys.argv[1])); sys.stdout.flush(); time.sleep(60)"


@pytest.mark.parametrize("size", [MAX_STDOUT + 1, 64 * MAX_STDOUT])
def test_a_command_printing_too_much_on_stdout_is_stopped_without_waiting_for_its_end(size):
    # Without a bound the runner would hold it all and wait for the timeout: the message tells which happened.
    with pytest.raises(AuthError) as caught:
        run(python_command(FLOOD, str(size)), timeout=30)

    assert str(caught.value) == (f"The token command ({os.path.basename(sys.executable)}) printed more than "
                                 f"{MAX_STDOUT // 1024} KiB on stdout and was stopped; it must print only the token.")
    assert caught.value.exit_code == ExitCode.AUTH


def test_stdout_up_to_the_limit_is_read():
    padding = MAX_STDOUT - len(TOKEN) - 1  # blank lines, which are ignored
    assert run(python_command(f"import sys; sys.stdout.write({TOKEN!r} + '\\n' * {padding + 1})")) == TOKEN


def test_a_flood_on_stderr_is_read_to_its_end_and_only_its_tail_kept():
    lines = 64 * STDERR_TAIL // len("noise\n")
    command = python_command(f"import sys; sys.stderr.write('noise\\n' * {lines} + 'last words\\n'); sys.exit(1)")

    with pytest.raises(AuthError) as caught:
        run(command, timeout=30)

    assert str(caught.value).endswith("exited with status 1: noise / noise / last words.")


def test_unbalanced_quotes_are_a_usage_error():
    with pytest.raises(UsageError, match="cannot be split into words"):
        run('op read "op://vault/unterminated')


# Options --------------------------------------------------------------------------


def test_a_missing_command_names_the_flag_and_the_variable():
    with pytest.raises(UsageError) as caught:
        TokenCommand.from_options({"command": "  "})

    assert "--command" in str(caught.value) and "SKYTELLS_AUTH_COMMAND" in str(caught.value)


@pytest.mark.parametrize(("value", "expected"), [(None, False), (False, False), (True, True), ("1", True),
                                                 ("yes", True), ("0", False), ("off", False)])
def test_shell_accepts_a_switch_or_an_environment_value(value, expected):
    assert TokenCommand.from_options({"command": "x", "shell": value}).shell is expected


def test_shell_refuses_an_unclear_value():
    with pytest.raises(UsageError, match="yes or no"):
        TokenCommand.from_options({"command": "x", "shell": "maybe"})


@pytest.mark.parametrize("value", ["0", "-1", "abc", "99999"])
def test_timeout_must_be_a_sensible_number(value):
    with pytest.raises(UsageError, match="--command-timeout"):
        TokenCommand.from_options({"command": "x", "command_timeout": value})


def test_timeout_defaults_and_parses():
    assert TokenCommand.from_options({"command": "x"}).timeout == 60
    assert TokenCommand.from_options({"command": "x", "command_timeout": "2.5"}).timeout == 2.5


def test_the_program_name_is_shown_without_its_arguments():
    assert TokenCommand(f"{sys.executable} -c pass").program == os.path.basename(sys.executable)
    assert TokenCommand("op read op://vault/item", shell=True).program == "shell command"  # noqa: S604
