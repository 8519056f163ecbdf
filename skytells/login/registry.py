"""Installed login methods, found through the ``skytells.authenticators`` entry points.

Their names come from the entry-point index and their descriptions from the
summary cache of ``skytells.cli.help``, so listing them imports none; a method's
module is imported when it is chosen (:func:`load`, :func:`get`), when the
cache lacks its description, or when a usage error needs to know which method
owns an option (:func:`owners`).
"""

from __future__ import annotations

from importlib.metadata import EntryPoint

from skytells.extensions import plugins
from skytells.extensions.discovery import AUTHENTICATORS
from skytells.extensions.summaries import cached_summaries
from skytells.login.interface import MethodLoader
from skytells.safety.sanitize import terminal_safe

#: The method of ``skytells login`` without ``--method`` or ``--token``.
DEFAULT = "device"
#: Listed first, in this order; other methods follow by name.
PREFERRED_ORDER = ("device", "token")


def _order(name: str) -> tuple[int, str]:
    rank = {method: position for position, method in enumerate(PREFERRED_ORDER)}
    return (rank.get(name, len(rank)), name)


def _describe(ep: EntryPoint) -> tuple[str, type[MethodLoader] | None]:
    """One method's line for ``login --help`` and its class; a broken one says why (warning once), uncached."""
    try:
        cls = plugins.load(ep)
    except plugins.BrokenPlugin as error:
        plugins.warn_broken(error)
        return f"(broken: {error.problem})", None
    return terminal_safe(cls.description.strip().split("\n", 1)[0], 200), cls


def descriptions() -> dict[str, str]:
    """Every installed method's one-line description, by name, in listing order.

    A method the cache cannot answer for is imported (and its description
    cached); a broken one is listed as ``(broken: PROBLEM)`` with one warning.
    """
    listing = cached_summaries("method", [(ep.name, ep) for ep in plugins.entry_points(AUTHENTICATORS)],
                               _describe)
    return {name: listing[name] for name in sorted(listing, key=_order)}


def load(name: str) -> tuple[type[MethodLoader], str | None]:
    """The class of the installed method ``name``, imported now, and why it cannot be used here (or None).

    Raises UsageError (none installed, naming the installed ones) or
    plugins.BrokenPlugin (it cannot be loaded, or its options clash).
    """
    ep = plugins.find(AUTHENTICATORS, name)
    cls: type[MethodLoader] = plugins.load(ep)
    return cls, plugins.unavailable_reason(ep, cls)


def get(name: str) -> type[MethodLoader]:
    """The usable login method called ``name`` (its loader).

    Raises UsageError (none installed), plugins.BrokenPlugin (it cannot be
    loaded) or PluginError (it cannot be used here, with the reason).
    """
    cls: type[MethodLoader] = plugins.choose(AUTHENTICATORS, name)
    return cls


def owners(flag: str) -> list[str]:
    """The installed methods that declare the option ``flag``, in listing order.

    Every method is imported; one that cannot be loaded is skipped quietly
    (this answers a usage error, not a question about that method).
    """
    found = []
    for ep in plugins.entry_points(AUTHENTICATORS):
        try:
            cls = plugins.load(ep)
        except plugins.BrokenPlugin:
            continue
        if any(option.flag == flag for option in cls.options):
            found.append(ep.name)
    return sorted(found, key=_order)
