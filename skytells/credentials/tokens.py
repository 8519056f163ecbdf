"""A stored user token over its life: bound to its server, refreshed before it expires.

Refresh happens inside the store's ``update`` (under its lock): a second
process refreshing at the same moment waits, re-reads, and uses the tokens
the first one saved instead of spending the same refresh token twice, which
many providers punish by revoking the whole session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from skytells.config import settings
from skytells.credentials.hints import command_for
from skytells.credentials.model import Credential, StoredCredentials, now_ms
from skytells.credentials.stores.base import CredentialStore
from skytells.errors import AuthError, ExpiredTokenError, StoreError
from skytells.safety.masking import mask
from skytells.safety.values import expiry_ms

if TYPE_CHECKING:  # the protocol modules load only when a token goes to its server (whoami --offline needs none)
    from skytells.net.protocol.dpop import DPoPKey
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
                        hint=f"Unset {settings.ENV_CONSOLE_URL} to use it, or log in to {server} with another "
                             "profile (skytells --profile NAME login).")


def oauth_client(credential: Credential) -> OAuthClient:
    """A client of the authorization server that issued ``credential`` (holding its DPoP key when it is bound)."""
    # Only to refresh or revoke: requests takes as long to import as cliff.app (1.03x); a valid token needs none.
    from skytells.net.protocol.oauth import OAuthClient, discover  # noqa: PLC0415

    assert credential.issuer and credential.client_id
    return OAuthClient(discover(credential.issuer), credential.client_id, dpop=dpop_key(credential))


def dpop_key(credential: Credential) -> DPoPKey | None:
    """The key a DPoP-bound ``credential`` is bound to (RFC 9449), or None; StoreError when it cannot be read."""
    if not credential.dpop_key:
        return None
    # Only for a bound token: whoami --offline and help must not load the protocol package (tests/startup).
    from skytells.net.protocol.dpop import DPoPKey  # noqa: PLC0415

    try:
        return DPoPKey.from_stored(credential.dpop_key)
    except ValueError:
        raise StoreError("The stored token's DPoP key cannot be read; the token cannot be used without it.",
                         hint="Run skytells login again.") from None


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
    """Refresh ``profile``'s token under the store's lock, unless another process already did.

    The refresh token is sent only once the store has shown it can take the
    result (``check_writable``; the file store also makes its temporary file
    before the change runs). Should the save fail all the same, the error
    says whether the stored refresh token was spent and what to do.
    """
    def refreshed(current: Credential) -> Credential:
        try:
            return _refreshed(current)
        except AuthError as refused:  # the same error, with the login of the profile in use
            raise type(refused)(refused.message, hint=f"Run {command_for(profile, 'login')} again.") from None

    return _replaced_under_lock(store, profile, seen, refreshed, "refreshed")


#: Signs in again without a person from a stored credential (``MethodLoader.renew``); None when it cannot.
Renewer = Callable[[Credential], "Credential | None"]


def renew_under_lock(store: CredentialStore, profile: str | None, seen: Credential, renew: Renewer) -> ActiveToken:
    """Have the login method sign ``profile`` in again under the store's lock, unless another process already did.

    For tokens that come without a refresh token but can be obtained again
    without a person (``workload``: a new exchange of the CI's ID token).
    ExpiredTokenError when the method cannot.
    """
    def renewed(current: Credential) -> Credential:
        fresh = renew(current)
        if fresh is None:
            raise ExpiredTokenError("The stored token has expired and cannot be renewed.",
                                    hint=f"Run {command_for(profile, 'login')} again.")
        return fresh

    return _replaced_under_lock(store, profile, seen, renewed, "renewed")


def _replaced_under_lock(store: CredentialStore, profile: str | None, seen: Credential,
                         obtain: Callable[[Credential], Credential], done: str) -> ActiveToken:
    """``profile``'s token replaced by what ``obtain`` gives for it, under the store's lock, once writable.

    Another process that replaced it first wins: its token is used. A save that fails after ``obtain``
    spent something says exactly what (:func:`unsaved_refresh`).
    """
    outcome: dict[str, Credential] = {}
    store.check_writable()

    def change(record: StoredCredentials) -> None:
        target = record.profile(profile)
        current = target.token_credential() if target else None
        if target is None or current is None:
            raise AuthError(f"You were logged out while the token was being {done}.",
                            hint=f"Run {command_for(profile, 'login')} again.")
        if current.token != seen.token and not expires_soon(current):
            outcome["credential"] = current  # another process did it first: use its token
            return
        fresh = obtain(current)
        target.set_token(fresh)
        outcome["credential"] = fresh

    try:
        store.update(change)
    except StoreError as error:
        fresh = outcome.get("credential")
        if fresh is None or fresh.token == seen.token:
            raise
        raise unsaved_refresh(error, seen, fresh, profile) from None
    credential = outcome["credential"]
    return ActiveToken(credential.token, "store", credential, refreshed=credential.token != seen.token)


def unsaved_refresh(error: StoreError, old: Credential, fresh: Credential, profile: str | None) -> StoreError:
    """The error for tokens a refresh brought that the store then failed to save: what happened, what to do."""
    login = command_for(profile, "login")
    host = fresh.issuer or fresh.host
    if fresh.refresh_token and fresh.refresh_token != old.refresh_token:
        return StoreError(f"{host} issued new tokens, but they could not be saved ({error.message.rstrip('.')}); "
                          "the stored refresh token was spent and no longer works.",
                          hint=f"Make the store writable again, then run {login}.")
    kept = "the stored refresh token still works" if old.refresh_token else "nothing stored was spent"
    return StoreError(f"{host} issued a new access token, but it could not be saved ({error.message.rstrip('.')}); "
                      f"{kept}.", hint="Try again once the store can be written.")
