"""Installing skytells-cli adds no pytest plugin: a project's tests get the skytells fixtures only if they ask.

Each test runs pytest on a throwaway project in a temporary directory, in
this environment (where skytells-cli is installed), with pytest's automatic
plugin loading on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

PLUGIN = "skytells.testing.pytest_plugin"
#: The throwaway project's test: it needs the kit's fixture and uses it.
PROJECT_TEST = """
def test_runs_skytells(skytells_cli):
    assert skytells_cli.run("--version").code == 0
"""
#: Ways a project opts in: file name -> text, and extra pytest arguments.
OPT_INS: dict[str, tuple[dict[str, str], list[str]]] = {
    "conftest": ({"conftest.py": f"pytest_plugins = [{PLUGIN!r}]\n"}, []),
    "ini-addopts": ({"pytest.ini": f"[pytest]\naddopts = -p {PLUGIN}\n"}, []),
    "command-line": ({}, ["-p", PLUGIN]),
}
#: Variables of the caller's environment that would load or block plugins in the throwaway run.
PYTEST_VARIABLES = ("PYTEST_ADDOPTS", "PYTEST_PLUGINS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD")


def run_project(root: Path, files: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Write a project (a test using ``skytells_cli``, and ``files``) in ``root`` and run pytest on it there."""
    project = {"pytest.ini": "[pytest]\n", "test_project.py": PROJECT_TEST, **files}
    for name, text in project.items():
        (root / name).write_text(text)
    env = {key: value for key, value in os.environ.items() if key not in PYTEST_VARIABLES}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA", *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_no_installed_distribution_registers_it_as_a_pytest11_plugin() -> None:
    automatic = {entry.value for entry in metadata.entry_points(group="pytest11")}

    assert {value for value in automatic if value.split(":")[0].startswith("skytells")} == set()


def test_a_project_that_does_not_opt_in_does_not_get_the_fixtures(tmp_path: Path) -> None:
    result = run_project(tmp_path, {})

    assert result.returncode == 1, result.stdout
    assert "fixture 'skytells_cli' not found" in result.stdout
    assert "1 error" in result.stdout


@pytest.mark.parametrize(("files", "args"), OPT_INS.values(), ids=OPT_INS.keys())
def test_a_project_that_opts_in_gets_the_fixtures(tmp_path: Path, files: dict[str, str], args: list[str]) -> None:
    result = run_project(tmp_path, files, *args)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASSED test_project.py::test_runs_skytells" in result.stdout
