"""Where the CLI talks to and where it keeps its files, from the environment.

Precedence, highest first: command-line flags, environment variables, stored
credentials. This module covers the environment; commands apply their flags.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from skytells.errors import UsageError
from skytells.safety.redaction import registered
from skytells.safety.safe_files import read_regular_file
from skytells.safety.values import valid_profile_name

if sys.platform == "win32":  # the directories Windows programs use (elsewhere, the XDG rules below)
    import platformdirs

DEFAULT_CONSOLE_URL = "https://console.skytells.ai"
DEFAULT_INFERENCE_URL = "https://api.skytells.ai/v1"
#: Pages of the console that hints point to, below the console in use (``console_page``).
TOKENS_PATH = "/settings/tokens"
API_KEYS_PATH = "/settings/api-keys"

ENV_CONSOLE_URL = "SKYTELLS_API_URL"
ENV_INFERENCE_URL = "SKYTELLS_AI_API_URL"
ENV_CONFIG_DIR = "SKYTELLS_CONFIG_DIR"
ENV_TOKEN = "SKYTELLS_TOKEN"
ENV_ACCESS_KEY = "SKYTELLS_ACCESS_KEY"
ENV_API_KEY = "SKYTELLS_API_KEY"
ENV_CREDENTIAL_STORE = "SKYTELLS_CREDENTIAL_STORE"
ENV_PROFILE = "SKYTELLS_PROFILE"

#: Environment variable that overrides each stored credential field.
CREDENTIAL_ENV = {"token": ENV_TOKEN, "access_key": ENV_ACCESS_KEY, "api_key": ENV_API_KEY}


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


def _service_url(name: str) -> str | None:
    """The URL set through the environment variable ``name``, read by the one URL rule (UsageError if unsafe)."""
    explicit = _env(name)
    if explicit is None:
        return None
    # Only when a URL is set: urllib3 takes half as long to import as cliff.app (0.49x), too much for every run.
    from skytells.safety.urls import parse_service_url  # noqa: PLC0415

    return parse_service_url(explicit, name).text


def console_url() -> str:
    """Base URL of the Skytells console (its login and CLI endpoints)."""
    return console_url_from_env() or DEFAULT_CONSOLE_URL


def console_page(path: str, server: str | None = None) -> str:
    """The console page at ``path`` on ``server`` (default: the console in use), for hints."""
    return (server or console_url()).rstrip("/") + path


def console_url_from_env() -> str | None:
    """The console URL set through ``SKYTELLS_API_URL``, if any (https, or http to loopback)."""
    return _service_url(ENV_CONSOLE_URL)


def inference_url() -> str:
    """Base URL of the inference API (``SKYTELLS_AI_API_URL``, https or http to loopback)."""
    return _service_url(ENV_INFERENCE_URL) or DEFAULT_INFERENCE_URL


def config_dir() -> Path:
    """The configuration directory.

    ``$SKYTELLS_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/skytells``, else
    ``~/.config/skytells`` (the official CLI's location, shared with it); on
    Windows, platformdirs' roaming configuration directory.
    """
    explicit = _env(ENV_CONFIG_DIR)
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "win32":
        return Path(platformdirs.user_config_dir("skytells", appauthor=False, roaming=True))
    base = _env("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "skytells"


def credential_from_env(field: str) -> str | None:
    """The credential the environment sets for ``field`` (``token``, ``access_key``, ``api_key``)."""
    value = _env(CREDENTIAL_ENV[field])
    return registered(value) if value else None


def profile_from_env() -> str | None:
    """The profile chosen by ``SKYTELLS_PROFILE`` (``--profile`` outranks it: see ``skytells.cli.context``).

    A bad ``SKYTELLS_PROFILE`` is a UsageError: saved, it would make the whole file unreadable.
    """
    name = _env(ENV_PROFILE)
    if name is not None and not valid_profile_name(name):
        raise UsageError(f"{ENV_PROFILE} must be a profile name: 1-64 letters, digits, '-', '_' or '.'.")
    return name


CONFIG_FILE = "config.json"
#: The setting in ``config.json`` that names the credential store.
CREDENTIAL_STORE_SETTING = "credential_store"


def credential_store_choice() -> tuple[str, str]:
    """The credential store plugin to use and what chose it.

    ``$SKYTELLS_CREDENTIAL_STORE``, else ``"credential_store"`` in
    ``<config dir>/config.json``, else ``file``. A config.json whose content
    cannot be used is a UsageError naming it; one that is not a regular file of
    ours, or is over 1 MiB, a StoreError naming it.
    """
    from_env = _env(ENV_CREDENTIAL_STORE)
    if from_env:
        return from_env, ENV_CREDENTIAL_STORE
    path = config_dir() / CONFIG_FILE
    value = _config_setting(path, CREDENTIAL_STORE_SETTING)
    if value is not None:
        return value, f"{CREDENTIAL_STORE_SETTING} in {path}"
    return "file", "default"


def _config_setting(path: Path, name: str) -> str | None:
    """Setting ``name`` of ``config.json`` at ``path``; read as :func:`skytells.safety.safe_files.read_regular_file`
    reads (a link, a FIFO, a device, a directory, another user's or an oversized file is a StoreError)."""
    raw = read_regular_file(path)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"Could not read {path}: it is not UTF-8 text.", hint="Fix it or remove it.") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError:
        raise UsageError(f"{path} is not valid JSON.", hint="Fix it or remove it.") from None
    value = data.get(name) if isinstance(data, dict) else None
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise UsageError(f"{name!r} in {path} must be the name of a credential store, such as \"file\".")
    return value.strip() if value else None


def credential_store_name() -> str:
    """Name of the credential store plugin to use (default ``file``); see ``credential_store_choice``."""
    return credential_store_choice()[0]


def cache_dir() -> Path:
    """Where the CLI caches data it can rebuild (``$XDG_CACHE_HOME/skytells``)."""
    if sys.platform == "win32":
        return Path(platformdirs.user_cache_dir("skytells", appauthor=False))
    base = _env("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "skytells"
