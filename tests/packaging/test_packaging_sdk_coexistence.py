"""skytells-cli and the official Skytells SDK (the ``skytells`` distribution) share one environment.

Both install files under ``skytells/``. The SDK owns the package's
``__init__.py``; the CLI ships no file and no module name the SDK ships, so
``skytells`` is one package made of both, or a namespace package of the
CLI's alone. Each test installs the real wheels with pip into a fresh
virtual environment, in either order, then removes one of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging_support import Environment, wheel_files

from skytells.cli_version import __version__

#: One worker runs them all under xdist (--dist loadgroup), so the module-scoped wheels are built once.
pytestmark = pytest.mark.xdist_group("packaging-wheels")

CLI, SDK = "skytells-cli", "skytells"
#: Install order, then the distribution removed. Both orders leave the same files (the test checks), and
#: pip removes what a distribution's RECORD lists whatever the order, so two cases cover the four.
SCENARIOS = {"sdk-then-cli-then-remove-cli": ((SDK, CLI), CLI), "cli-then-sdk-then-remove-sdk": ((CLI, SDK), SDK)}

#: Imports the SDK's public API, then every module of the CLI named on the command line, and reports what
#: the SDK's package looks like afterwards.
SDK_CHECK = """
import importlib, json, sys
import skytells
from skytells import SkytellsClient
clashes = sorted(set(vars(skytells)) & set(sys.argv[1:]))
for name in sys.argv[1:]:
    importlib.import_module("skytells." + name)
print(json.dumps({"client": SkytellsClient.__module__, "clashes": clashes,
                  "unchanged": skytells.SkytellsClient is SkytellsClient,
                  "lost": [name for name in skytells.__all__ if not hasattr(skytells, name)]}))
"""


def package_files(wheel: Path) -> set[str]:
    """The files a wheel puts in the ``skytells`` package."""
    return {name for name in wheel_files(wheel) if name.startswith("skytells/")}


def top_level_names(wheel: Path) -> set[str]:
    """The names a wheel takes directly in the ``skytells`` package: modules, subpackages and data files."""
    names = {name.split("/")[1] for name in package_files(wheel)}
    return {name.removesuffix(".py") for name in names}


def cli_modules(wheel: Path) -> list[str]:
    """Every module and subpackage directly in the CLI's part of ``skytells`` (``__main__`` aside: it runs)."""
    return sorted(top_level_names(wheel) - {"__main__"})


def assert_sdk_works(environment: Environment, cli_modules: list[str]) -> None:
    """The SDK's API imports, also after each of ``cli_modules``, which neither shadow nor replace it."""
    report = json.loads(environment.python_output(SDK_CHECK, *cli_modules))
    assert report == {"client": "skytells._client", "clashes": [], "unchanged": True, "lost": []}


def assert_cli_works(environment: Environment) -> None:
    """``skytells`` answers ``--version`` and ``help``, also as ``python -m skytells``; plugin interfaces import."""
    for argv in (["skytells", "--version"], ["python", "-m", "skytells", "--version"]):
        done = environment.run(*argv)
        assert (done.returncode, done.stdout, done.stderr) == (0, f"skytells {__version__}\n", "")
    listing = environment.run("skytells", "help")
    assert listing.returncode == 0, listing.stderr
    assert "login" in listing.stdout and "whoami" in listing.stdout
    environment.python_output("import skytells.cli.app, skytells.login.base, skytells.credentials.stores.base, "
                              "skytells.testing")


def test_the_wheels_share_no_file_and_no_name_in_the_package(packaging_cli_wheel: Path,
                                                              packaging_sdk_wheel: Path) -> None:
    ours, theirs = wheel_files(packaging_cli_wheel), wheel_files(packaging_sdk_wheel)

    assert ours & theirs == set()
    assert top_level_names(packaging_cli_wheel) & top_level_names(packaging_sdk_wheel) == set()
    assert "skytells/__init__.py" in theirs and "skytells/__init__.py" not in ours
    dist_info = f"skytells_cli-{__version__}.dist-info/"
    assert {name for name in ours if not name.startswith(("skytells/", dist_info))} == set()
    assert {"skytells/__main__.py", "skytells/cli_version.py", "skytells/login/base.py"} <= ours


@pytest.mark.parametrize(("order", "removed"), SCENARIOS.values(), ids=SCENARIOS.keys())
def test_both_work_in_one_environment_and_each_survives_the_others_removal(
        packaging_environment: Environment, packaging_cli_wheel: Path, packaging_sdk_wheel: Path,
        order: tuple[str, str], removed: str) -> None:
    wheels = {CLI: packaging_cli_wheel, SDK: packaging_sdk_wheel}
    for distribution in order:
        packaging_environment.install(wheels[distribution])

    assert packaging_environment.package_files() == package_files(packaging_cli_wheel) | package_files(
        packaging_sdk_wheel)
    assert_sdk_works(packaging_environment, cli_modules(packaging_cli_wheel))
    assert_cli_works(packaging_environment)

    packaging_environment.uninstall(removed)

    kept = SDK if removed == CLI else CLI
    assert packaging_environment.package_files() == package_files(wheels[kept])
    if kept == SDK:
        assert_sdk_works(packaging_environment, [])
        assert not (packaging_environment.bin / "skytells").exists()
        gone = packaging_environment.run("python", "-c", "import skytells.cli.app")
        assert "No module named 'skytells.cli'" in gone.stderr  # the CLI's subpackage went with it
    else:
        assert_cli_works(packaging_environment)
        gone = packaging_environment.run("python", "-c", "from skytells import SkytellsClient")
        assert "cannot import name 'SkytellsClient'" in gone.stderr
