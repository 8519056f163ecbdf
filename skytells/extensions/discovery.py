"""Which entry points exist: the groups skytells reads, one scan of the installed metadata, and its index.

Everything that asks "which plugins, commands, hooks or output formatters are
installed, and from which distribution" asks this module; loading and checking
them is ``skytells.extensions.plugins``'s job.

Listing entry points means reading the metadata of every installed
distribution, which grows with the environment. The groups skytells reads
(``skytells.*`` and cliff's ``cliff.formatter.*``) are therefore kept, with
each entry point's distribution, in ``<cache dir>/entry-points.json`` and
read again when the environment changes. Measured with benchmarks/startup.py
(median CPU time of 21 runs, 2 shared cores), reading the metadata on every
run instead costs ``skytells help`` 10% (163 -> 179 ms), and doubles it
(167 -> 343 ms) with 1,000 other distributions installed. The scan itself is
``importlib.metadata.entry_points()``, so a shadowed copy of a distribution
(further down ``sys.path``) is skipped exactly as Python skips it.

Freshness: installing, upgrading or removing a distribution creates or removes
its ``*.dist-info`` (or ``*.egg-info``) directory inside a ``sys.path``
directory, which changes that directory's modification time (kept here to the
nanosecond, with its inode and size). Legacy ``*.egg-info`` directories can
have their ``entry_points.txt`` rewritten in place, so those files are checked
too. A check therefore costs one ``stat`` per ``sys.path`` entry and per
egg-info, whatever the number of distributions. Nothing is cached while
anything it depends on changed within the last ``RACY_SECONDS`` (an install may
still be under way, and two changes within one tick of the file-system clock
look alike): until the environment is quiet, each run reads the metadata.

stevedore's cache is not used: its key packs each modification time into a
32-bit float (about two minutes of resolution), so reinstalling a plugin with
other entry points within that window serves the old ones, and it globs every
``entry_points.txt`` on ``sys.path`` on each run.

Its records are named tuples rather than dataclasses: a dataclass takes several times as long to
create, and this module is imported on every start-up.

Cache files hold one slot per environment (interpreter and ``sys.path``), the
``MAX_SLOTS`` most recently written, so that several installations sharing a
cache directory do not evict each other and the files stay bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
import time
from importlib import metadata
from importlib.metadata import EntryPoint
from typing import Any, NamedTuple

from skytells.config import settings
from skytells.safety.sanitize import terminal_safe

COMMANDS = "skytells.commands"
AUTHENTICATORS = "skytells.authenticators"
CREDENTIAL_STORES = "skytells.credential_stores"


class Group(NamedTuple):
    """An entry-point group of plugins: how messages call its members, and what they must be."""

    name: str
    #: How one of its plugins is called in messages ("login method").
    kind: str
    #: Its name in ``skytells plugins`` (the ``Group`` column and ``--group``).
    label: str
    #: ``module:Class`` that every plugin of the group must subclass.
    base: str

    def base_class(self) -> type:
        """The class every plugin of the group must subclass (imported now)."""
        return EntryPoint(self.name, self.base, self.name).load()  # type: ignore[no-any-return]


#: The plugin groups, in the order ``skytells plugins`` shows them.
GROUPS = {group.name: group for group in (
    Group(COMMANDS, "command", "commands", "cliff.command:Command"),
    Group(AUTHENTICATORS, "login method", "authenticators", "skytells.login.interface:MethodLoader"),
    Group(CREDENTIAL_STORES, "credential store", "credential-stores",
          "skytells.credentials.stores.base:CredentialStore"),
)}
#: Every group kept in the index: the plugin groups, command hooks (``skytells.commands.<command>``)
#: and cliff's output formatters (``cliff.formatter.show``, ``.list``, ``.completion``).
INDEXED_PREFIXES = ("skytells.", "cliff.formatter.")

FORMAT_VERSION = 2
RACY_SECONDS = 2.0
MAX_SLOTS = 4
INDEX_FILE = "entry-points.json"

#: ``[path, mtime_ns, inode, size]``; ``[path]`` alone when the path does not exist.
Stamp = list[Any]
#: group -> [[name, value, distribution name, distribution version], ...] in ``sys.path`` order.
Groups = dict[str, list[list[str]]]


class Distribution(NamedTuple):
    """The installed distribution that provides an entry point (both fields safe for a terminal)."""

    name: str
    version: str

    @property
    def key(self) -> str:
        """The name normalised as PEP 503 does (``Skytells_Foo.bar`` -> ``skytells-foo-bar``)."""
        return re.sub(r"[-_.]+", "-", self.name).lower()


class _Index(NamedTuple):
    groups: Groups
    path_stamps: list[Stamp]


_index: _Index | None = None


# -- freshness ---------------------------------------------------------------------------------


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
    """The state of every ``sys.path`` entry: what an install, upgrade or removal changes."""
    return _load().path_stamps


def is_racy(stamps: list[Stamp]) -> bool:
    """True when one of ``stamps`` changed within the last ``RACY_SECONDS``: too recent to cache."""
    newest = max((stamp[1] for stamp in stamps if len(stamp) > 1), default=0)
    return newest >= time.time_ns() - int(RACY_SECONDS * 1e9)


# -- cache files with one slot per environment ------------------------------------------------


def _environment_key() -> str:
    return hashlib.sha256("\0".join([sys.version, sys.executable, sys.prefix, *sys.path]).encode()).hexdigest()


def _cache_path(file_name: str) -> str:
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


# -- the scan and the index -------------------------------------------------------------------


def _scan() -> Groups:
    """Every indexed entry point with its distribution's name and version, from the installed metadata."""
    installed = metadata.entry_points()
    groups: Groups = {}
    about: dict[int, list[str]] = {}
    for group in sorted(name for name in installed.groups if name.startswith(INDEXED_PREFIXES)):
        members = groups[group] = []
        for ep in installed.select(group=group):
            if id(ep.dist) not in about:
                about[id(ep.dist)] = [ep.dist.name or "", ep.dist.version or ""] if ep.dist else ["", ""]
            item = [ep.name, ep.value, *about[id(ep.dist)]]
            if item not in members:
                members.append(item)
    return groups


def _egg_info_stamps() -> list[Stamp]:
    """The ``entry_points.txt`` of every legacy ``*.egg-info`` on ``sys.path`` (rewritten in place, not replaced)."""
    stamps = []
    for entry in sys.path:
        with contextlib.suppress(OSError):
            stamps += [file_stamp(os.path.join(entry, name, "entry_points.txt"))
                       for name in sorted(os.listdir(entry or ".")) if name.endswith(".egg-info")]
    return stamps


def _valid(groups: Any) -> bool:
    return isinstance(groups, dict) and all(
        isinstance(items, list) and all(isinstance(item, list) and len(item) == 4
                                        and all(isinstance(part, str) for part in item) for item in items)
        for items in groups.values())


def _load() -> _Index:
    global _index
    if _index is not None:
        return _index
    stamps = [file_stamp(entry) for entry in sys.path]
    slot = read_slot(INDEX_FILE)
    if (isinstance(slot, dict) and slot.get("version") == FORMAT_VERSION and slot.get("paths") == stamps
            and stamps_match(slot.get("egg_info")) and _valid(slot.get("groups"))):
        _index = _Index(slot["groups"], stamps)
        return _index
    egg_infos = _egg_info_stamps()
    groups = _scan()
    if not is_racy(stamps + egg_infos):
        write_slot(INDEX_FILE, {"version": FORMAT_VERSION, "paths": stamps, "egg_info": egg_infos, "groups": groups})
    _index = _Index(groups, stamps)
    return _index


def forget() -> None:
    """Drop what this process has read, so that the next question checks the disk again."""
    global _index
    _index = None


# -- questions ----------------------------------------------------------------------------------


def entry_points(group: str) -> list[EntryPoint]:
    """Every entry point of ``group`` in ``sys.path`` order, names claimed twice included.

    ``group`` must start with one of ``INDEXED_PREFIXES``.
    """
    if not group.startswith(INDEXED_PREFIXES):
        raise ValueError(f"{group!r} is not an indexed entry-point group")
    return [EntryPoint(name, value, group) for name, value, _dist, _version in _load().groups.get(group, ())]


def _distribution(name: str, version: str) -> Distribution | None:
    return Distribution(terminal_safe(name, 100), terminal_safe(version, 40)) if name else None


def distribution_of(ep: EntryPoint) -> Distribution | None:
    """The distribution that provides ``ep``, if it is installed."""
    for name, value, dist, version in _load().groups.get(ep.group, ()):
        if (name, value) == (ep.name, ep.value):
            return _distribution(dist, version)
    return None


def provider(module: str) -> Distribution | None:
    """The distribution whose indexed entry points name objects in ``module``, if any."""
    for items in _load().groups.values():
        for _name, value, dist, version in items:
            if value.split(":", 1)[0].strip() == module:
                return _distribution(dist, version)
    return None
