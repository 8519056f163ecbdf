"""One-line command summaries for ``skytells help``, without importing every command each time.

A command's summary is the first line of its description. Summaries are
cached in ``<cache dir>/command-summaries.json`` (one slot per interpreter and
``sys.path``, see ``skytells.discovery``), keyed by the entry point's target.
A cached summary is used only while

- every ``sys.path`` entry is as it was when the summary was read (installing,
  upgrading or removing a distribution changes its directory: see
  ``skytells.discovery``), and so is the code that computes summaries, and
- the module files the summary came from (the entry point's module and the
  class's own) are unchanged (modification time in nanoseconds, inode and
  size), so that editing an editable install's source shows at once too.

Nothing is cached while those files changed within the last
``discovery.RACY_SECONDS``. The command list itself always comes from the
current entry points, so a newly installed or removed command shows at once.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from typing import Any

from skytells import discovery

LOG = logging.getLogger(__name__)
CACHE_FILE = "command-summaries.json"
FORMAT_VERSION = 2

#: ``{entry point target: [summary, [stamp of each module file, ...]]}``
Entries = dict[str, list[Any]]


def describe(command_class: Any) -> str:
    """The first line of a command class's description, as ``skytells help COMMAND`` shows it."""
    from skytells.command_base import description

    return description(command_class).strip().split("\n", 1)[0].rstrip(".")


def _module_files(ep: Any, command_class: Any) -> list[str]:
    names = {ep.value.split(":", 1)[0].strip(), getattr(command_class, "__module__", "")}
    files = {getattr(sys.modules.get(name), "__file__", None) for name in names}
    return sorted(file for file in files if file)


def _stamp_files(files: Iterable[str]) -> list[Any]:
    return [discovery.file_stamp(file) for file in files]


def _read_cache(paths: list[Any]) -> Entries:
    slot = discovery.read_slot(CACHE_FILE)
    if not isinstance(slot, dict) or slot.get("version") != FORMAT_VERSION or slot.get("paths") != paths:
        return {}
    entries = slot.get("summaries")
    if not isinstance(entries, dict):
        return {}
    seen: dict[str, Any] = {}
    return {key: entry for key, entry in entries.items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
            and discovery.stamps_match(entry[1], seen)}


def _environment() -> list[Any]:
    """What every cached summary depends on: ``sys.path`` and the code that computes summaries."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = [discovery.file_stamp(os.path.join(here, name)) for name in ("command_index.py", "command_base.py")]
    return [*discovery.path_stamps(), *code]


def summaries(commands: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Map each command name to its summary; commands that fail to load say so."""
    paths = _environment()
    cached = _read_cache(paths)
    result: dict[str, str] = {}
    fresh: Entries = {}
    for name, ep in commands:
        key = f"{ep.value}"
        if key in cached:
            result[name] = cached[key][0]
            fresh[key] = cached[key]
            continue
        try:
            command_class = ep.load()
            summary = describe(command_class)
        except Exception as error:  # a broken plugin must not break help
            LOG.warning("The command %r (%s) failed to load: %s: %s", name, ep.value, type(error).__name__, error)
            result[name] = f"(failed to load: {type(error).__name__})"
            continue
        result[name] = summary
        broken = getattr(command_class, "plugin_error", None)
        if broken is not None:  # a stand-in from plugins.CommandEntryPoint: warn, never cache
            from skytells import plugins

            plugins.warn_broken(broken)
            continue
        stamps = _stamp_files(_module_files(ep, command_class))
        if not discovery.is_racy(stamps):
            fresh[key] = [summary, stamps]
    if fresh != cached and not discovery.is_racy(paths):
        discovery.write_slot(CACHE_FILE, {"version": FORMAT_VERSION, "paths": paths, "summaries": fresh})
    return result
