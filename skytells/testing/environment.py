"""Where the ``skytells`` executable is, and an environment for it that shares nothing with the caller's."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

#: Variables never inherited by the CLI under test: they would point it at real credentials, a real
#: server, a proxy, a desktop or the caller's terminal.
DROPPED_PREFIXES = ("SKYTELLS_",)
DROPPED_VARIABLES = (
    "PYTHON_KEYRING_BACKEND", "DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "DBUS_SESSION_BUS_ADDRESS",
    "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE",
    "http_proxy", "https_proxy", "all_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    "TERM", "COLUMNS", "LINES",
)
#: Set for every run: loopback traffic bypasses any proxy; text, times and the source tree stay predictable.
FIXED_VARIABLES = {
    "NO_PROXY": "127.0.0.1,localhost",
    "LANG": "C.UTF-8",
    "TZ": "UTC",
    "PYTHONIOENCODING": "utf-8",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def executable() -> list[str]:
    """The command that runs this interpreter's ``skytells`` (the script next to ``sys.executable``)."""
    script = Path(sys.executable).parent / ("skytells.exe" if os.name == "nt" else "skytells")
    return [str(script)] if script.exists() else [sys.executable, "-m", "skytells"]


def isolated_environment(root: Path, base: Mapping[str, str] | None = None, *, config_dir: Path | None = None,
                         cache_dir: Path | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with home, config and cache under ``root``.

    Every ``SKYTELLS_*`` variable and each of :data:`DROPPED_VARIABLES` is
    dropped; ``HOME`` is ``root/home`` (created), ``XDG_CONFIG_HOME`` and
    ``XDG_DATA_HOME`` are inside it, ``SKYTELLS_CONFIG_DIR`` is ``config_dir``
    (default ``root/config``) and ``XDG_CACHE_HOME`` is ``cache_dir`` (default
    ``root/cache``); :data:`FIXED_VARIABLES` are set.
    """
    env = {key: value for key, value in (os.environ if base is None else base).items()
           if not key.startswith(DROPPED_PREFIXES) and key not in DROPPED_VARIABLES}
    home = root / "home"
    env.update(FIXED_VARIABLES)
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(cache_dir or root / "cache"),
        "SKYTELLS_CONFIG_DIR": str(config_dir or root / "config"),
    })
    home.mkdir(parents=True, exist_ok=True)
    return env


def with_changes(env: Mapping[str, str], changes: Mapping[str, str | None] | None) -> dict[str, str]:
    """A copy of ``env`` with ``changes`` applied; a change to None removes the variable."""
    merged = dict(env)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def config_dir_of(env: Mapping[str, str]) -> Path:
    """The configuration directory ``skytells`` uses in ``env`` (on Linux and macOS)."""
    if env.get("SKYTELLS_CONFIG_DIR"):
        return Path(env["SKYTELLS_CONFIG_DIR"])
    return Path(env.get("XDG_CONFIG_HOME") or Path(env["HOME"]) / ".config") / "skytells"
