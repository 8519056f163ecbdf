"""Installed authenticators, found through the ``skytells.authenticators`` entry points."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from skytells import plugins
from skytells.auth.base import Authenticator
from skytells.errors import PluginError

LOG = logging.getLogger(__name__)
KIND = "login method"


@dataclass(frozen=True)
class InstalledMethod:
    """An installed authenticator: its class, or why it cannot be used."""

    name: str
    target: str
    authenticator: type[Authenticator] | None
    problem: str | None = None


def _check(name: str, loaded: object) -> type[Authenticator]:
    if not (isinstance(loaded, type) and issubclass(loaded, Authenticator)):
        raise PluginError(f"The {KIND} {name!r} is not an Authenticator subclass.")
    return loaded


def installed() -> list[InstalledMethod]:
    """Every installed method; a broken plugin is reported with a warning, not raised."""
    methods = []
    for ep in plugins.entry_points(plugins.AUTHENTICATORS):
        try:
            cls = _check(ep.name, plugins.load(ep, KIND))
        except PluginError as error:
            LOG.warning("%s", error)
            methods.append(InstalledMethod(ep.name, ep.value, None, str(error)))
            continue
        methods.append(InstalledMethod(ep.name, ep.value, cls, cls.unavailable_reason()))
    return sorted(methods, key=lambda m: (m.name != "device", m.name != "token", m.name))


def get(name: str) -> type[Authenticator]:
    """The usable authenticator called ``name``; UsageError/PluginError explain why not."""
    ep = plugins.find(plugins.AUTHENTICATORS, name, KIND)
    cls = _check(name, plugins.load(ep, KIND))
    reason = cls.unavailable_reason()
    if reason:
        raise PluginError(f"The {KIND} {name!r} cannot be used here: {reason}")
    return cls
