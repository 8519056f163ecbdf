"""``skytells login --method command`` end to end: the real executable against a sandbox."""

from __future__ import annotations

import json

import pytest
from auth_command_helpers import LOCKED_VAULT, PRINT_VAULT_TOKEN, python_command


@pytest.fixture
def vault(skytells_cli, skytells_sandbox):
    """The CLI pointed at the sandbox, with a valid token in the fake vault ($FAKE_VAULT_TOKEN)."""
    token = skytells_sandbox.issue_token()
    skytells_cli.env.update(SKYTELLS_API_URL=skytells_sandbox.url, FAKE_VAULT_TOKEN=token)
    return token


def test_login_help_lists_the_method_and_its_options(skytells_cli):
    result = skytells_cli.run("login", "--help")
    own = skytells_cli.run("login", "--method", "command", "--help")

    assert result.exit_code == 0 and own.exit_code == 0
    assert "command " in result.stdout and "Use the token a command prints" in result.stdout
    for flag in ("--command COMMAND", "--shell", "--command-timeout SECONDS"):
        assert flag in own.stdout and flag not in result.stdout


def test_login_with_the_command_stores_the_token(skytells_cli, vault):
    login = skytells_cli.run("login", "--method", "command", "--command", PRINT_VAULT_TOKEN)
    whoami = skytells_cli.run("whoami", "-f", "json")

    assert login.exit_code == 0, login
    assert "Running the token command (python" in login.stderr
    assert whoami.exit_code == 0, whoami
    assert json.loads(whoami.stdout)["method"] == "command"
    stored = skytells_cli.credentials()
    assert stored["token"] == vault
    assert vault not in login.output + whoami.output


def test_the_environment_variable_replaces_the_flag(skytells_cli, vault):
    skytells_cli.env["SKYTELLS_AUTH_COMMAND"] = PRINT_VAULT_TOKEN

    login = skytells_cli.run("login", "--method", "command")

    assert login.exit_code == 0, login
    assert skytells_cli.credentials()["token"] == vault


def test_shell_mode_from_the_environment(skytells_cli, vault):
    skytells_cli.env.update(SKYTELLS_AUTH_COMMAND='printf "%s\\n" "$FAKE_VAULT_TOKEN" | cat',
                            SKYTELLS_AUTH_COMMAND_SHELL="1")

    login = skytells_cli.run("login", "--method", "command")

    assert login.exit_code == 0, login
    assert skytells_cli.credentials()["token"] == vault


def test_a_failing_command_is_one_error_line_with_its_stderr(skytells_cli, vault):
    login = skytells_cli.run("login", "--method", "command", "--command", LOCKED_VAULT)

    assert login.exit_code == 4, login
    assert login.stderr.strip().splitlines()[-1].startswith("error: The token command (python")
    assert "vault is locked" in login.stderr
    assert "Traceback" not in login.stderr
    assert vault not in login.output
    assert skytells_cli.credentials() == {}


def test_a_slow_command_times_out(skytells_cli, vault):
    login = skytells_cli.run("login", "--method", "command", "--command-timeout", "0.5",
                             "--command", python_command("import time; time.sleep(60)"))

    assert login.exit_code == 4, login
    assert "did not finish within 0.5 s" in login.stderr


def test_a_revoked_token_is_refused_and_not_stored(skytells_cli, skytells_sandbox, vault):
    skytells_sandbox.revoke(vault)

    login = skytells_cli.run("login", "--method", "command", "--command", PRINT_VAULT_TOKEN)

    assert login.exit_code == 4, login
    assert "Token is invalid" in login.stderr
    assert skytells_cli.credentials() == {}
