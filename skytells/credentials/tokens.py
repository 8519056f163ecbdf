"""A stored user token over its life: bound to its server, refreshed before it expires.

Refresh happens inside the store's ``update`` (under its lock): a second
process refreshing at the same moment waits, re-reads, and uses the tokens
the first one saved instead of spending the same refresh token twice, which
many providers punish by revoking the whole session.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from skytells.config import settings
from skytells.credentials.model import Credential, StoredCredentials, now_ms
from skytells.credentials.stores.base import CredentialStore
from skytells.errors import AuthError
from skytells.safety.masking import mask
from skytells.safety.values import expiry_ms

if TYPE_CHECKING:
    from skytells.net.protocol.oauth import OAuthClient

#: Refresh this long before the expiry the server announced.
EXPIRY_MARGIN_MS = 60_000


@dataclass
class ActiveToken:
    """The user token a command should use, and where it came from."""

    token: str = field(repr=False)
    #: "env" or "store"
    origin: str
    #: The stored credential with its facts (None for a token from the environment).
    credential: Credential | None = None
    refreshed: bool = False


def expires_soon(credential: Credential, now: int | None = None) -> bool:
    """True when the token has expired or will within the margin."""
    if credential.expires_at is None:
        return False
    return (now_ms() if now is None else now) >= credential.expires_at - EXPIRY_MARGIN_MS


def _same_server(a: str, b: str) -> bool:
    left, right = urlsplit(a.rstrip("/")), urlsplit(b.rstrip("/"))
    return (left.scheme, left.netloc.lower(), left.path) == (right.scheme, right.netloc.lower(), right.path)


def check_bound(credential: Credential, server: str) -> None:
    """Refuse to send a stored credential to a server other than the one it was issued for."""
    if credential.host and not _same_server(credential.host, server):
        raise AuthError(f"The stored token ({mask(credential.token)}) was issued for {credential.host}, "
                        f"not {server}; it is only ever sent to its own server.",
                        hint=f"Log in to {server} (use --profile to keep both), or unset {settings.ENV_CONSOLE_URL}.")


def oauth_client(credential: Credential) -> OAuthClient:
    """A client of the authorization server that issued ``credential``."""
    # Only to refresh or revoke: requests takes as long to import as cliff.app (1.03x); a valid token needs none.
    from skytells.net.protocol.oauth import OAuthClient, discover  # noqa: PLC0415

    assert credential.issuer and credential.client_id
    return OAuthClient(discover(credential.issuer), credential.client_id)


def _refreshed(credential: Credential) -> Credential:
    tokens = oauth_client(credential).refresh(credential.refresh_token or "")
    return replace(
        credential,
        token=tokens.access_token,
        token_type=tokens.token_type,
        refresh_token=tokens.refresh_token or credential.refresh_token,
        expires_at=expiry_ms(tokens.expires_in, now_ms()),
        scopes=tokens.scopes or credential.scopes,
    )


def refresh_under_lock(store: CredentialStore, profile: str | None, seen: Credential) -> ActiveToken:
    """Refresh ``profile``'s token under the store's lock, unless another process already did."""
    outcome: dict[str, Credential] = {}

    def change(record: StoredCredentials) -> None:
        target = record.profile(profile)
        current = target.token_credential() if target else None
        if current is None:
            raise AuthError("You were logged out while the token was being refreshed.",
                            hint="Run skytells login again.")
        if current.token != seen.token and not expires_soon(current):
            outcome["credential"] = current  # another process refreshed first: use its tokens
            return
        fresh = _refreshed(current)
        assert target is not None
        target.set_token(fresh)
        outcome["credential"] = fresh

    store.update(change)
    credential = outcome["credential"]
    return ActiveToken(credential.token, "store", credential, refreshed=credential.token != seen.token)

