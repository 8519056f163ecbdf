"""The ``skytells`` pytest plugin: fixtures for testing skytells plugins.

Opt-in: installing skytells-cli does not register it, so other projects'
pytest runs stay as they were. A plugin's test suite enables it with
``pytest_plugins = ["skytells.testing.pytest_plugin"]`` in the conftest.py
of its root directory (pytest reads ``pytest_plugins`` nowhere else), or
with ``-p skytells.testing.pytest_plugin`` (on the command line or in
``addopts``). The fixtures' names all start with ``skytells_``.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from skytells.testing.cli import CliRunner
from skytells.testing.inprocess import InProcessRunner
from skytells.testing.sandbox import SANDBOX_MISSING, start_sandbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "skytells_sandbox(**settings): SandboxConfig settings for the skytells_sandbox fixture")


@pytest.fixture
def skytells_sandbox_factory() -> Iterator[Callable[..., Any]]:
    """Start sandboxes on free loopback ports (``factory(auto_approve=True)``); all stop after the test.

    The test is skipped when skytells-sandbox is not installed.
    """
    if importlib.util.find_spec("skytells_sandbox") is None:
        pytest.skip(SANDBOX_MISSING)
    with contextlib.ExitStack() as started:
        yield lambda **settings: started.enter_context(start_sandbox(**settings))


@pytest.fixture
def skytells_sandbox(request: pytest.FixtureRequest, skytells_sandbox_factory: Callable[..., Any]) -> Any:
    """A started sandbox (skytells_sandbox.server.Sandbox): ``.url``, ``.issue_token()``, ``.approve()``...

    Settings come from ``@pytest.mark.skytells_sandbox(...)`` when present.
    """
    marker = request.node.get_closest_marker("skytells_sandbox")
    return skytells_sandbox_factory(**(marker.kwargs if marker else {}))


@pytest.fixture
def skytells_cli(tmp_path: Path) -> Iterator[CliRunner]:
    """A CliRunner: ``skytells_cli.run("whoami", "--offline")`` returns a CliResult.

    Each test gets its own home, configuration and cache directories, and no
    ``SKYTELLS_*`` variable from the caller's environment. Sandboxes started
    with ``skytells_cli.start_sandbox()`` stop when the test ends.
    """
    with CliRunner(tmp_path / "skytells-cli") as runner:
        yield runner


@pytest.fixture
def skytells_cli_in_process(tmp_path: Path) -> Iterator[InProcessRunner]:
    """An InProcessRunner: like ``skytells_cli``, but ``run`` calls ``skytells.main.main`` in this process.

    Runs that need a process of their own (another program, a wrapper, an
    environment that sets up the interpreter otherwise) and ``start`` and
    ``spawn`` still start the executable.
    """
    runner = InProcessRunner(tmp_path / "skytells-cli")
    with runner:
        yield runner
