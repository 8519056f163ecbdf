"""Credentials: what an authenticator returns and what a store keeps."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from skytells.errors import AuthError, StoreError
from skytells.safety import values
from skytells.safety.masking import mask
from skytells.safety.sanitize import terminal_safe

#: Credential fields of the official CLI's ``credentials.json``.
OFFICIAL_SECRET_FIELDS = ("token", "access_key", "api_key")
#: Every secret a profile can hold (stores keep these out of plain sight where they can).
SECRET_FIELDS = (*OFFICIAL_SECRET_FIELDS, "refresh_token")
DEFAULT_PROFILE = "default"


def now_ms() -> int:
    """Milliseconds since the epoch, the official file's unit for ``created_at``."""
    return int(time.time() * 1000)


def iso_time(milliseconds: object) -> str | None:
    """An epoch-milliseconds stamp as local ISO 8601 time; None when there is none or it is out of range."""
    shown = local_time(milliseconds, "")
    return shown or None


def local_time(milliseconds: object, missing: str = "-") -> str:
    """An epoch-milliseconds stamp as local ISO 8601 time; ``missing`` when there is none or it is out of range."""
    try:
        moment_ms = values.epoch_ms(milliseconds)
    except values.BadValue:
        return missing
    moment = datetime.datetime.fromtimestamp(moment_ms / 1000, tz=datetime.timezone.utc)
    return moment.astimezone().isoformat(timespec="seconds")


#: The facts this CLI keeps under ``meta[<credential>]``, each with its check (values.py).
FACT_CHECKS: dict[str, Callable[[object], Any]] = {
    "method": values.text_fact,
    "host": values.text_fact,
    "issuer": values.text_fact,
    "client_id": values.text_fact,
    "token_type": values.token_type,
    "scopes": values.scope_list,
    "expires_at": values.epoch_ms,
    "saved_at": values.epoch_ms,
}


def read_facts(info: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The usable facts of one ``meta`` entry, and why each unusable one is not (by name).

    Facts that are absent (or JSON null) are in neither; other keys are left alone.
    """
    facts: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, check in FACT_CHECKS.items():
        if info.get(name) is None:
            continue
        try:
            facts[name] = check(info[name])
        except values.BadValue as problem:
            problems[name] = str(problem)
    return facts, problems


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

    def __post_init__(self) -> None:
        """Refuse a credential no login should produce, whichever authenticator built it (values.py has the rules)."""
        for name, check in _CREDENTIAL_CHECKS:
            value = getattr(self, name)
            if value is None and name != "token":
                continue
            try:
                object.__setattr__(self, name, check(value))
            except values.BadValue as problem:
                raise AuthError(f"The credential from the {terminal_safe(self.method, 40)!r} login at "
                                f"{terminal_safe(self.host, 100)} is unusable: its {name!r} {problem}.",
                                hint="Nothing was saved; run skytells login again.") from None

    def __str__(self) -> str:
        return f"{mask(self.token)} ({self.method} login at {self.host})"


_CREDENTIAL_CHECKS: tuple[tuple[str, Callable[[object], Any]], ...] = (
    ("token", values.printable_token),
    ("refresh_token", values.printable_token),
    ("scopes", values.scope_list),
    ("token_type", values.token_type),
    ("expires_at", values.epoch_ms),
)


#: The profile field (beside the official ones) holding a device login started by ``login --request``.
PENDING_LOGIN_FIELD = "pending_login"
#: The longest device code kept (what ``skytells.net.protocol.device_grant`` accepts from a server).
MAX_DEVICE_CODE = 4096


def _seconds_fact(value: object) -> float:
    """A polling interval: a number of seconds from 1 to 3600."""
    number = values.real(value)
    if number is None or not 1 <= number <= 3600:
        raise values.BadValue("is not a number of seconds from 1 to 3600")
    return number


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise values.BadValue("is not true or false")
    return value


#: Each field of a pending login, with its check; the ones in _PENDING_REQUIRED must be there.
_PENDING_CHECKS: dict[str, Callable[[object], Any]] = {
    "device_code": lambda value: values.text_fact(value, limit=MAX_DEVICE_CODE),
    "user_code": lambda value: values.text_fact(value, limit=64),
    "verification_uri": values.text_fact,
    "verification_uri_complete": values.text_fact,
    "server": values.text_fact,
    "scopes": values.scope_list,
    "scopes_requested": _flag,
    "interval": _seconds_fact,
    "requested_at": values.epoch_ms,
    "expires_at": values.epoch_ms,
    "not_before": values.epoch_ms,
    "issuer": values.text_fact,
    "client_id": values.text_fact,
    "token_endpoint": values.text_fact,
}
_PENDING_REQUIRED = ("device_code", "user_code", "verification_uri", "server", "scopes", "interval",
                     "requested_at", "expires_at", "not_before")


@dataclass(frozen=True)
class PendingLogin:
    """A device authorization started by ``skytells login --request`` and not yet finished.

    It is a secret (``device_code`` redeems the token once approved): it is
    kept in the credential store like a token, under
    :data:`PENDING_LOGIN_FIELD` of its profile, and left out of ``repr``.
    ``server`` is the console the token will be for; ``issuer``,
    ``client_id`` and ``token_endpoint`` are set together for a standard
    provider (``--issuer``). Times are epoch milliseconds: ``not_before`` is
    the earliest moment the token endpoint may be polled again.
    """

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    server: str
    scopes: tuple[str, ...]
    interval: float
    requested_at: int
    expires_at: int
    not_before: int
    verification_uri_complete: str | None = None
    scopes_requested: bool = False
    issuer: str | None = None
    client_id: str | None = None
    token_endpoint: str | None = None

    def __post_init__(self) -> None:
        """Refuse a pending login that could not be stored and read back (the same checks as the store's)."""
        for name, check in _PENDING_CHECKS.items():
            value = getattr(self, name)
            if value is None and name not in _PENDING_REQUIRED:
                continue
            try:
                object.__setattr__(self, name, check(value))
            except values.BadValue as problem:
                raise values.BadValue(f"has a {name!r} that {problem}") from None
        standard = (self.issuer, self.client_id, self.token_endpoint)
        if any(standard) and not all(standard):
            raise values.BadValue("names only some of 'issuer', 'client_id' and 'token_endpoint'")
        if not self.requested_at < self.expires_at:
            raise values.BadValue("expires before it was requested")

    @property
    def lifetime(self) -> float:
        """Seconds the device code lives, as the server announced."""
        return (self.expires_at - self.requested_at) / 1000

    @classmethod
    def from_document(cls, data: object) -> PendingLogin:
        """Read a stored pending login; BadValue (completing "the field ...") when it is not one."""
        if not isinstance(data, dict):
            raise values.BadValue("is not an object")
        unknown = sorted(set(data) - set(_PENDING_CHECKS))
        if unknown:
            raise values.BadValue(f"has a field this version does not know ({terminal_safe(unknown[0], 40)!r})")
        missing = [name for name in _PENDING_REQUIRED if data.get(name) is None]
        if missing:
            raise values.BadValue(f"lacks {missing[0]!r}")
        return cls(**{name: value for name, value in data.items() if value is not None})

    def to_document(self) -> dict[str, Any]:
        """The JSON object the store keeps (absent facts are left out)."""
        document: dict[str, Any] = {}
        for name in _PENDING_CHECKS:
            value = getattr(self, name)
            if value is not None:
                document[name] = list(value) if isinstance(value, tuple) else value
        return document


@dataclass
class StoredCredentials:
    """The contents of the credential store: the default profile, and the others.

    ``token``, ``access_key``, ``api_key`` and ``created_at`` are the official
    CLI's fields and belong to the default profile, so the official CLI keeps
    working with it. ``refresh_token`` sits beside them. ``meta`` holds the
    facts this CLI adds (scopes, method, host, expiry, when saved), keyed by
    credential field. ``profiles`` holds the other profiles, each of the same
    shape; ``profile_name`` names the default one. ``extra`` keeps every
    top-level field this version does not know, so saving never drops them,
    and the profile's pending device login (:data:`PENDING_LOGIN_FIELD`, a
    JSON object the store's parser checks; see :meth:`pending_login`): kept
    there, the store persists it, and redacts its ``device_code``, exactly as
    it does every other field of the profile.
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

    @overload
    def profile(self, name: str | None, *, create: Literal[True]) -> StoredCredentials: ...

    @overload
    def profile(self, name: str | None, *, create: bool = False) -> StoredCredentials | None: ...

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
        # A pending login belongs to its profile, not to the top level of the file (where the default's sits).
        pending = self.extra.pop(PENDING_LOGIN_FIELD, None)
        if pending is not None:
            previous.extra[PENDING_LOGIN_FIELD] = pending
        if PENDING_LOGIN_FIELD in chosen.extra:
            self.extra[PENDING_LOGIN_FIELD] = chosen.extra[PENDING_LOGIN_FIELD]
        if not previous.is_empty() or previous.meta or previous.extra:
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

    def facts(self, name: str) -> dict[str, Any]:
        """The usable facts stored about credential ``name`` (an unusable one counts as unknown)."""
        return read_facts(self.meta.get(name, {}))[0]

    def token_credential(self) -> Credential | None:
        """The stored user token with its facts, or None.

        Raises StoreError when the server the token is bound to cannot be
        read: treating it as unknown would send the token to the default console.
        """
        if not self.token:
            return None
        facts, problems = read_facts(self.meta.get("token", {}))
        if "host" in problems:
            raise StoreError(f"The stored token's 'meta.token.host' {problems['host']}; it is not used.",
                             hint="Run skytells login again.")
        return Credential(
            token=self.token,
            method=facts.get("method", "unknown"),
            host=facts.get("host", ""),
            scopes=facts.get("scopes"),
            token_type=facts.get("token_type", "Bearer"),
            expires_at=facts.get("expires_at"),
            refresh_token=self.refresh_token,
            issuer=facts.get("issuer"),
            client_id=facts.get("client_id"),
        )

    def pending_login(self) -> PendingLogin | None:
        """The device login this profile started with ``login --request``, or None.

        The store's parser has checked it; a record built otherwise that holds
        an unusable one raises StoreError.
        """
        data = self.extra.get(PENDING_LOGIN_FIELD)
        if data is None:
            return None
        try:
            return PendingLogin.from_document(data)
        except values.BadValue as problem:
            raise StoreError(f"The stored pending login {problem}.", hint="Run skytells login --request again.") \
                from None

    def set_pending_login(self, pending: PendingLogin) -> None:
        """Keep ``pending`` as this profile's pending login, replacing any earlier one."""
        self.extra[PENDING_LOGIN_FIELD] = pending.to_document()

    def remove_pending_login(self, device_code: str | None = None) -> bool:
        """Forget the pending login (only the one for ``device_code``, when given). True if one was removed."""
        data = self.extra.get(PENDING_LOGIN_FIELD)
        if data is None or (device_code is not None
                            and not (isinstance(data, dict) and data.get("device_code") == device_code)):
            return False
        del self.extra[PENDING_LOGIN_FIELD]
        return True

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
