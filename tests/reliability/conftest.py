"""Fixtures for the reliability tests (all prefixed ``rel_`` so no other test directory's fixtures clash).

The machinery itself lives in ``reliability_support.py`` next to this file,
which ``benchmarks/stress.py`` uses too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from reliability_support import HostileServer, World
from skytells_sandbox.server import Sandbox

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


def is_root() -> bool:
    """True when the tests run as root (permission bits then do not stop us; another user must be used)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def rel_without_root_powers() -> tuple[str, ...]:
    """A command prefix under which permission bits apply (as root: setpriv dropping CAP_DAC_OVERRIDE)."""
    if not is_root():
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("as root, permission bits are only enforced with setpriv")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--")


@pytest.fixture
def rel_small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted for the test (root only; skipped where mounting is not allowed)."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if not is_root() or not mount or not umount:
        pytest.skip("mounting a small file system needs root")
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    done = subprocess.run([mount, "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(mount_point)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        with contextlib.suppress(OSError):
            subprocess.run([umount, "-l", str(mount_point)], capture_output=True, check=False)
