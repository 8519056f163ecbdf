"""Pip, wheels and fresh virtual environments for the packaging tests."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from skytells.testing import isolated_environment

TIMEOUT = 120


def pip(python: Path | str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m pip ARGS`` quietly; the result is returned whether or not pip succeeded."""
    return subprocess.run([str(python), "-m", "pip", "--quiet", "--disable-pip-version-check", "--no-input", *args],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False)


def wheel_files(wheel: Path) -> set[str]:
    """Every path a wheel installs (its archive names)."""
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


class Environment:
    """A fresh virtual environment whose third-party libraries are the running test environment's.

    Only the skytells distributions are left out of it, so what it holds of
    ``skytells`` is exactly what the tests install into it.
    """

    def __init__(self, root: Path, libraries: Path) -> None:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=TIMEOUT)
        self.bin = root / "bin"
        self.python = self.bin / "python"
        self.env = isolated_environment(root / "run")
        for variable in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE", "VIRTUAL_ENV"):
            self.env.pop(variable, None)
        self.site = Path(self.python_output("import sysconfig; print(sysconfig.get_paths()['purelib'])"))
        (self.site / "test-libraries.pth").write_text(f"{libraries}\n")

    def run(self, command: str, *args: str) -> subprocess.CompletedProcess:
        """Run one of this environment's commands (``skytells``, ``python``...)."""
        return subprocess.run([str(self.bin / command), *args], capture_output=True, text=True, timeout=TIMEOUT,
                              env=self.env, check=False)

    def python_output(self, code: str, *args: str) -> str:
        """What ``python -c CODE ARGS`` prints; the test fails if it does not exit 0."""
        done = self.run("python", "-c", code, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def install(self, wheel: Path) -> None:
        """``pip install`` a wheel, without its dependencies and without asking an index."""
        done = pip(self.python, "install", "--no-deps", "--no-index", "--no-compile", str(wheel), env=self.env)
        assert done.returncode == 0, done.stderr

    def uninstall(self, distribution: str) -> None:
        """``pip uninstall`` a distribution."""
        done = pip(self.python, "uninstall", "--yes", distribution, env=self.env)
        assert done.returncode == 0, done.stderr

    def package_files(self) -> set[str]:
        """Every file under ``site-packages/skytells``, as a wheel names it (``skytells/...``)."""
        package = self.site / "skytells"
        return {path.relative_to(self.site).as_posix() for path in package.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts}
