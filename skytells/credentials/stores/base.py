"""The credential store interface.

A store is registered in the entry-point group ``skytells.credential_stores``
and chosen with ``SKYTELLS_CREDENTIAL_STORE`` (default ``file``). Stores hold
secrets: they must never print, log or put a credential in an exception.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import ClassVar

from skytells.credentials.model import StoredCredentials


class CredentialStore(abc.ABC):
    """Base class for credential stores.

    Subclasses set ``name`` and ``description`` and implement ``load`` and
    ``update``. Errors are raised as :class:`skytells.errors.StoreError` with a
    message that names the location and says what to do.
    """

    #: Entry-point name, e.g. ``file``.
    name: ClassVar[str]
    #: One line for ``skytells plugins``.
    description: ClassVar[str]
    #: The plugin interface version the class was written for (docs/plugins.md, "Versions").
    #: This default stays 1 forever: a plugin that does not set it is taken to target version 1.
    api_version: ClassVar[int] = 1

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this store cannot work on this machine (and what to install), or None."""
        return None

    @property
    @abc.abstractmethod
    def location(self) -> str:
        """Where credentials are kept, for messages such as "Credentials saved to ..."."""

    @abc.abstractmethod
    def load(self) -> StoredCredentials:
        """Return the stored credentials; an empty record when nothing is stored."""

    @abc.abstractmethod
    def update(self, change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        """Apply ``change`` to the current credentials and save the result.

        The read, the change and the write happen as one step: concurrent
        updates from other processes are not lost, and a failure at any point
        leaves the previous credentials intact. Returns what was saved.
        """

    def check_writable(self) -> None:
        """Raise :class:`skytells.errors.StoreError` when a change could not be saved now.

        Commands call it (through ``CredentialService.ensure_writable``) before
        a request that spends or reveals a credential, so that nothing is sent
        whose result the store cannot take: a full disk, a read-only or
        missing directory. The default does nothing, so a store written
        before this method existed keeps working; it then finds out in
        ``update``. A store that can tell should prove a write, under the same
        lock ``update`` takes, and leave nothing behind.
        """
        return None
