"""Credentials: what an authenticator returns and what a store keeps."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from skytells.masking import mask

#: Credential fields of the official CLI's ``credentials.json``.
OFFICIAL_SECRET_FIELDS = ("token", "access_key", "api_key")
#: Every secret a profile can hold (stores keep these out of plain sight where they can).
SECRET_FIELDS = (*OFFICIAL_SECRET_FIELDS, "refresh_token")
DEFAULT_PROFILE = "default"


def now_ms() -> int:
    """Milliseconds since the epoch, the official file's unit for ``created_at``."""
    return int(time.time() * 1000)


def local_time(milliseconds: object, missing: str = "-") -> str:
    """An epoch-milliseconds stamp as local ISO 8601 time; ``missing`` when there is none."""
    import datetime

    if not isinstance(milliseconds, int | float) or isinstance(milliseconds, bool):
        return missing
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.timezone.utc)
    return moment.astimezone().isoformat(timespec="seconds")


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
    #: When the access token expires, in epoch milliseconds (None: unknown or never).
    expires_at: int | None = None
    refresh_token: str | None = field(default=None, repr=False)
    #: For tokens from a standard authorization server: its issuer URL and our client id.
    issuer: str | None = None
    client_id: str | None = None

    def __str__(self) -> str:
        return f"{mask(self.token)} ({self.method} login at {self.host})"


@dataclass
class StoredCredentials:
    """The contents of the credential store: the default profile, and the others.

    ``token``, ``access_key``, ``api_key`` and ``created_at`` are the official
    CLI's fields and belong to the default profile, so the official CLI keeps
    working with it. ``refresh_token`` sits beside them. ``meta`` holds the
    facts this CLI adds (scopes, method, host, expiry, when saved), keyed by
    credential field. ``profiles`` holds the other profiles, each of the same
    shape; ``profile_name`` names the default one. ``extra`` keeps every
    top-level field this version does not know, so saving never drops them.
    """

    token: str | None = field(default=None, repr=False)
    access_key: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    created_at: int | None = None
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    profile_name: str = DEFAULT_PROFILE
    profiles: dict[str, StoredCredentials] = field(default_factory=dict)

    def is_empty(self) -> bool:
        """True when this profile holds no credential."""
        return not (self.token or self.access_key or self.api_key)

    def profile(self, name: str | None, *, create: bool = False) -> StoredCredentials | None:
        """The profile called ``name`` (None: the default); created empty when asked."""
        if name is None or name == self.profile_name:
            return self
        found = self.profiles.get(name)
        if found is None and create:
            found = self.profiles[name] = StoredCredentials(profile_name=name)
        return found

    def profile_names(self) -> list[str]:
        """The default profile's name, then the others sorted."""
        return [self.profile_name, *sorted(n for n in self.profiles if n != self.profile_name)]

    def switch_default(self, name: str) -> None:
        """Make ``name`` the default profile: its credentials move to the official top-level fields."""
        if name == self.profile_name:
            return
        chosen = self.profiles.pop(name)
        previous = StoredCredentials(profile_name=self.profile_name)
        for attr in (*SECRET_FIELDS, "created_at", "meta"):
            setattr(previous, attr, getattr(self, attr))
            setattr(self, attr, getattr(chosen, attr))
        if not previous.is_empty() or previous.meta:
            self.profiles[previous.profile_name] = previous
        self.profile_name = name

    def set_token(self, credential: Credential) -> None:
        """Store a user token from a login, replacing any earlier one and its facts."""
        self.token = credential.token
        self.refresh_token = credential.refresh_token
        self.created_at = now_ms()
        info: dict[str, Any] = {"method": credential.method, "host": credential.host, "saved_at": self.created_at}
        for name in ("expires_at", "issuer", "client_id", "token_type"):
            value = getattr(credential, name)
            if value is not None:
                info[name] = value
        if credential.scopes is not None:
            info["scopes"] = list(credential.scopes)
        self.meta["token"] = info

    def token_credential(self) -> Credential | None:
        """The stored user token with its facts, or None."""
        if not self.token:
            return None
        info = self.meta.get("token", {})
        scopes = info.get("scopes")
        expires_at = info.get("expires_at")
        return Credential(
            token=self.token,
            method=str(info.get("method", "unknown")),
            host=str(info.get("host", "")),
            scopes=tuple(scopes) if isinstance(scopes, list) else None,
            token_type=str(info.get("token_type", "Bearer")),
            expires_at=int(expires_at) if isinstance(expires_at, int | float) else None,
            refresh_token=self.refresh_token,
            issuer=info.get("issuer") if isinstance(info.get("issuer"), str) else None,
            client_id=info.get("client_id") if isinstance(info.get("client_id"), str) else None,
        )

    def set_secret(self, name: str, value: str, **facts: Any) -> None:
        """Store ``access_key`` or ``api_key`` with the facts known about it."""
        setattr(self, name, value)
        self.meta[name] = {"saved_at": now_ms(), **facts}

    def remove(self, name: str) -> bool:
        """Remove one credential and its facts, keeping the others. True if it was there.

        Removing the token removes its refresh token too.
        """
        present = getattr(self, name) is not None
        setattr(self, name, None)
        self.meta.pop(name, None)
        if name == "token":
            self.refresh_token = None
        return present
