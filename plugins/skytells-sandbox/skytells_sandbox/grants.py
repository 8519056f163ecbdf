"""Standard-mode tokens: grant families, refresh-token rotation, reuse detection, revocation.

A *grant* is one approved device request. Every access and refresh token
issued for it, directly or by refreshing, belongs to that grant's family;
revoking the family kills them all. This module keeps no lock of its own:
:class:`~skytells_sandbox.state.SandboxState` calls it while holding its lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from skytells_sandbox import codes
from skytells_sandbox.config import OFFLINE_ACCESS

ACCESS_KIND = "access_token"
REFRESH_KIND = "refresh_token"


@dataclass(frozen=True)
class TokenSet:
    """What the token endpoint hands out; ``refresh_token`` only with ``offline_access``."""

    access_token: str = field(repr=False)
    expires_in: int
    scopes: tuple[str, ...]
    refresh_token: str | None = field(default=None, repr=False)


class RefreshRefusedError(Exception):
    """A refresh request was refused; ``error`` is the OAuth error code to answer.

    ``reuse`` is true when a spent refresh token was presented and its whole
    family has just been revoked for it.
    """

    def __init__(self, error: str, description: str, *, reuse: bool = False) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.reuse = reuse


class WrongClientError(Exception):
    """The token was issued to another client."""


@dataclass
class _Grant:
    client_id: str
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class _AccessToken:
    grant: _Grant
    scopes: tuple[str, ...]
    expires_at: float
    revoked: bool = False


@dataclass
class _RefreshToken:
    grant: _Grant
    spent: bool = False


class GrantBook:
    """Every standard-mode token issued, and what became of it.

    Access tokens live ``lifetime`` seconds on ``wall_clock``; refresh tokens
    do not expire but are single-use.
    """

    def __init__(self, lifetime: int, wall_clock: Callable[[], float]) -> None:
        self._lifetime = lifetime
        self._wall_clock = wall_clock
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, _RefreshToken] = {}

    def _issue(self, grant: _Grant, scopes: tuple[str, ...]) -> TokenSet:
        access_token = codes.new_access_token()
        expires_at = self._wall_clock() + self._lifetime
        self._access[access_token] = _AccessToken(grant, scopes, expires_at)
        refresh_token = None
        if OFFLINE_ACCESS in grant.scopes:
            refresh_token = codes.new_refresh_token()
            self._refresh[refresh_token] = _RefreshToken(grant)
        return TokenSet(access_token, self._lifetime, scopes, refresh_token)

    def grant(self, client_id: str, scopes: tuple[str, ...]) -> TokenSet:
        """Start a new family for an approved device request and return its first tokens."""
        return self._issue(_Grant(client_id, scopes), scopes)

    def refresh(
        self, refresh_token: str, client_id: str, scopes: tuple[str, ...] | None = None
    ) -> TokenSet:
        """Spend ``refresh_token`` for a new access token and a new refresh token.

        ``scopes`` may narrow the new access token to part of the grant.
        Presenting a spent refresh token revokes the whole family. Raises
        :class:`RefreshRefusedError`.
        """
        record = self._refresh.get(refresh_token)
        if record is None:
            raise RefreshRefusedError("invalid_grant", "Unknown refresh token")
        grant = record.grant
        if grant.client_id != client_id:
            raise RefreshRefusedError(
                "invalid_grant", "The refresh token was issued to another client"
            )
        if grant.revoked:
            raise RefreshRefusedError("invalid_grant", "The refresh token has been revoked")
        if record.spent:
            grant.revoked = True
            raise RefreshRefusedError(
                "invalid_grant",
                "The refresh token was already used; every token of this grant is now revoked",
                reuse=True,
            )
        wanted = grant.scopes if scopes is None else scopes
        unknown = [scope for scope in wanted if scope not in grant.scopes]
        if unknown:
            raise RefreshRefusedError("invalid_scope", f"Scope not granted: {unknown[0]}")
        record.spent = True
        return self._issue(grant, wanted)

    def kind(self, token: str) -> str | None:
        """``"access_token"`` or ``"refresh_token"`` if ``token`` was issued here, else ``None``."""
        if token in self._access:
            return ACCESS_KIND
        if token in self._refresh:
            return REFRESH_KIND
        return None

    def access_scopes(self, token: str) -> tuple[str, ...] | None:
        """Scopes of an unexpired, unrevoked access token, or ``None``."""
        record = self._access.get(token)
        if record is None or record.revoked or record.grant.revoked:
            return None
        if self._wall_clock() >= record.expires_at:
            return None
        return record.scopes

    def refresh_is_active(self, token: str) -> bool:
        """Whether ``token`` is a refresh token that could be spent now."""
        record = self._refresh.get(token)
        return record is not None and not record.spent and not record.grant.revoked

    def revoke(self, token: str, client_id: str | None = None) -> str | None:
        """Revoke ``token``; returns its kind, or ``None`` if nothing changed.

        A refresh token takes its whole family with it; an access token goes
        alone. ``client_id``, when given, must be the client the token was
        issued to (:class:`WrongClientError` otherwise). Unknown and already
        revoked tokens change nothing.
        """
        access = self._access.get(token)
        refresh = self._refresh.get(token)
        grant = access.grant if access else refresh.grant if refresh else None
        if grant is None:
            return None
        if client_id is not None and grant.client_id != client_id:
            raise WrongClientError("the token was issued to another client")
        if access is not None:
            if access.revoked or grant.revoked:
                return None
            access.revoked = True
            return ACCESS_KIND
        if grant.revoked:
            return None
        grant.revoked = True
        return REFRESH_KIND
