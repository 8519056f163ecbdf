"""Stores that cannot take a write, for tests: permission bits that hold even as root, a small tmpfs."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def is_root() -> bool:
    """True when the tests run as root (permission bits then do not stop us; another user must be used)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def without_root_powers() -> tuple[str, ...]:
    """A command prefix under which permission bits apply (as root: setpriv dropping CAP_DAC_OVERRIDE)."""
    if not is_root():
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("as root, permission bits are only enforced with setpriv")
    return ("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--")


@contextlib.contextmanager
def small_filesystem(directory: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted at ``directory/small`` (root only; skipped where mounting is not allowed)."""
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if not is_root() or not mount or not umount:
        pytest.skip("mounting a small file system needs root")
    mount_point = directory / "small"
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
