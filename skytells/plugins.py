"""Finding and loading plugins from entry points without importing them all.

Entry points are listed from stevedore's on-disk cache (rebuilt by stevedore
whenever a distribution is installed or removed), so listing costs no import
and no scan of every installed distribution. Only the plugin that is used is
imported.
"""

from __future__ import annotations

import logging
from importlib.metadata import EntryPoint
from typing import Any

from skytells.errors import PluginError, UsageError

LOG = logging.getLogger(__name__)

COMMANDS = "skytells.commands"
AUTHENTICATORS = "skytells.authenticators"
CREDENTIAL_STORES = "skytells.credential_stores"

#: Built-in distributions win name clashes; among plugins the first listed wins.
BUILTIN_MODULE_PREFIX = "skytells."


def entry_points(group: str) -> list[EntryPoint]:
    """The entry points of ``group``, one per name, built-ins first on a clash."""
    try:
        from stevedore import _cache  # stevedore's entry-point cache (private, pinned in setup.cfg)

        found = list(_cache.get_group_all(group))
    except (ImportError, AttributeError):  # pragma: no cover - stevedore changed its cache
        from importlib.metadata import entry_points as scan

        found = list(scan(group=group))
    chosen: dict[str, EntryPoint] = {}
    for ep in found:
        current = chosen.get(ep.name)
        if current is None:
            chosen[ep.name] = ep
        elif current.value != ep.value:
            keep, drop = (current, ep)
            if ep.value.startswith(BUILTIN_MODULE_PREFIX) and not current.value.startswith(BUILTIN_MODULE_PREFIX):
                keep, drop = ep, current
            chosen[ep.name] = keep
            LOG.warning("Two plugins define the %s %r (%s and %s); using %s.",
                        group.rsplit(".", 1)[-1].rstrip("s"), ep.name, keep.value, drop.value, keep.value)
    return list(chosen.values())


def distribution_of(ep: EntryPoint) -> str | None:
    """The name of the distribution that provides ``ep`` (scans metadata: use on error paths only)."""
    from importlib.metadata import packages_distributions

    top = ep.value.split(":", 1)[0].split(".", 1)[0]
    names = packages_distributions().get(top)
    return names[0] if names else None


def load(ep: EntryPoint, kind: str) -> Any:
    """Import the object ``ep`` names; a failure becomes a PluginError with a removal hint."""
    try:
        return ep.load()
    except Exception as error:
        LOG.debug("Loading %s %r (%s) failed", kind, ep.name, ep.value, exc_info=True)
        dist = distribution_of(ep)
        hint = f"Remove it with: pip uninstall {dist}" if dist else "Reinstall or remove the plugin that provides it."
        raise PluginError(f"The {kind} {ep.name!r} ({ep.value}) failed to load: {type(error).__name__}: {error}.",
                          hint=hint) from error


def find(group: str, name: str, kind: str) -> EntryPoint:
    """The entry point called ``name`` in ``group``; UsageError listing the installed names if absent."""
    eps = entry_points(group)
    for ep in eps:
        if ep.name == name:
            return ep
    installed = ", ".join(sorted(ep.name for ep in eps)) or "none"
    raise UsageError(f"No {kind} named {name!r} is installed (installed: {installed}).")
