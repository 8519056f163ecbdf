"""What each command imports: only the chosen command, and nothing heavy on the local paths."""

from __future__ import annotations

import json

import pytest

HEAVY = ("requests", "urllib3", "rich", "yaml", "skytells.net.console_api", "skytells.net.http",
         "skytells.net.protocol")

# Loaded by ``site`` from the plugin directory on PYTHONPATH: writes the modules a run imported when it exits.
# (``-X importtime`` cannot tell: it misses the modules that entry points load through importlib.)
SITECUSTOMIZE = """
import atexit, os, sys

def _record():
    with open(os.environ["STARTUP_MODULES_FILE"], "w") as handle:
        handle.write("\\n".join(sorted(sys.modules)))

atexit.register(_record)
"""


def _imported(world, *args: str) -> set[str]:
    """Every module ``skytells *args`` had imported when it exited."""
    record = world.root / "modules.txt"
    record.unlink(missing_ok=True)
    world.env["STARTUP_MODULES_FILE"] = str(record)
    result = world.run(*args)
    assert result.code == 0, result
    return set(record.read_text().split())


@pytest.fixture
def startup_cli(startup_world):
    (startup_world.site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    startup_world.backdate(60)  # old enough for skytells to cache what it reads
    startup_world.write_credentials()
    return startup_world


@pytest.mark.parametrize("args", [("--version",), ("help",), ("whoami", "--offline", "-f", "json"),
                                  ("auth", "token", "--no-check")])
def test_local_commands_import_nothing_heavy(startup_cli, args):
    startup_cli.run(*args)  # fill the caches first
    modules = _imported(startup_cli, *args)
    assert "skytells.main" in modules  # the record works
    assert not {name for name in modules if name in HEAVY or name.startswith(tuple(f"{h}." for h in HEAVY))}
    if args == ("help",):  # summaries come from the cache: no command module is imported
        assert not {name for name in modules if name.startswith(("skytells.commands.", "skytells_sandbox"))}


def test_version_does_not_even_import_cliff(startup_cli):
    modules = _imported(startup_cli, "--version")
    assert not {name for name in modules if name.split(".")[0] in ("cliff", "stevedore", "argparse")}
    assert startup_cli.run("--version").stdout == startup_cli.run("-q", "--version").stdout


@pytest.mark.parametrize("args", [("whoami", "--offline"), ("whoami", "--offline", "-f", "yaml"),
                                  ("auth", "status", "--offline"), ("help", "logout")])
def test_a_command_imports_no_other_command(startup_cli, args):
    startup_cli.run(*args)
    modules = _imported(startup_cli, *args)
    chosen = {"whoami": "whoami", "auth": "auth", "help": "logout"}[args[0]]
    commands = {name for name in modules if name.startswith(("skytells.commands.", "skytells_sandbox"))}
    assert commands == {f"skytells.commands.{chosen}"}


def test_json_switch_after_parsing_gets_the_json_defaults(startup_cli):
    shown = startup_cli.run("whoami", "--offline", "--json")
    assert shown.code == 0, shown
    assert json.loads(shown.stdout)["token"].startswith("sk_pat_")
    assert shown.stdout.startswith("{\n  ")  # indented: --noindent's default was filled in


def test_completion_lists_every_formatter_option(startup_cli):
    listed = startup_cli.run("complete")
    assert listed.code == 0, listed
    whoami = next(line for line in listed.stdout.splitlines() if line.strip().startswith("whoami)"))
    for option in ("--format", "--offline", "--noindent", "--prefix", "--max-width", "--print-empty"):
        assert f" {option}" in whoami, whoami


def test_auth_token_answered_from_its_recent_check_imports_nothing_heavy(startup_cli):
    """A script calling auth token often: the first run asks the server, the next ones load no HTTP stack."""
    sandbox = startup_cli.start_sandbox()
    startup_cli.use_sandbox(sandbox)
    startup_cli.write_credentials({"token": sandbox.issue_token()})
    assert startup_cli.run("auth", "token").code == 0  # asks the server, and remembers the answer
    modules = _imported(startup_cli, "auth", "token")
    # urllib3 reads the sandbox's URL from SKYTELLS_API_URL (a URL set in the environment); no HTTP client loads.
    network = tuple(name for name in HEAVY if name != "urllib3")
    assert not {name for name in modules if name in network or name.startswith(tuple(f"{h}." for h in network))}
