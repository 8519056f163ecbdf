"""Fixtures for the reliability tests (all prefixed ``rel_`` so no other test directory's fixtures clash).

The machinery itself lives in ``reliability_support.py`` next to this file,
which ``benchmarks/stress.py`` uses too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reliability_support import HostileServer, World
from skytells_sandbox.server import Sandbox

from tests.file_system_faults import is_root as is_root  # re-exported: the test modules import it from here
from tests.file_system_faults import small_filesystem, without_root_powers

NOBODY = 65534


@pytest.fixture
def rel_world(tmp_path: Path) -> Iterator[World]:
    """An isolated machine with a clean environment (no sandbox: tests choose their server)."""
    with World(tmp_path) as world:
        yield world


@pytest.fixture
def rel_sandbox(rel_world: World) -> Sandbox:
    """A started sandbox (console and inference API) that ``rel_world`` points at; it stops with the world."""
    return rel_world.start_sandbox(interval=1)


@pytest.fixture
def rel_hostile() -> Iterator[type[HostileServer]]:
    """Make hostile servers: ``rel_hostile(routes)``; each is started, and stopped when the test ends."""
    started: list[HostileServer] = []

    class Started(HostileServer):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.start()
            started.append(self)

    yield Started
    for server in started:
        server.stop()


@pytest.fixture
def rel_without_root_powers() -> tuple[str, ...]:
    """A command prefix under which permission bits apply (as root: setpriv dropping CAP_DAC_OVERRIDE)."""
    return without_root_powers()


@pytest.fixture
def rel_small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted for the test (root only; skipped where mounting is not allowed)."""
    with small_filesystem(tmp_path) as mount_point:
        yield mount_point
