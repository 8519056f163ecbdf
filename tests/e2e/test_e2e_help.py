"""``skytells help``, ``--help``, no arguments, ``--version``, unknown commands and ``complete``."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

from skytells.cli_version import __version__

REQUIRED = ("complete", "help", "link", "login", "logout", "sandbox", "whoami")


def _installed_commands() -> set[str]:
    return {ep.name.replace("_", " ") for ep in entry_points(group="skytells.commands")} | {"help", "complete"}


def _command_list(stdout: str) -> dict[str, str]:
    """The "Commands:" section: name -> one-line description."""
    section = stdout.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    listed = {}
    names = sorted(_installed_commands(), key=len, reverse=True)
    name = ""
    for line in section.splitlines():
        assert line.startswith("  "), line
        if line.startswith("   "):  # a long description goes on under its column
            listed[name] += " " + line.strip()
            continue
        name = next(n for n in names if line[2:].startswith(n + " "))
        listed[name] = line[2 + len(name):].strip()
    return listed


@pytest.mark.parametrize("args", [("help",), ("--help",), ("-h",), ()], ids=["help", "--help", "-h", "no-arguments"])
def test_every_command_is_listed_with_a_one_line_description(e2e, args):
    result = e2e.run(*args)
    assert result.code == 0, result
    assert result.stderr == ""
    assert result.stdout.startswith("usage: skytells")
    assert "--debug" in result.stdout
    listed = _command_list(result.stdout)
    assert set(listed) == _installed_commands()
    assert set(REQUIRED) <= set(listed)
    for name, description in listed.items():
        assert description and not description.startswith("(failed to load"), (name, description)
    assert listed["sandbox"] == "Run a local Skytells sandbox server on 127.0.0.1 until Ctrl-C"
    assert listed["login"] == ("Log in: approve a code in the browser (the default), paste a token, or use any "
                               "installed method")
    assert "Run 'skytells help COMMAND'" in result.stdout


def test_help_is_the_same_from_a_warm_cache(e2e):
    first = e2e.run("help")
    second = e2e.run("help")
    assert first.stdout == second.stdout
    assert (e2e.cache_dir / "skytells" / "command-summaries.json").exists()


def test_help_for_one_command_lists_the_login_methods(e2e):
    result = e2e.run("help", "login")
    assert result.code == 0, result
    assert "--token" in result.stdout and "--scopes" in result.stdout and "--no-browser" in result.stdout
    assert "login methods:" in result.stdout
    assert "  device " in result.stdout and "  token " in result.stdout
    assert e2e.run("login", "--help").stdout == result.stdout


def test_version(e2e):
    result = e2e.run("--version")
    assert result.code == 0, result
    assert result.stdout.strip() == f"skytells {__version__}"


@pytest.mark.parametrize(("typed", "nearest"), [("logn", "login"), ("whoamii", "whoami"), ("lnk", "link")])
def test_unknown_command_suggests_the_nearest_and_exits_2(e2e, typed, nearest):
    result = e2e.run(typed)
    assert result.code == 2, result
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: '{typed}' is not a skytells command. See 'skytells help'.\n")
    suggestions = result.stderr.split("Did you mean one of these?\n", 1)[1].split()
    assert suggestions[0] == nearest


def test_gibberish_gets_no_suggestions(e2e):
    for argv in (["zzqx"], ["help", "zzqx"]):
        result = e2e.run(*argv)
        assert result.code == 2, result
        assert "Did you mean" not in result.stderr
        assert "See 'skytells help'." in result.stderr


def test_python_dash_m_names_the_program_skytells(e2e):
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-m", "skytells", "--help"], capture_output=True, text=True,
                               timeout=60, env=e2e.env, stdin=subprocess.DEVNULL)
    assert completed.returncode == 0
    assert completed.stdout.startswith("usage: skytells ")


def test_unknown_option_exits_2(e2e):
    result = e2e.run("--no-such-option")
    assert result.code == 2, result
    assert "is not a skytells command" in result.stderr


def test_credential_typed_as_a_command_is_not_echoed(e2e):
    token = e2e.issue_token()
    result = e2e.run(token)
    assert result.code == 2, result
    assert "sk_pat_********" in result.stderr


def test_complete_prints_a_bash_completion_script(e2e, tmp_path):
    import shutil
    import subprocess

    result = e2e.run("complete")
    assert result.code == 0, result
    assert "_skytells()" in result.stdout
    assert "complete -F _skytells skytells" in result.stdout
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = tmp_path / "skytells.bash"
    script.write_text(result.stdout)
    probe = (f"source {script}; COMP_WORDS=(skytells ''); COMP_CWORD=1; _skytells skytells '' skytells; "
             "printf '%s\\n' \"${COMPREPLY[@]}\"")
    offered = subprocess.run([bash, "--norc", "--noprofile", "-c", probe], capture_output=True, text=True,
                             timeout=30, check=True).stdout.split()
    assert set(REQUIRED) <= set(offered)
