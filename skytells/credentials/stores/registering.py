"""A store whose every record read or written registers its secrets with the redaction step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skytells.credentials.model import StoredCredentials
from skytells.credentials.stores.base import CredentialStore
from skytells.safety.redaction import REDACTOR


class RegisteringStore(CredentialStore):
    """``inner``, with every secret of what it loads or saves registered for redaction.

    So a message or log line that quotes a stored secret (an echoed argument,
    a server's error) shows it masked, whatever store keeps it.
    """

    name = "registering"
    description = "Registers the secrets of another store's records for redaction"

    def __init__(self, inner: CredentialStore) -> None:
        self.inner = inner

    @property
    def location(self) -> str:
        return self.inner.location

    def load(self) -> StoredCredentials:
        record = self.inner.load()
        REDACTOR.register_stored(record)
        return record

    def update(self, change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        def registering_change(record: StoredCredentials) -> None:
            REDACTOR.register_stored(record)  # what was there before the change
            change(record)

        saved = self.inner.update(registering_change)
        REDACTOR.register_stored(saved)
        return saved

    def check_writable(self) -> None:
        """Whether ``inner`` can take a change now (its own check; the base class's does nothing)."""
        self.inner.check_writable()

    def __getattr__(self, name: str) -> Any:
        """What else the store offers (a file store's ``path``), as it offers it."""
        return getattr(self.inner, name)
