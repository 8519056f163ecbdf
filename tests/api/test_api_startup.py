"""``skytells api`` imports what a request needs and nothing more; ``help`` and ``whoami --offline`` stay light."""

from __future__ import annotations

import pytest

from tests.fixture_loading import load_conftest

_startup = load_conftest("api_startup_fixtures", "startup")
startup_quiet = _startup.startup_quiet
startup_world = _startup.startup_world

# Loaded by ``site`` from the plugin directory on PYTHONPATH: writes the modules a run imported when it exits.
SITECUSTOMIZE = """
import atexit, os, sys

def _record():
    with open(os.environ["STARTUP_MODULES_FILE"], "w") as handle:
        handle.write("\\n".join(sorted(sys.modules)))

atexit.register(_record)
"""
NEVER = ("rich", "yaml", "prettytable", "cliff.formatters", "skytells.net.console_api", "skytells.net.protocol",
         "skytells.login", "skytells_sandbox")


def imported(world, *args: str, code: int = 0) -> set[str]:
    record = world.root / "modules.txt"
    record.unlink(missing_ok=True)
    world.env["STARTUP_MODULES_FILE"] = str(record)
    result = world.run(*args)
    assert result.code == code, result
    return set(record.read_text().split())


@pytest.fixture
def world(startup_world):
    (startup_world.site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    startup_world.backdate(60)
    return startup_world


def heavy(modules: set[str], names: tuple[str, ...]) -> set[str]:
    return {module for module in modules if module in names or module.startswith(tuple(n + "." for n in names))}


def test_api_help_imports_no_network_or_display_library(world):
    modules = imported(world, "api", "--help")
    assert "skytells.commands.api" in modules
    assert heavy(modules, ("requests", "urllib3", *NEVER)) == set()
    assert {m for m in modules if m.startswith("skytells.commands.")} == {"skytells.commands.api"}


def test_a_request_imports_requests_but_nothing_for_display_or_login(world, api_server):
    server = api_server()
    modules = imported(world, "api", server.url + "/x", code=2)  # refused: not the console's origin
    assert heavy(modules, NEVER) == set()
    world.env["SKYTELLS_API_URL"] = server.url
    world.env["SKYTELLS_TOKEN"] = "sk_pat_" + "0" * 64
    modules = imported(world, "api", "/x")
    assert "requests" in modules
    assert heavy(modules, NEVER) == set()
    assert {m for m in modules if m.startswith("skytells.commands.")} == {"skytells.commands.api"}


@pytest.mark.parametrize("args", [("help",), ("whoami", "--offline", "-f", "json")])
def test_local_commands_still_import_no_api_client(world, args):
    world.write_credentials()
    world.run(*args)  # fill the caches first
    modules = imported(world, *args)
    assert heavy(modules, ("skytells.net.api_client", "skytells.net.http", "skytells.cli.client", "requests")) == set()
