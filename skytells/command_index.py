"""One-line command summaries for ``skytells help``, without importing every command each time.

A command's summary is the first line of its description. Summaries are
cached in ``<cache dir>/command-summaries.json``, keyed by the entry point's
target and invalidated as a whole when the interpreter or any directory on
``sys.path`` changes (installing or removing a distribution changes its
directory). The command list itself always comes from the current entry
points, so a newly installed or removed command shows at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import json
import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

from skytells import settings

LOG = logging.getLogger(__name__)
CACHE_FILE = "command-summaries.json"
FORMAT_VERSION = 1


def environment_fingerprint() -> str:
    """A digest of the interpreter and the modification times of ``sys.path`` entries."""
    digest = hashlib.sha256(sys.executable.encode())
    for entry in sys.path:
        try:
            mtime = os.stat(entry or ".").st_mtime_ns
        except OSError:
            mtime = -1
        digest.update(f"{entry}\0{mtime}\0".encode())
    return digest.hexdigest()


def describe(command_class: Any) -> str:
    """The first line of a command class's description, as cliff computes it."""
    text = getattr(command_class, "_description", "") or inspect.getdoc(command_class) or ""
    return text.strip().split("\n", 1)[0].rstrip(".")


def _read_cache(path: str, fingerprint: str) -> dict[str, str]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or data.get("fingerprint") != fingerprint:
        return {}
    entries = data.get("summaries")
    return entries if isinstance(entries, dict) else {}


def _write_cache(path: str, fingerprint: str, summaries: dict[str, str]) -> None:
    directory = os.path.dirname(path)
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(directory, exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump({"version": FORMAT_VERSION, "fingerprint": fingerprint, "summaries": summaries}, handle)
        os.replace(temporary, path)
    except OSError as error:  # a read-only home only costs speed
        LOG.debug("Could not write %s: %s", path, error)
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def summaries(commands: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Map each command name to its summary; commands that fail to load say so."""
    path = os.path.join(settings.cache_dir(), CACHE_FILE)
    fingerprint = environment_fingerprint()
    cached = _read_cache(path, fingerprint)
    result: dict[str, str] = {}
    fresh: dict[str, str] = {}
    for name, ep in commands:
        key = f"{ep.value}"
        if key in cached:
            result[name] = fresh[key] = cached[key]
            continue
        try:
            summary = describe(ep.load())
        except Exception as error:  # a broken plugin must not break help
            LOG.warning("The command %r (%s) failed to load: %s: %s", name, ep.value, type(error).__name__, error)
            result[name] = f"(failed to load: {type(error).__name__})"
            continue
        result[name] = fresh[key] = summary
    if fresh != cached:
        _write_cache(path, fingerprint, fresh)
    return result
