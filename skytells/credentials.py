"""Credentials: what an authenticator returns and what a store keeps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from skytells.masking import mask

#: Credential fields of the official CLI's ``credentials.json``.
SECRET_FIELDS = ("token", "access_key", "api_key")


def now_ms() -> int:
    """Milliseconds since the epoch, the official file's unit for ``created_at``."""
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Credential:
    """A user token obtained by an authenticator.

    ``token`` is secret: it is left out of ``repr`` so it cannot leak through
    logs or tracebacks.
    """

    token: str = field(repr=False)
    method: str
    host: str
    scopes: tuple[str, ...] | None = None
    token_type: str = "Bearer"
    expires_at: int | None = None

    def __str__(self) -> str:
        return f"{mask(self.token)} ({self.method} login at {self.host})"


@dataclass
class StoredCredentials:
    """The contents of the credential store.

    ``token``, ``access_key``, ``api_key`` and ``created_at`` are the official
    CLI's fields. ``meta`` holds the facts this CLI adds beside them (scopes,
    method, host, when saved), keyed by credential field. ``extra`` keeps every
    top-level field this version does not know, so saving never drops them.
    """

    token: str | None = field(default=None, repr=False)
    access_key: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    created_at: int | None = None
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """True when no credential is stored."""
        return not (self.token or self.access_key or self.api_key)

    def set_token(self, credential: Credential) -> None:
        """Store a user token from a login, replacing any earlier one and its facts."""
        self.token = credential.token
        self.created_at = now_ms()
        info: dict[str, Any] = {"method": credential.method, "host": credential.host, "saved_at": self.created_at}
        if credential.scopes is not None:
            info["scopes"] = list(credential.scopes)
        if credential.expires_at is not None:
            info["expires_at"] = credential.expires_at
        self.meta["token"] = info

    def set_secret(self, name: str, value: str, **facts: Any) -> None:
        """Store ``access_key`` or ``api_key`` with the facts known about it."""
        setattr(self, name, value)
        self.meta[name] = {"saved_at": now_ms(), **facts}

    def remove(self, name: str) -> bool:
        """Remove one credential and its facts, keeping the others. True if it was there."""
        present = getattr(self, name) is not None
        setattr(self, name, None)
        self.meta.pop(name, None)
        return present
