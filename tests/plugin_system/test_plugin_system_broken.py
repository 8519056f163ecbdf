"""Broken plugins never break the tool: the real ``skytells`` with throwaway distributions installed.

The distributions (tests/plugin_system/conftest.py) include a working
command and authenticator, an authenticator whose import fails, one whose
class is wrong, one that raises while loading, a broken command, a broken
credential store, an unavailable store, a store written for a future
interface, two plugins claiming one name, and one claiming a built-in name.
"""

from __future__ import annotations

import re

import pytest

BROKEN_METHODS = {
    "broken-import": ("skytells-broken-import",
                      "ModuleNotFoundError: No module named 'sk_missing_dependency_xyz'"),
    "wrong-class": ("skytells-wrong-class",
                    "it names NotAnAuthenticator, which is not a skytells.login.interface.MethodLoader subclass"),
    "raises": ("skytells-raises", "RuntimeError: plugin exploded while loading"),
}

def unwrapped(listing: str) -> str:
    """A help listing with each row's wrapped continuation lines (a hanging indent) joined to the row."""
    return re.sub(r"\n {6,}(?=\S)", " ", listing)



def warnings_about(stderr: str, text: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:") and text in line]


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


# Working plugins -------------------------------------------------------------------


def test_a_plugin_command_runs_and_meets_no_other_plugin(plugin_system_cli):
    result = plugin_system_cli.run("hello")

    assert result.exit_code == 0, result
    assert result.stdout == "hello from a plugin\n"
    assert result.stderr == ""


def test_help_lists_plugin_commands_and_warns_once_about_the_broken_one(plugin_system_cli):
    result = plugin_system_cli.run("help")

    assert result.exit_code == 0, result
    assert re.search(r"^  hello +Say hello from a plugin$", result.stdout, re.M)
    assert re.search(r"^  broken-cmd +\(failed to load: ModuleNotFoundError", result.stdout, re.M)
    assert re.search(r"^  sandbox +", result.stdout, re.M)
    warned = warnings_about(result.stderr, "'broken-cmd'")
    assert len(warned) == 1, result
    assert "skytells-broken-command 1.0" in warned[0]
    assert warned[0].endswith("Remove it with: pip uninstall skytells-broken-command")
    assert "Traceback" not in result.stderr


def test_the_broken_command_warns_again_on_the_next_run(plugin_system_cli):
    plugin_system_cli.run("help")

    again = plugin_system_cli.run("--help")

    assert len(warnings_about(again.stderr, "'broken-cmd'")) == 1
    assert "hello" in again.stdout


def test_login_help_lists_plugin_methods_and_warns_once_per_broken_one(plugin_system_cli):
    result = plugin_system_cli.run("login", "--help")

    assert result.exit_code == 0, result
    assert re.search(r"^  env-token +Read the personal access token from \$DEMO_TOKEN$", result.stdout, re.M)
    assert "--demo-variable NAME" in plugin_system_cli.run("login", "--method", "env-token", "--help").stdout
    for name, (distribution, problem) in BROKEN_METHODS.items():
        assert re.search(rf"^  {name} +\(broken: {re.escape(problem)}\)$", unwrapped(result.stdout), re.M)
        warned = warnings_about(result.stderr, f"'{name}'")
        assert len(warned) == 1, result
        assert f"from {distribution} 1.0" in warned[0] and problem in warned[0]
        assert warned[0].endswith(f"Remove it with: pip uninstall {distribution}")
    assert "Traceback" not in result.stderr


def test_debug_adds_the_tracebacks(plugin_system_cli):
    result = plugin_system_cli.run("--debug", "login", "--help")

    assert result.exit_code == 0
    assert "Traceback (most recent call last)" in result.stderr
    assert "sk_missing_dependency_xyz" in result.stderr
    assert "plugin exploded while loading" in result.stderr


def test_a_working_plugin_method_logs_in_despite_the_broken_ones(plugin_system_cli, skytells_sandbox):
    token = skytells_sandbox.issue_token()
    plugin_system_cli.env.update(SKYTELLS_API_URL=skytells_sandbox.url, DEMO_TOKEN=token)

    login = plugin_system_cli.run("login", "--method", "env-token")
    whoami = plugin_system_cli.run("whoami", "--offline", "-f", "json")

    assert login.exit_code == 0, login
    assert whoami.exit_code == 0, whoami
    assert whoami.json()["method"] == "env-token"
    assert plugin_system_cli.credentials()["token"] == token
    for name in BROKEN_METHODS:  # only the chosen method is imported: the broken ones are never met
        assert warnings_about(login.stderr, f"'{name}'") == []
    assert token not in login.output + whoami.output


def test_built_in_methods_keep_working(plugin_system_cli, skytells_sandbox):
    token = skytells_sandbox.issue_token()
    plugin_system_cli.env["SKYTELLS_API_URL"] = skytells_sandbox.url

    login = plugin_system_cli.run("login", "--token", input=token + "\n")

    assert login.exit_code == 0, login
    assert plugin_system_cli.credentials()["token"] == token
    assert "Traceback" not in login.stderr


# Choosing a broken plugin explicitly ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(BROKEN_METHODS))
def test_choosing_a_broken_method_is_a_clear_error(plugin_system_cli, name):
    distribution, problem = BROKEN_METHODS[name]

    result = plugin_system_cli.run("login", "--method", name)

    assert result.exit_code == 1, result
    assert last_line(result.stderr) == (
        f"error: The login method '{name}' from {distribution} 1.0 could not be loaded: {problem}. "
        f"Remove it with: pip uninstall {distribution}")
    assert "Traceback" not in result.stderr
    assert plugin_system_cli.credentials() == {}


def test_running_the_broken_command_is_a_clear_error(plugin_system_cli):
    result = plugin_system_cli.run("broken-cmd", "--any", "argument")

    assert result.exit_code == 1, result
    assert result.stderr.strip() == (
        "error: The command 'broken-cmd' from skytells-broken-command 1.0 could not be loaded: "
        "ModuleNotFoundError: No module named 'sk_gone'. Remove it with: pip uninstall skytells-broken-command")


def test_the_broken_command_shows_its_traceback_with_debug(plugin_system_cli):
    result = plugin_system_cli.run("--debug", "broken-cmd")

    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "No module named 'sk_gone'" in result.stderr


def test_help_for_the_broken_command_explains_it(plugin_system_cli):
    result = plugin_system_cli.run("help", "broken-cmd")

    assert result.exit_code == 0, result
    assert "Remove it with: pip uninstall skytells-broken-command" in " ".join(result.stdout.split())


def test_choosing_the_broken_store_is_a_clear_error(plugin_system_cli):
    result = plugin_system_cli.run("whoami", env={"SKYTELLS_CREDENTIAL_STORE": "broken-store"})

    assert result.exit_code == 1, result
    assert result.stderr.strip() == (
        "error: The credential store 'broken-store' from skytells-broken-store 1.0 could not be loaded: "
        "ValueError: store configuration is corrupt. Remove it with: pip uninstall skytells-broken-store")


def test_the_store_setting_in_config_json_names_itself_in_errors(plugin_system_cli):
    config = plugin_system_cli.write_config({"credential_store": "hsm"})

    result = plugin_system_cli.run("logout", "--force")

    assert result.exit_code == 1, result
    assert result.stderr.strip() == (f"error: The credential store 'hsm' (chosen by credential_store in {config}) "
                                     "cannot be used here: no hardware token is plugged in")


def test_a_store_for_a_later_interface_asks_for_an_upgrade(plugin_system_cli):
    result = plugin_system_cli.run("whoami", env={"SKYTELLS_CREDENTIAL_STORE": "future"})

    assert result.exit_code == 1, result
    assert "it needs plugin interface version 99 and this skytells-cli implements 2" in result.stderr
    assert result.stderr.strip().endswith("Upgrade skytells-cli: pip install --upgrade skytells-cli")


def test_an_unknown_store_lists_the_installed_ones(plugin_system_cli):
    result = plugin_system_cli.run("whoami", env={"SKYTELLS_CREDENTIAL_STORE": "nope"})

    assert result.exit_code == 2, result
    assert "No credential store named 'nope' is installed (installed: broken-store, file, future, hsm" \
        in result.stderr
    assert result.stderr.strip().endswith("It was chosen by SKYTELLS_CREDENTIAL_STORE.")


def test_a_broken_store_that_is_not_chosen_changes_nothing(plugin_system_cli):
    result = plugin_system_cli.run("logout", "--force")

    assert result.exit_code == 0, result
    assert "broken-store" not in result.stderr


# Two plugins, one name ------------------------------------------------------------------


def test_the_distribution_that_sorts_first_wins_a_name_and_both_are_named(plugin_system_cli):
    result = plugin_system_cli.run("login", "--method", "dup")

    assert result.exit_code == 4, result
    assert last_line(result.stderr) == "error: The alpha duplicate was used."
    warned = warnings_about(result.stderr, "'dup'")
    assert len(warned) == 1
    assert "skytells-dup-alpha 1.0 is used, skytells-dup-beta 1.0 ignored" in warned[0]


def test_a_built_in_name_stays_built_in(plugin_system_cli):
    result = plugin_system_cli.run("login", "--help")

    assert re.search(r"^  token +Paste a personal access token", result.stdout, re.M)
    warned = warnings_about(result.stderr, "'token'")
    assert len(warned) == 1
    assert "skytells-cli" in warned[0] and warned[0].endswith("pip uninstall skytells-token-clash")


def test_login_help_lists_the_command_method_when_its_plugin_is_installed(plugin_system_cli):
    pytest.importorskip("skytells_auth_command", reason="skytells-auth-command is not installed")

    result = plugin_system_cli.run("login", "--help")

    assert re.search(r"^  command +Use the token a command prints", result.stdout, re.M)
    assert "--command COMMAND" in plugin_system_cli.run("login", "--method", "command", "--help").stdout
