"""An on-disk index of the entry points this CLI reads, checked for freshness on every run.

Listing entry points means reading the metadata of every installed
distribution, which grows with the environment. The groups the CLI uses
(``skytells.*`` and cliff's ``cliff.formatter.*``) are therefore kept in
``<cache dir>/entry-points.json`` and rebuilt when the environment changes.

Why not stevedore's cache: its key packs each modification time into a
32-bit float (a resolution of about two minutes), so reinstalling a plugin
with different entry points within that window serves the old ones; it also
globs every ``entry_points.txt`` on ``sys.path`` on each run, which grows with
the number of installed distributions, and it writes a new file for every
state of the environment.

Freshness: installing, upgrading or removing a distribution creates or removes
its ``*.dist-info`` (or ``*.egg-info``) directory inside a ``sys.path``
directory, which changes that directory's modification time (kept here to the
nanosecond, with its inode and size). Legacy ``*.egg-info`` directories can
have their ``entry_points.txt`` rewritten in place, so those files are checked
too. A check therefore costs one ``stat`` per ``sys.path`` entry and per
egg-info, whatever the number of distributions. An index is not written while
anything it depends on changed within the last ``RACY_SECONDS`` (an install may
still be under way, and two changes within one tick of the file-system clock
look alike): until the environment is quiet, each run reads the metadata.

Cache files hold one slot per environment (interpreter and ``sys.path``), the
``MAX_SLOTS`` most recently written, so that several installations sharing a
cache directory do not evict each other and the files stay bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from importlib.metadata import EntryPoint
from typing import Any

#: Entry-point groups kept in the index (prefixes).
GROUP_PREFIXES = ("skytells.", "cliff.formatter.")
FORMAT_VERSION = 1
RACY_SECONDS = 2.0
MAX_SLOTS = 4
INDEX_FILE = "entry-points.json"

#: ``[path, mtime_ns, inode, size]``; ``[path]`` alone when the path does not exist.
Stamp = list[Any]

#: group -> [(name, value, distribution name)]
Groups = dict[str, list[tuple[str, str, str]]]

_loaded: Groups | None = None
_path_stamps: list[Stamp] | None = None


def file_stamp(path: str) -> Stamp:
    """``[path, mtime_ns, inode, size]`` of ``path``, or ``[path]`` when it does not exist."""
    try:
        st = os.stat(path or ".")
    except OSError:
        return [path]
    return [path, st.st_mtime_ns, st.st_ino, st.st_size]


def stamps_match(stamps: Any, seen: dict[str, Stamp] | None = None) -> bool:
    """True when ``stamps`` (a list of ``file_stamp`` results) still describe the files.

    ``seen`` remembers the stamps taken, so that a file shared by many entries is checked once.
    """
    if not isinstance(stamps, list):
        return False
    seen = {} if seen is None else seen
    for stamp in stamps:
        if not (isinstance(stamp, list) and stamp and isinstance(stamp[0], str)):
            return False
        current = seen.get(stamp[0])
        if current is None:
            current = seen[stamp[0]] = file_stamp(stamp[0])
        if current != stamp:
            return False
    return True


def path_stamps() -> list[Stamp]:
    """The state of every ``sys.path`` entry: what an install, upgrade or removal changes (once per process)."""
    global _path_stamps
    if _path_stamps is None:
        _path_stamps = [file_stamp(entry) for entry in sys.path]
    return _path_stamps


def is_racy(stamps: list[Stamp]) -> bool:
    """True when one of ``stamps`` changed within the last ``RACY_SECONDS``: too recent to cache."""
    newest = max((stamp[1] for stamp in stamps if len(stamp) > 1), default=0)
    return newest >= time.time_ns() - int(RACY_SECONDS * 1e9)


# -- cache files with one slot per environment ------------------------------------------------


def _environment_key() -> str:
    return hashlib.sha256("\0".join([sys.version, sys.executable, sys.prefix, *sys.path]).encode()).hexdigest()


def _cache_path(file_name: str) -> str:
    from skytells import settings

    return os.path.join(settings.cache_dir(), file_name)


def _read_slots(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def read_slot(file_name: str) -> Any:
    """This environment's slot of the cache file ``file_name``, or None."""
    return _read_slots(_cache_path(file_name)).get(_environment_key())


def write_slot(file_name: str, value: Any) -> None:
    """Store ``value`` as this environment's slot of ``file_name``, keeping the ``MAX_SLOTS`` newest slots.

    The file is replaced atomically; a concurrent writer may win, which only
    costs a rebuild later. A cache directory that cannot be written only costs speed.
    """
    path = _cache_path(file_name)
    slots = _read_slots(path)
    key = _environment_key()
    slots.pop(key, None)
    while len(slots) >= MAX_SLOTS:
        slots.pop(next(iter(slots)))
    slots[key] = value
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(slots, handle)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


# -- the entry-point index --------------------------------------------------------------------


def _normalize(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


def _scan() -> tuple[Groups, list[Stamp]]:
    """Read every distribution's entry points; also stamp each egg-info's entry_points.txt."""
    from importlib.metadata import distributions

    groups: Groups = {}
    egg_infos: list[Stamp] = []
    seen: set[str] = set()
    for dist in distributions():
        # Shadowed copies of a distribution (an earlier sys.path entry wins) are skipped,
        # as importlib.metadata.entry_points() does.
        key = getattr(dist, "_normalized_name", None) or _normalize(dist.metadata["Name"] or "")
        if key in seen:
            continue
        seen.add(key)
        location = str(getattr(dist, "_path", ""))
        if location.endswith(".egg-info"):
            egg_infos.append(file_stamp(os.path.join(location, "entry_points.txt")))
        wanted = [ep for ep in dist.entry_points if ep.group.startswith(GROUP_PREFIXES)]
        name = (dist.metadata["Name"] or key) if wanted else key
        for ep in wanted:
            item = (ep.name, ep.value, name)
            members = groups.setdefault(ep.group, [])
            if item not in members:
                members.append(item)
    return groups, egg_infos


def _groups() -> Groups:
    global _loaded
    if _loaded is not None:
        return _loaded
    stamps = path_stamps()
    slot = read_slot(INDEX_FILE)
    if (isinstance(slot, dict) and slot.get("version") == FORMAT_VERSION and slot.get("paths") == stamps
            and stamps_match(slot.get("egg_info")) and isinstance(slot.get("groups"), dict)):
        _loaded = {group: [(name, value, dist) for name, value, dist in items]
                   for group, items in slot["groups"].items()}
        return _loaded
    groups, egg_infos = _scan()
    if not is_racy(stamps + egg_infos):
        write_slot(INDEX_FILE, {"version": FORMAT_VERSION, "paths": stamps, "egg_info": egg_infos,
                                "groups": groups})
    _loaded = groups
    return groups


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group`` (which must start with one of ``GROUP_PREFIXES``), in ``sys.path`` order."""
    if not group.startswith(GROUP_PREFIXES):
        raise ValueError(f"{group!r} is not an indexed entry-point group")
    return [EntryPoint(name, value, group) for name, value, _dist in _groups().get(group, ())]


def provider(module: str) -> str | None:
    """The distribution whose indexed entry points name objects in ``module``, if any."""
    for items in _groups().values():
        for _name, value, dist in items:
            if value.split(":", 1)[0].strip() == module:
                return dist
    return None


def forget() -> None:
    """Drop what this process has read, so that the next call checks the disk again."""
    global _loaded, _path_stamps
    _loaded = _path_stamps = None
