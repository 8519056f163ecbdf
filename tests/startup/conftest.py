"""Fixtures for the start-up tests (all prefixed ``startup_`` so no other test directory's fixtures clash).

``startup_world`` runs the real ``skytells`` executable with a private home and
cache and a directory on ``PYTHONPATH`` into which tests ``pip install`` tiny
plugin distributions that they build on the spot (wheels written by hand:
a module, ``METADATA``, ``entry_points.txt`` and ``RECORD``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from skytells.testing import CliRunner
from skytells.testing.stores import new_token

TIMEOUT = 60


def startup_wheel(directory: Path, dist: str, version: str, modules: dict[str, str], entry_points: str) -> Path:
    """Write a pure-Python wheel: ``modules`` (module name -> source) and ``entry_points`` (INI text)."""
    dist_info = f"{dist}-{version}.dist-info"
    contents = {f"{name}.py": source.encode() for name, source in modules.items()}
    contents[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode()
    contents[f"{dist_info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    contents[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    contents[f"{dist_info}/top_level.txt"] = "".join(f"{name}\n" for name in modules).encode()
    record = []
    for arc, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{arc},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / f"{dist}-{version}-py3-none-any.whl"
    wheel.unlink(missing_ok=True)
    with zipfile.ZipFile(wheel, "w") as archive:
        for arc, data in contents.items():
            archive.writestr(arc, data)
    return wheel


def startup_command_source(commands: dict[str, tuple[str, str]], base: str = "cliff.command") -> str:
    """A module with one cliff command per ``class name -> (docstring, what it prints)``."""
    lines = [f"from {base} import Command", ""]
    for class_name, (doc, output) in commands.items():
        lines += ["", f"class {class_name}(Command):", f"    {doc!r}", "",
                  "    def take_action(self, parsed_args):", f"        self.app.stdout.write({output + chr(10)!r})",
                  "        return 0", ""]
    return "\n".join(lines)


class StartupWorld(CliRunner):
    """A private home and cache, and a plugin directory on ``PYTHONPATH`` (the only one)."""

    def __init__(self, root: Path) -> None:
        home = root / "home"
        super().__init__(root, config_dir=home / "config", cache_dir=home / ".cache")
        self.site = root / "site"
        self.wheels = root / "wheels"
        for directory in (self.cache_dir, self.site):
            directory.mkdir(parents=True)
        self.env["PYTHONPATH"] = str(self.site)

    def help_listing(self) -> dict[str, str]:
        """``skytells help``'s command list: name -> summary."""
        result = self.run("help")
        assert result.code == 0, result
        section = result.stdout.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
        listing = {}
        for line in section.splitlines():
            name, _, summary = line.strip().partition("  ")
            listing[name] = summary.strip()
        return listing

    def plugin(self, dist: str, commands: dict[str, tuple[str, str]], *, version: str = "1.0",
               base: str = "cliff.command", extra_modules: dict[str, str] | None = None,
               extra_entry_points: str = "") -> Path:
        """A wheel of ``dist`` with module ``<dist>_commands``: command name -> (docstring, output)."""
        module = f"{dist}_commands"
        classes = {f"Command{number}": spec for number, spec in enumerate(commands.values())}
        entry_points = "[skytells.commands]\n" + "".join(
            f"{name} = {module}:{class_name}\n" for name, class_name in zip(commands, classes, strict=True))
        modules = {module: startup_command_source(classes, base), **(extra_modules or {})}
        return startup_wheel(self.wheels, dist, version, modules, entry_points + extra_entry_points)

    def install(self, wheel: Path) -> None:
        """``pip install`` a wheel into the plugin directory, replacing what is there (same version or not)."""
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--no-index", "--no-compile", "--upgrade", "--target", str(self.site),
                        str(wheel)], check=True, timeout=TIMEOUT, capture_output=True)

    def uninstall(self, dist: str) -> None:
        """Remove every file a distribution's RECORD lists, and its dist-info, as ``pip uninstall`` does."""
        (dist_info,) = self.site.glob(f"{dist}-*.dist-info")
        for line in (dist_info / "RECORD").read_text().splitlines():
            (self.site / line.split(",", 1)[0]).unlink(missing_ok=True)
        for leftover in sorted(dist_info.rglob("*"), reverse=True):
            leftover.rmdir() if leftover.is_dir() else leftover.unlink()
        dist_info.rmdir()

    def backdate(self, seconds: float) -> None:
        """Make everything in the plugin directory look ``seconds`` old, as if installed that long ago."""
        moment = time.time() - seconds
        for path in [*self.site.rglob("*"), self.site]:
            os.utime(path, (moment, moment))

    def cached(self, file_name: str) -> str:
        """The text of one of skytells' cache files ("" if it does not exist)."""
        path = self.cache_dir / "skytells" / file_name
        return path.read_text() if path.exists() else ""

    def write_credentials(self, document: Any = None, **modes: int) -> bytes:
        """By default a stored personal access token, so that ``whoami --offline`` has something to show."""
        return super().write_credentials(document or {"token": new_token(), "created_at": 1700000000000}, **modes)


@pytest.fixture
def startup_quiet() -> None:
    """Wait (at most ``RACY_SECONDS``) if this environment or skytells' cache code changed a moment ago.

    skytells does not write its caches then, and the tests check that the caches were written.
    """
    from skytells.extensions import discovery

    here = Path(discovery.__file__).parent
    paths = [Path(sys.executable).parent, Path(sysconfig.get_paths()["purelib"]), here / "help.py",
             here / "command_base.py"]
    newest = max((stamp[1] for stamp in map(discovery.file_stamp, map(str, paths)) if len(stamp) > 1), default=0)
    wait = newest / 1e9 + discovery.RACY_SECONDS - time.time()
    if wait > 0:
        time.sleep(min(wait, discovery.RACY_SECONDS) + 0.05)


@pytest.fixture
def startup_world(tmp_path: Path, startup_quiet: None) -> StartupWorld:
    """A private home and cache, and a plugin directory on ``PYTHONPATH`` (see :class:`StartupWorld`)."""
    return StartupWorld(tmp_path)
