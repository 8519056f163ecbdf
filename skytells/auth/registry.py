"""Installed authenticators, found through the ``skytells.authenticators`` entry points."""

from __future__ import annotations

from dataclasses import dataclass

from skytells import plugins
from skytells.auth.base import Authenticator
from skytells.discovery import AUTHENTICATORS

#: Listed first, in this order; other methods follow by name.
PREFERRED_ORDER = ("device", "token")


@dataclass(frozen=True)
class InstalledMethod:
    """An installed authenticator: its class, or why it cannot be used.

    ``authenticator`` is None when the plugin is broken; ``problem`` then says
    why. With a class, ``problem`` is its ``unavailable_reason()`` (None when
    it can be used).
    """

    name: str
    target: str
    authenticator: type[Authenticator] | None
    problem: str | None = None


def installed() -> list[InstalledMethod]:
    """Every installed method; a broken plugin is reported with one warning per run, never raised."""
    methods = []
    for ep in plugins.entry_points(AUTHENTICATORS):
        try:
            cls = plugins.load(ep)
            reason = plugins.unavailable_reason(ep, cls)
        except plugins.BrokenPlugin as error:
            plugins.warn_broken(error)
            methods.append(InstalledMethod(ep.name, ep.value, None, error.problem))
            continue
        methods.append(InstalledMethod(ep.name, ep.value, cls, reason))
    rank = {name: position for position, name in enumerate(PREFERRED_ORDER)}
    return sorted(methods, key=lambda m: (rank.get(m.name, len(rank)), m.name))


def get(name: str) -> type[Authenticator]:
    """The usable authenticator called ``name``.

    Raises UsageError (none installed), plugins.BrokenPlugin (it cannot be
    loaded) or PluginError (it cannot be used here, with the reason).
    """
    cls: type[Authenticator] = plugins.choose(AUTHENTICATORS, name)
    return cls
