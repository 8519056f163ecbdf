"""The summary cache: one-line descriptions of commands and login methods without importing them.

A command's summary is the first line of its description, which takes
importing the command; so is a login method's description in ``skytells
login --help``. Summaries are therefore cached in
``<cache dir>/command-summaries.json`` (see ``skytells.extensions.discovery`` for the
slots and stamps), keyed by the kind of plugin and the entry point's target,
and a cached summary is used only while

- every ``sys.path`` entry is as it was when the summary was read (an install,
  upgrade or removal changes its directory), and so is the code that computes
  summaries, and
- the module files the summary came from (the entry point's module and the
  class's own) are unchanged, so that editing an editable install's source
  shows at once too.

Nothing is cached while those files changed within the last
``discovery.RACY_SECONDS``. The list of commands itself always comes from the
current entry points. Measured with benchmarks/startup.py (median CPU time of
21 runs, 2 shared cores), importing every command instead costs
``skytells help`` 12% (166 -> 186 ms), and 41% (177 -> 250 ms) with a plugin
of 500 commands installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import Any

from skytells.extensions import discovery

CACHE_FILE = "command-summaries.json"
FORMAT_VERSION = 4
#: The modules that compute summaries: a cached summary is as old as they are.
SUMMARY_CODE = (os.path.join("extensions", "summaries.py"), os.path.join("cli", "command.py"),
                os.path.join("login", "registry.py"))

#: ``{"kind entry-point-target": [summary, [stamp of each module file, ...]]}``
Entries = dict[str, list[Any]]


def _module_files(ep: Any, command_class: Any) -> list[str]:
    names = {ep.value.split(":", 1)[0].strip(), getattr(command_class, "__module__", "")}
    files = {getattr(sys.modules.get(name), "__file__", None) for name in names}
    return sorted(file for file in files if file)


def _environment() -> list[Any]:
    """What every cached summary depends on: ``sys.path`` and the code that computes summaries."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = [discovery.file_stamp(os.path.join(package, name)) for name in SUMMARY_CODE]
    return [*discovery.path_stamps(), *code]


def _read_cache(environment: list[Any]) -> Entries:
    slot = discovery.read_slot(CACHE_FILE)
    if not isinstance(slot, dict) or slot.get("version") != FORMAT_VERSION or slot.get("paths") != environment:
        return {}
    entries = slot.get("summaries")
    if not isinstance(entries, dict):
        return {}
    seen: dict[str, Any] = {}
    return {key: entry for key, entry in entries.items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
            and discovery.stamps_match(entry[1], seen)}


def cached_summaries(kind: str, entry_points: Iterable[tuple[str, Any]],
                     describe: Callable[[Any], tuple[str, Any]]) -> dict[str, str]:
    """Map each name to its summary: from the cache, else from ``describe(entry point)``.

    ``describe`` imports the plugin and returns its summary and the loaded
    class, whose module files then stamp the cached entry; None instead of a
    class keeps the summary out of the cache (a broken plugin is imported, and
    so reported, on every run). ``kind`` keeps each kind of plugin's entries
    apart in the one cache file.
    """
    environment = _environment()
    cached = _read_cache(environment)
    prefix = f"{kind} "
    result: dict[str, str] = {}
    fresh: Entries = {key: entry for key, entry in cached.items() if not key.startswith(prefix)}
    for name, ep in entry_points:
        key = f"{prefix}{ep.value}"
        if key in cached:
            result[name] = cached[key][0]
            fresh[key] = cached[key]
            continue
        result[name], loaded = describe(ep)
        if loaded is None:
            continue
        stamps = [discovery.file_stamp(file) for file in _module_files(ep, loaded)]
        if not discovery.is_racy(stamps):
            fresh[key] = [result[name], stamps]
    if fresh != cached and not discovery.is_racy(environment):
        discovery.write_slot(CACHE_FILE, {"version": FORMAT_VERSION, "paths": environment, "summaries": fresh})
    return result


