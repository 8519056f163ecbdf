"""The one way commands read and change credentials: which one is in effect, and every change to the store.

Commands ask a :class:`CredentialService` (``context.credentials``) and
format what it answers; none of them edits a stored record itself. It owns

- resolution: the environment first (``SKYTELLS_TOKEN``,
  ``SKYTELLS_ACCESS_KEY``, ``SKYTELLS_API_KEY``), then the profile's stored
  value, written once here for every field;
- the user token in effect, bound to its server and refreshed under the
  store's lock when it is about to expire (``skytells.credentials.tokens``);
- every change: saving a token or a key, removing one, switching the default
  profile, keeping a pending login (``login --request``), each one
  read-modify-write under the store's lock.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from skytells.config import settings
from skytells.credentials import check_cache, tokens
from skytells.credentials.hints import command_for
from skytells.credentials.model import StoredCredentials, local_time, now_ms
from skytells.errors import AuthError, ExpiredTokenError, NotLoggedInError, SkytellsError, UsageError
from skytells.net.checks import TokenCheck, TokenStatus
from skytells.safety.redaction import shaped_like_credential
from skytells.safety.sanitize import terminal_safe
from skytells.safety.values import valid_profile_name

#: What a change to a profile returns.
Outcome = TypeVar("Outcome")

__all__ = ["CredentialService", "ResolvedCredential", "command_for", "display_path", "no_such_profile", "resolve"]

if TYPE_CHECKING:
    from skytells.credentials.model import Credential, PendingLogin
    from skytells.credentials.stores.base import CredentialStore
    from skytells.credentials.tokens import ActiveToken, Renewer
    from skytells.net.console_api import ConsoleClient


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


def resolve(field_name: str, record: StoredCredentials | Callable[[], StoredCredentials],
            store: CredentialStore) -> ResolvedCredential:
    """The credential in effect for ``field_name`` (``token``, ``access_key``, ``api_key``).

    The environment first, then ``record`` (or what it returns, read only when
    the environment sets nothing): the one place this order is written.
    """
    from_env = settings.credential_from_env(field_name)
    if from_env:
        return ResolvedCredential(from_env, "env", settings.CREDENTIAL_ENV[field_name])
    value = getattr(record if isinstance(record, StoredCredentials) else record(), field_name)
    if value:
        return ResolvedCredential(value, "store", display_path(store.location))
    return ResolvedCredential()


def no_such_profile(name: str, record: StoredCredentials) -> NotLoggedInError:
    """The error for a profile that does not exist: the ones that have credentials, and how to create it.

    The same for ``--profile NAME`` (any command) and ``auth switch NAME``: exit 4, reason ``not_logged_in``.
    """

    existing = [profile_name for profile_name in record.profile_names()
                if (profile := record.profile(profile_name)) is not None and not profile.is_empty()]
    known = f" (profiles: {', '.join(existing)})" if existing else " (no profile has credentials yet)"
    return NotLoggedInError(f"There is no profile {terminal_safe(name, 64)!r}{known}.",
                            hint=f"Run {command_for(name, 'login')} to create it.")


class CredentialService:
    """The credentials of one profile in one store (see the module docstring)."""

    def __init__(self, store: CredentialStore, profile: str | None, renew: Renewer | None = None) -> None:
        self.store = store
        #: The profile chosen for this run; None means the stored default.
        self.profile = profile
        #: Signs in again without a person when a token without a refresh token expires (``MethodLoader.renew``).
        self.renew = renew

    @property
    def location(self) -> str:
        """Where the store keeps the credentials, as shown to the user (``~`` for the home directory)."""
        return display_path(self.store.location)

    @property
    def where(self) -> str:
        """Where this profile's credentials are kept: the location, and the profile when one was chosen."""
        return f"{self.location} (profile {self.profile})" if self.profile else self.location

    def stored(self) -> StoredCredentials:
        """Everything stored: the default profile, with the others under it."""
        return self.store.load()

    def profile_record(self) -> StoredCredentials:
        """The chosen profile's stored credentials (an empty record if the profile does not exist yet)."""
        record = self.stored()
        return record.profile(self.profile) or StoredCredentials(profile_name=self.profile or record.profile_name)

    def resolve(self, field_name: str, record: StoredCredentials | None = None) -> ResolvedCredential:
        """The credential in effect for ``field_name``: the environment first, then the chosen profile."""
        return resolve(field_name, self.profile_record if record is None else record, self.store)

    @staticmethod
    def overridden_by_env(field_name: str) -> str | None:
        """The environment variable that overrides the stored ``field_name`` in this run, if it is set."""
        return settings.CREDENTIAL_ENV[field_name] if settings.credential_from_env(field_name) else None

    def not_logged_in(self) -> NotLoggedInError:
        """The error for a run without a user token, naming the profile when one was chosen.

        A chosen profile that does not exist is named as such, with the ones that do.
        """
        if not self.profile:
            return NotLoggedInError("You are not logged in.", hint=f"Run skytells login (or set {settings.ENV_TOKEN}).")
        login = command_for(self.profile, "login")
        record = self.stored()
        if record.profile(self.profile) is None:
            return no_such_profile(self.profile, record)
        return NotLoggedInError(f"You are not logged in (profile {self.profile!r}).",
                         hint=f"Run {login} (or set {settings.ENV_TOKEN}).")

    @staticmethod
    def server_for(credential: Credential | None) -> str:
        """The console a token talks to: ``SKYTELLS_API_URL`` when set, else where it was issued."""
        return settings.console_url_from_env() or (credential.host if credential and credential.host else None) \
            or settings.console_url()

    @classmethod
    def server_shown(cls, credential: Credential | None) -> str:
        """The server a token is used with, as ``whoami`` and ``auth status`` show it.

        A standard provider's token (``login --issuer``) is checked, refreshed
        and revoked at its issuer: that is its server. Any other is the
        console's (:meth:`server_for`).
        """
        if credential is not None and credential.issuer:
            return credential.issuer
        return cls.server_for(credential)

    @classmethod
    def check_binding(cls, credential: Credential) -> None:
        """Refuse (AuthError, exit 4) a stored token this run would send to a server other than its own.

        The one judgement ``whoami``, ``auth token`` and ``auth status`` make:
        with ``SKYTELLS_API_URL`` pointing elsewhere, the token is not used,
        and the hint names the variable to unset.
        """
        tokens.check_bound(credential, cls.server_for(credential))

    def active_token(self, *, server: str | None = None, refresh: bool = True) -> ActiveToken:
        """The user token to use: ``SKYTELLS_TOKEN`` first, else the profile's stored one.

        A stored token is checked against ``server`` (default: ``SKYTELLS_API_URL``,
        else the server it was issued by) and refreshed first, under the store's
        lock, when it has expired or is about to and a refresh token is at hand
        (or, without one, signed in again by its login method when it kept the facts to:
        :attr:`renew`). Raises AuthError when there is no usable token.
        """
        resolved = self.resolve("token")
        if resolved.origin == "env":
            assert resolved.value is not None
            return tokens.ActiveToken(resolved.value, "env")
        credential = self.profile_record().token_credential()
        if credential is None:
            raise self.not_logged_in()
        tokens.check_bound(credential, server or self.server_for(credential))
        if not (refresh and tokens.expires_soon(credential)):
            return tokens.ActiveToken(credential.token, "store", credential)
        if not (credential.refresh_token and credential.issuer and credential.client_id):
            if self.renew is not None and credential.renewal is not None:
                return tokens.renew_under_lock(self.store, self.profile, credential, self.renew)
            raise ExpiredTokenError("The stored token has expired and cannot be refreshed.",
                                    hint=f"Run {command_for(self.profile, 'login')} again.")
        return tokens.refresh_under_lock(self.store, self.profile, credential)

    def renew_token(self, used: ActiveToken) -> ActiveToken | None:
        """A fresh user token after a server refused ``used`` (HTTP 401), or None when there is none to get.

        Only a stored token with a refresh token (``login --issuer``) can be
        renewed: it is refreshed under the store's lock, unless another process
        already did (its tokens are used then). A token from ``SKYTELLS_TOKEN``
        is the user's to replace. Raises AuthError when the provider refuses
        the refresh.
        """
        credential = used.credential
        if used.origin != "store" or credential is None \
                or not (credential.refresh_token and credential.issuer and credential.client_id):
            return None
        return tokens.refresh_under_lock(self.store, self.profile, credential)

    @staticmethod
    def check_token(token: str, credential: Credential | None,
                    console: ConsoleClient | Callable[[], ConsoleClient], *, max_age: float = 0.0,
                    host: str = "") -> TokenCheck:
        """Whether ``token`` is good, asked where it lives; every command that shows a status asks here.

        A token from a standard provider (``login --issuer``) is unknown to the
        Skytells console: it is checked at its issuer's userinfo endpoint when
        the grant allows it (``openid``), else only its expiry is known.
        Anything else is checked by ``console``. Every answer is recorded
        (``skytells.credentials.check_cache``): with ``max_age`` (``auth
        token``), a "valid" answer that recent is used without asking again; a
        token any command found not valid is always asked about again.
        ``console`` may be a function that makes the client, with the console's
        ``host``: an answer from the cache then loads no HTTP stack.
        """
        if credential is not None and credential.issuer:
            where = credential.issuer
        else:
            where = host if callable(console) else console.host
        if max_age > 0 and check_cache.recently_valid(token, where, max_age):
            return TokenCheck(TokenStatus.VALID, f"checked less than {max_age:.0f} s ago")
        client = console() if callable(console) else console
        check = CredentialService._ask_about(token, credential, client)
        check_cache.remember(token, where, check.status is TokenStatus.VALID)
        return check

    @staticmethod
    def _ask_about(token: str, credential: Credential | None, console: ConsoleClient) -> TokenCheck:
        """The server's answer about ``token`` (see :meth:`check_token`), never from the cache."""
        if credential is None or not credential.issuer:
            return console.check_token(token)
        if credential.expires_at is not None and now_ms() >= credential.expires_at:
            return TokenCheck(TokenStatus.INVALID, f"expired {local_time(credential.expires_at)}")
        if "openid" not in (credential.scopes or ()):
            return TokenCheck(TokenStatus.UNVERIFIED, "only its expiry is known: the grant has no openid scope")
        try:
            claims = tokens.oauth_client(credential).userinfo(token)
        except AuthError as error:
            return TokenCheck(TokenStatus.INVALID, error.message)
        except SkytellsError as error:
            return TokenCheck(TokenStatus.UNKNOWN, error.message)
        if not claims:
            return TokenCheck(TokenStatus.UNVERIFIED,
                              f"only its expiry is known: {credential.issuer} has no userinfo endpoint")
        return TokenCheck(TokenStatus.VALID, claims=claims)

    def ensure_writable(self) -> None:
        """Make sure the store can take a change now; call it before sending a credential anywhere.

        A request that spends a credential (a refresh token, a revocation) or
        shows one to a server (a key or token checked before it is saved) must
        not happen when its result cannot be kept. This reads the store (one
        that cannot be read or parsed stops here) and has it prove a write
        (``CredentialStore.check_writable``: the file store makes, fills and
        removes a temporary file under its lock). Raises StoreError otherwise.
        """
        self.store.load()
        self.store.check_writable()

    def _change_profile(self, change: Callable[[StoredCredentials], Outcome], *, create: bool) -> Outcome | None:
        """Apply ``change`` to the chosen profile under the store's lock; return what it returned (None: no
        such profile)."""
        outcome: list[Outcome | None] = []

        def apply(record: StoredCredentials) -> None:
            target = record.profile(self.profile, create=create)
            outcome.append(None if target is None else change(target))

        self.store.update(apply)
        return outcome[0] if outcome else None

    def save_token(self, credential: Credential) -> None:
        """Store ``credential`` as the chosen profile's user token (the profile is created if needed)."""
        self._change_profile(lambda target: target.set_token(credential), create=True)

    def save_secret(self, field_name: str, value: str, **facts: Any) -> None:
        """Store a project access key or API key (``field_name``) with its facts in the chosen profile."""
        self._change_profile(lambda target: target.set_secret(field_name, value, **facts), create=True)

    def remove(self, field_name: str) -> bool:
        """Remove ``field_name`` (``token`` also removes its refresh token) from the chosen profile.

        Returns False when there was nothing to remove.
        """
        return bool(self._change_profile(lambda target: target.remove(field_name), create=False))

    def pending_login(self) -> PendingLogin | None:
        """The chosen profile's pending login (started by ``login --request``), or None."""
        return self.profile_record().pending_login()

    def save_pending_login(self, pending: PendingLogin) -> None:
        """Keep ``pending`` as the chosen profile's pending login, replacing any earlier one."""
        self._change_profile(lambda target: target.set_pending_login(pending), create=True)

    def update_pending_login(self, previous: PendingLogin, pending: PendingLogin) -> bool:
        """Replace ``previous`` by ``pending`` (what a check learnt), unless another login replaced it meanwhile.

        Returns False when the profile's pending login is no longer ``previous``
        (another ``login --request`` ran): that one is kept.
        """
        def change(target: StoredCredentials) -> bool:
            if not target.remove_pending_login(previous):
                return False
            target.set_pending_login(pending)
            return True

        return bool(self._change_profile(change, create=False))

    def remove_pending_login(self, only: PendingLogin | None = None) -> bool:
        """Forget the chosen profile's pending login (only while it is still ``only``, when given).

        Returns False when there was none (or it was another one).
        """
        return bool(self._change_profile(lambda target: target.remove_pending_login(only), create=False))

    def switch_default(self, name: str) -> None:
        """Make profile ``name`` the default (its credentials move to the official fields).

        A profile that does not exist is the error ``--profile NAME`` gets too
        (:func:`no_such_profile`: the profiles that exist, how to create it, exit 4);
        a name no profile can have is a usage error, as it is for ``--profile``.
        """
        if not valid_profile_name(name):
            raise UsageError("A profile name is 1-64 letters, digits, '-', '_' or '.'.")
        if shaped_like_credential(name):  # never echoed, never suggested as a profile to create
            raise UsageError("auth switch was given a credential, not a profile name.")

        def change(record: StoredCredentials) -> None:
            if record.profile(name) is None:
                raise no_such_profile(name, record)
            record.switch_default(name)

        self.store.update(change)
