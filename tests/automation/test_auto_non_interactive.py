"""Rule: a non-interactive run never asks and never waits; it fails at once, naming what to do instead.

``--non-interactive`` or ``SKYTELLS_NONINTERACTIVE`` (any value but "", 0,
false, no, off): on a real terminal, a confirmation fails with exit 2 naming
its flag, and a secret is refused rather than read from the terminal; a
piped secret is still read.
"""

from __future__ import annotations

import pytest

from skytells.exitcodes import ExitCode

API_KEY = "sk_live_" + "5f" * 20
#: The two ways to make a run non-interactive: (global options, environment).
WAYS = {"option": (("--non-interactive",), {}), "environment": ((), {"SKYTELLS_NONINTERACTIVE": "1"})}
ON = ["1", "true", "yes", "TRUE", "ci", " 1 "]
OFF = ["0", "false", "no", "off", ""]


def _spawn(e2e, way: str, *args: str, env: dict[str, str] | None = None):
    options, environment = WAYS[way]
    return e2e.spawn(*options, *args, env={**environment, **(env or {})})


@pytest.fixture
def stored_token(e2e, e2e_logged_in) -> bytes:
    """A logged-in machine; the credentials file's bytes."""
    original = e2e.credentials_bytes()
    assert original is not None
    return original


@pytest.mark.parametrize("way", WAYS)
def test_logout_on_a_terminal_fails_at_once_naming_force(e2e, stored_token, way):
    terminal = _spawn(e2e, way, "logout")
    assert terminal.wait(timeout=15) == ExitCode.USAGE
    assert "Pass --force" in terminal.plain and "non-interactive" in terminal.plain
    assert "[y/N]" not in terminal.plain
    assert e2e.credentials_bytes() == stored_token


@pytest.mark.parametrize("value", ON)
def test_every_setting_that_is_not_off_is_non_interactive(e2e, stored_token, value):
    terminal = e2e.spawn("logout", env={"SKYTELLS_NONINTERACTIVE": value})
    assert terminal.wait(timeout=15) == ExitCode.USAGE
    assert "Pass --force" in terminal.plain
    assert e2e.credentials_bytes() == stored_token


@pytest.mark.parametrize("value", OFF)
def test_a_setting_that_is_off_still_asks(e2e, stored_token, value):
    terminal = e2e.spawn("logout", env={"SKYTELLS_NONINTERACTIVE": value})
    terminal.expect("[y/N] ")
    terminal.sendline("n")
    assert terminal.wait() == 0
    assert e2e.credentials_bytes() == stored_token


@pytest.mark.parametrize("way", WAYS)
def test_force_proceeds_without_the_question(e2e, stored_token, way):
    terminal = _spawn(e2e, way, "logout", "--force")
    assert terminal.wait(timeout=15) == 0
    assert "token" not in e2e.read_credentials()


SECRET_COMMANDS = {
    "login --token": ("login", "--token"),
    "link -": ("link", "-"),
    "api-key set": ("api-key", "set"),
}


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("command", SECRET_COMMANDS)
def test_a_secret_is_not_waited_for_at_a_terminal(e2e, command, way):
    terminal = _spawn(e2e, way, *SECRET_COMMANDS[command])
    assert terminal.wait(timeout=15) == ExitCode.USAGE
    assert "Not asking for the" in terminal.plain and "Pipe it on standard input" in terminal.plain
    assert "Paste" not in terminal.plain
    assert not e2e.credentials_path.exists()


@pytest.mark.parametrize("way", WAYS)
def test_a_piped_secret_is_still_read(e2e, way):
    options, environment = WAYS[way]
    token = e2e.issue_token()
    result = e2e.run(*options, "login", "--token", input=token + "\n", env=environment)
    assert result.code == 0, result
    assert e2e.read_credentials()["token"] == token
    key = e2e.issue_project_key()
    assert e2e.run(*options, "link", "-", input=key + "\n", env=environment).code == 0, result


@pytest.mark.parametrize("way", WAYS)
def test_auth_switch_asks_nothing(e2e, stored_token, way):
    terminal = _spawn(e2e, way, "auth", "switch", "default")
    assert terminal.wait(timeout=15) == 0
    assert "default is now the default profile." in terminal.plain


def test_without_a_terminal_logout_says_so_and_names_force(e2e, stored_token):
    result = e2e.run("logout", env={"SKYTELLS_NONINTERACTIVE": "1"})
    assert result.code == ExitCode.USAGE, result
    assert result.stderr.count("\n") == 1 and "non-interactive" in result.stderr and "--force" in result.stderr
    assert e2e.credentials_bytes() == stored_token
