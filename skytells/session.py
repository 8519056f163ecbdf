"""What commands share: the chosen credential store, the console client, credential lookup."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from skytells import plugins, settings
from skytells.credentials import Credential, StoredCredentials
from skytells.discovery import CREDENTIAL_STORES
from skytells.stores.base import CredentialStore

if TYPE_CHECKING:
    from collections.abc import Callable

    from skytells.console_api import ConsoleClient


def open_store() -> CredentialStore:
    """The credential store chosen by ``SKYTELLS_CREDENTIAL_STORE`` or ``config.json`` (default ``file``).

    Every secret the store hands out or saves is registered with the redaction step.
    """
    name, chosen_by = settings.credential_store_choice()
    store_class: type[CredentialStore] = plugins.choose(CREDENTIAL_STORES, name, chosen_by=chosen_by)
    return _registering_secrets(store_class())


def _registering_secrets(store: CredentialStore) -> CredentialStore:
    """``store``, its ``load`` and ``update`` registering every secret of the records they see."""
    from skytells.redaction import REDACTOR

    load, update = store.load, store.update

    def registering_load() -> StoredCredentials:
        record = load()
        REDACTOR.register_stored(record)
        return record

    def registering_update(change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        def registering_change(record: StoredCredentials) -> None:
            REDACTOR.register_stored(record)  # what was there before the change
            change(record)

        saved = update(registering_change)
        REDACTOR.register_stored(saved)
        return saved

    try:
        store.load = registering_load  # type: ignore[method-assign]
        store.update = registering_update  # type: ignore[method-assign]
    except AttributeError:  # a store class with __slots__ cannot be wrapped: its secrets are masked once sent
        pass
    return store


def console_client(server: str | None = None) -> ConsoleClient:
    """A client for the console at ``server`` (default: ``SKYTELLS_API_URL``, else the official console)."""
    from skytells.console_api import ConsoleClient  # imported here: offline commands never need it
    from skytells.http import HttpClient

    return ConsoleClient(HttpClient(server or settings.console_url()))


def server_for(credential: Credential | None) -> str:
    """The console a profile talks to: ``SKYTELLS_API_URL`` when set, else where its token was issued."""
    return settings.console_url_from_env() or (credential.host if credential and credential.host else None) \
        or settings.console_url()


def current_profile(record: StoredCredentials) -> StoredCredentials:
    """The profile chosen by ``--profile``/``SKYTELLS_PROFILE`` (an empty one if it does not exist yet)."""
    name = settings.profile_name()
    return record.profile(name) or StoredCredentials(profile_name=name or record.profile_name)


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
