"""What each command imports, and lazily added formatter options parsing exactly like eager ones."""

from __future__ import annotations

import json

import pytest

from skytells.app import SkytellsApp
from skytells.commands.whoami import WhoAmI

HEAVY = ("requests", "urllib3", "rich", "yaml", "prettytable", "wcwidth", "skytells.console_api", "skytells.http")

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


@pytest.mark.parametrize("args", [("--version",), ("help",), ("whoami", "--offline", "-f", "json")])
def test_local_commands_import_nothing_heavy(startup_cli, args):
    startup_cli.run(*args)  # fill the caches first
    modules = _imported(startup_cli, *args)
    assert "skytells.main" in modules  # the record works
    assert not {name for name in modules if name.split(".")[0] in HEAVY or name in HEAVY}
    if args == ("help",):  # summaries come from the cache: no command module is imported
        assert not {name for name in modules if name.startswith(("skytells.commands.", "skytells_sandbox"))}


def test_version_does_not_even_import_cliff(startup_cli):
    modules = _imported(startup_cli, "--version")
    assert not {name for name in modules if name.split(".")[0] in ("cliff", "stevedore", "argparse")}
    assert startup_cli.run("--version").stdout == startup_cli.run("-q", "--version").stdout


def test_the_default_table_imports_its_formatter_only(startup_cli):
    startup_cli.run("whoami", "--offline")
    modules = _imported(startup_cli, "whoami", "--offline")
    assert {"prettytable", "cliff.formatters.table", "skytells.commands.whoami"} <= modules
    others = {"yaml", "cliff.formatters.yaml_format", "cliff.formatters.shell", "cliff.formatters.json_format",
              "cliff.formatters.value", "requests", "rich", "skytells.console_api", "skytells.commands.login",
              "skytells_sandbox", "cmd2"}
    assert not modules & others


def _full_and_lazy(argv):
    """Parse ``argv`` with formatter options added on demand, and with all of them added up front."""
    app = SkytellsApp()
    lazy = WhoAmI(app, None, cmd_name="whoami").get_parser("skytells whoami")
    full = WhoAmI(app, None, cmd_name="whoami").get_parser("skytells whoami")
    full.add_deferred()
    return lazy, full


ACCEPTED = [
    [], ["--offline"], ["-f", "json"], ["-fjson"], ["--format=yaml"], ["-f", "json", "--noindent"],
    ["--noindent"], ["--max-width", "30"], ["--max-width=30", "-f", "value"], ["-c", "token", "-f", "value"],
    ["--json", "--offline"], ["--pre", "X_", "-f", "shell"], ["--fit"], ["-f", "table", "--print-empty"],
    ["--no"],
]


@pytest.mark.parametrize("argv", ACCEPTED, ids=" ".join)
def test_lazy_formatter_options_parse_like_eager_ones(argv):
    lazy, full = _full_and_lazy(argv)
    got, expected = vars(lazy.parse_args(argv)), vars(full.parse_args(argv))
    # Options of formatters that are not in use may be missing; everything present is identical.
    assert got == {key: value for key, value in expected.items() if key in got}
    assert {"formatter", "columns", "offline", "json"} <= set(got)
    table_options = {"max_width", "fit_width", "print_empty"}
    if got["formatter"] == "table":
        assert table_options <= set(got)


@pytest.mark.parametrize("argv", [["--bogus"], ["-f", "nope"], ["--prefix"], ["-f"], ["--", "x"], ["--p"]],
                         ids=" ".join)
def test_lazy_formatter_options_reject_like_eager_ones(argv, capsys):
    lazy, full = _full_and_lazy(argv)
    with pytest.raises(SystemExit) as eager_exit:
        full.parse_args(argv)
    eager_error = capsys.readouterr().err
    with pytest.raises(SystemExit) as lazy_exit:
        lazy.parse_args(argv)
    assert (lazy_exit.value.code, capsys.readouterr().err) == (eager_exit.value.code, eager_error)


def test_help_of_a_display_command_lists_every_formatter_option():
    lazy, full = _full_and_lazy([])
    text = lazy.format_help()
    assert text == full.format_help()
    for option in ("--noindent", "--prefix", "--max-width", "--fit-width", "--print-empty"):
        assert option in text


def test_json_switch_after_parsing_gets_the_json_defaults(startup_cli):
    shown = startup_cli.run("whoami", "--offline", "--json")
    assert shown.code == 0, shown
    assert json.loads(shown.stdout)["token"].startswith("sk_pat_")
    assert shown.stdout.startswith("{\n  ")  # indented: --noindent's default was filled in


def test_completion_lists_every_formatter_option(startup_cli):
    listed = startup_cli.run("complete")
    assert listed.code == 0, listed
    whoami = next(line for line in listed.stdout.splitlines() if "cmds_whoami=" in line)
    for option in ("--format", "--offline", "--noindent", "--prefix", "--max-width", "--print-empty"):
        assert f" {option}" in whoami, whoami
