"""What commands share: the chosen credential store, the console client, credential lookup."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from skytells import plugins, settings
from skytells.console_api import ConsoleClient
from skytells.credentials import StoredCredentials
from skytells.errors import PluginError
from skytells.stores.base import CredentialStore


def open_store() -> CredentialStore:
    """The credential store named by ``SKYTELLS_CREDENTIAL_STORE`` (default ``file``)."""
    name = settings.credential_store_name()
    store_class = plugins.load(plugins.find(plugins.CREDENTIAL_STORES, name, "credential store"),
                               "credential store")
    if not (isinstance(store_class, type) and issubclass(store_class, CredentialStore)):
        raise PluginError(f"The credential store {name!r} is not a CredentialStore subclass.")
    reason = store_class.unavailable_reason()
    if reason:
        raise PluginError(f"The credential store {name!r} cannot be used here: {reason}")
    return store_class()


def console_client() -> ConsoleClient:
    """A client for the console at ``SKYTELLS_API_URL`` (or the default)."""
    from skytells.http import HttpClient

    return ConsoleClient(HttpClient(settings.console_url()))


def display_path(path: str) -> str:
    """``path`` with the home directory shown as ``~``."""
    home = os.path.expanduser("~")
    if home not in ("", "/") and (path == home or path.startswith(home + os.sep)):
        return "~" + path[len(home):]
    return path


@dataclass
class ResolvedCredential:
    """A credential and where it came from."""

    value: str | None = field(default=None, repr=False)
    #: ``"env"`` or ``"store"``; None when there is no credential.
    origin: str | None = None
    #: The environment variable or store location, for display.
    source: str = ""


def resolve(field_name: str, record: StoredCredentials, store: CredentialStore) -> ResolvedCredential:
    """The credential in effect for ``field_name``: the environment first, then the store."""
    from_env = settings.credential_from_env(field_name)
    if from_env:
        return ResolvedCredential(from_env, "env", settings.CREDENTIAL_ENV[field_name])
    value = getattr(record, field_name)
    if value:
        return ResolvedCredential(value, "store", display_path(store.location))
    return ResolvedCredential()
