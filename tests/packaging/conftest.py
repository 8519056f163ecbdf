"""Fixtures for the packaging tests (all prefixed ``packaging_`` so no other test directory's fixtures clash).

They build the skytells-cli wheel from a copy of this source tree, fetch the
official SDK's wheel (the ``skytells`` distribution) from the package index,
and make fresh virtual environments (``packaging_support.Environment``) into
which tests install, and from which they uninstall, those wheels with pip.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import sysconfig
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from packaging_support import Environment, pip

REPO = Path(__file__).resolve().parents[2]
SDK_REQUIREMENT = "skytells==1.0.0"
#: What pip prints when it cannot reach the package index (rather than when the index lacks the SDK).
UNREACHABLE = re.compile(r"NewConnectionError|Max retries exceeded|Temporary failure in name resolution|"
                         r"Network is unreachable|Could not fetch URL|ConnectTimeout|ReadTimeout")
#: Never copied into the tree the wheel is built from: a stale build/ could otherwise slip old files into it.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", ".tox", "build", "dist", "*.egg-info", "__pycache__",
                                     ".*_cache", ".hypothesis", ".bench")


@pytest.fixture(scope="module")
def packaging_cli_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The skytells-cli wheel, built by ``pip wheel`` from a clean copy of this source tree."""
    root = tmp_path_factory.mktemp("cli-wheel")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES, symlinks=True)
    done = pip(sys.executable, "wheel", "--no-deps", "--wheel-dir", str(root), str(source))
    assert done.returncode == 0, done.stderr
    (wheel,) = root.glob("skytells_cli-*.whl")
    return wheel


@pytest.fixture(scope="module")
def packaging_sdk_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The official SDK's wheel, downloaded from the package index.

    Skipped only when the index cannot be reached, and never under CI.
    """
    root = tmp_path_factory.mktemp("sdk-wheel")
    done = pip(sys.executable, "download", "--no-deps", "--only-binary", ":all:", "--dest", str(root),
                         SDK_REQUIREMENT)
    if done.returncode != 0:
        if UNREACHABLE.search(done.stderr) and not os.environ.get("CI"):
            pytest.skip(f"the package index is unreachable, so {SDK_REQUIREMENT} cannot be downloaded")
        pytest.fail(f"pip download {SDK_REQUIREMENT} failed:\n{done.stderr}")
    (wheel,) = root.glob("skytells-*.whl")
    return wheel


@pytest.fixture(scope="module")
def packaging_libraries(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of links to this environment's libraries (cliff, requests, pip...) except skytells'.

    Fresh environments put it on their path, which spares installing the
    CLI's dependencies into each of them.
    """
    root = tmp_path_factory.mktemp("libraries")
    paths = sysconfig.get_paths()
    for site in dict.fromkeys([paths["purelib"], paths["platlib"]]):
        for entry in Path(site).iterdir():
            name = entry.name.lower()
            if not name.startswith(("skytells", "__editable__")) and not (root / entry.name).exists():
                (root / entry.name).symlink_to(entry)
    return root


@pytest.fixture
def packaging_environment(tmp_path: Path, packaging_libraries: Path) -> Environment:
    """A fresh virtual environment (see :class:`Environment`)."""
    return Environment(tmp_path / "venv", packaging_libraries)
