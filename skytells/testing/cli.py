"""Running the ``skytells`` executable in a subprocess, isolated from the caller's configuration."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skytells.masking import mask

#: Variables never inherited by the CLI under test: they would point it at real credentials,
#: a real server or a desktop.
DROPPED_PREFIXES = ("SKYTELLS_",)
DROPPED_VARIABLES = ("PYTHON_KEYRING_BACKEND", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "DBUS_SESSION_BUS_ADDRESS")
DEFAULT_TIMEOUT = 60.0
_CREDENTIAL_WORD = re.compile(r"sk_[A-Za-z]+_[A-Za-z0-9_-]+")


def executable() -> list[str]:
    """The command that runs this interpreter's ``skytells``."""
    script = Path(sys.executable).parent / ("skytells.exe" if os.name == "nt" else "skytells")
    return [str(script)] if script.exists() else [sys.executable, "-m", "skytells"]


def isolated_environment(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with home, config and cache under ``root``.

    Every ``SKYTELLS_*`` variable and the keyring/desktop selectors are
    dropped; ``SKYTELLS_CONFIG_DIR``, ``HOME``, ``XDG_CONFIG_HOME``,
    ``XDG_CACHE_HOME`` and ``XDG_DATA_HOME`` point inside ``root``.
    """
    env = {key: value for key, value in (os.environ if base is None else base).items()
           if not key.startswith(DROPPED_PREFIXES) and key not in DROPPED_VARIABLES}
    layout = {"HOME": "home", "XDG_CONFIG_HOME": "home/.config", "XDG_CACHE_HOME": "cache",
              "XDG_DATA_HOME": "home/.local/share", "SKYTELLS_CONFIG_DIR": "config"}
    for variable, relative in layout.items():
        env[variable] = str(root / relative)
    (root / "home").mkdir(parents=True, exist_ok=True)
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@dataclass(frozen=True)
class CliResult:
    """A finished ``skytells`` run."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    #: The configuration directory the run used (``SKYTELLS_CONFIG_DIR``).
    config_dir: Path

    @property
    def output(self) -> str:
        """stdout and stderr together, for "never printed" checks."""
        return self.stdout + self.stderr

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)

    def __str__(self) -> str:
        """The run for a failure report, with credential-looking words masked."""
        text = (f"skytells {' '.join(self.args)} -> exit {self.exit_code}\n"
                f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}")
        return _CREDENTIAL_WORD.sub(lambda found: mask(found.group()), text)


class CliRunner:
    """Runs ``skytells`` with its own home, configuration and cache directories under ``root``.

    ``env`` is the environment every run gets; change it to point the CLI at
    a sandbox (``runner.env["SKYTELLS_API_URL"] = sandbox.url``) or to select
    a plugin. Credentials stay in ``config_dir`` between runs of one runner.
    """

    def __init__(self, root: Path, *, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env = isolated_environment(root, env)
        self.config_dir = Path(self.env["SKYTELLS_CONFIG_DIR"])
        self.command = executable()

    def run(self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> CliResult:
        """Run ``skytells ARGS`` to completion; ``input`` is its stdin (closed and empty when None)."""
        run_env = {**self.env, **(env or {})}
        done = subprocess.run([*self.command, *args], input=input if input is not None else "",
                              capture_output=True, text=True, encoding="utf-8", errors="replace",
                              env=run_env, timeout=timeout, check=False)
        return CliResult(tuple(args), done.returncode, done.stdout, done.stderr,
                         Path(run_env["SKYTELLS_CONFIG_DIR"]))

    def credentials(self) -> dict[str, Any]:
        """The parsed ``credentials.json`` of this runner's configuration directory ({} if absent)."""
        path = self.config_dir / "credentials.json"
        if not path.exists():
            return {}
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def write_config(self, settings: Mapping[str, Any]) -> Path:
        """Write ``config.json`` (e.g. ``{"credential_store": "keyring"}``) in the configuration directory."""
        self.config_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.config_dir / "config.json"
        path.write_text(json.dumps(dict(settings)), encoding="utf-8")
        return path

