"""Credentials: what an authenticator returns and what a store keeps."""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, overload

from skytells.errors import AuthError, StoreError
from skytells.safety import values
from skytells.safety.masking import mask
from skytells.safety.redaction import is_secret_field
from skytells.safety.sanitize import terminal_safe

#: Credential fields of the official CLI's ``credentials.json``.
OFFICIAL_SECRET_FIELDS = ("token", "access_key", "api_key")
#: Every secret a profile can hold (stores keep these out of plain sight where they can). ``dpop_key`` is the
#: private key a DPoP-bound token (RFC 9449) is bound to: without it the token is useless, with it anyone can use it.
SECRET_FIELDS = (*OFFICIAL_SECRET_FIELDS, "refresh_token", "dpop_key")
#: The most facts a login method may keep to sign in again without a person (``Credential.renewal``).
MAX_RENEWAL_FACTS = 16
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
    "renewal": lambda value: renewal_facts(value),  # defined below
}


def renewal_facts(value: object) -> dict[str, str]:
    """What a login method keeps to sign in again without a person: a few short text facts, never a secret.

    BadValue when ``value`` is not an object of at most :data:`MAX_RENEWAL_FACTS` text facts (or names a
    secret-like field: a secret belongs in a secret field, where stores protect it).
    """
    if not isinstance(value, dict) or len(value) > MAX_RENEWAL_FACTS:
        raise values.BadValue(f"is not an object of at most {MAX_RENEWAL_FACTS} facts")
    facts: dict[str, str] = {}
    for name, fact in value.items():
        if not isinstance(name, str) or not name.isidentifier() or len(name) > 64 or is_secret_field(name):
            raise values.BadValue("has a fact whose name is not a plain, non-secret identifier")
        facts[name] = values.text_fact(fact)
    return facts


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
    #: What the login method keeps to sign in again without a person once the token expires (``workload``: where
    #: the CI's ID token comes from); short text facts, never a secret. None: it cannot.
    renewal: Mapping[str, str] | None = None
    #: The private key a DPoP-bound token is bound to (``token_type`` DPoP, RFC 9449), as
    #: :class:`skytells.net.protocol.dpop.DPoPKey` stores it. Secret: kept out of ``repr``.
    dpop_key: str | None = field(default=None, repr=False)

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
    ("dpop_key", values.printable_token),
    ("renewal", renewal_facts),
    ("scopes", values.scope_list),
    ("token_type", values.token_type),
    ("expires_at", values.epoch_ms),
)


#: The profile field (beside the official ones) holding a login started by ``login --request``.
PENDING_LOGIN_FIELD = "pending_login"
#: The most a pending login may take, as JSON: a method keeps a few facts there, never a document.
MAX_PENDING_JSON = 32768
_PENDING_FIELDS = ("method", "expires_at", "state", "event")


def _json_object(value: object, name: str) -> dict[str, Any]:
    """``value`` when it is a JSON object of bounded size; BadValue naming ``name`` otherwise."""
    if not isinstance(value, dict):
        raise values.BadValue(f"has a {name!r} that is not an object")
    try:
        size = len(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise values.BadValue(f"has a {name!r} that is not plain JSON") from None
    if size > MAX_PENDING_JSON:
        raise values.BadValue(f"has a {name!r} longer than {MAX_PENDING_JSON} characters")
    return value


@dataclass(frozen=True)
class PendingLogin:
    """A login that a method started (``login --request``) and finishes later (``login --check``).

    ``state`` is the method's own JSON object: only the method that started
    the login reads it, and the store keeps it as it is, per profile, with the
    profile's other secrets (its secret-named fields are redacted like
    tokens). ``event`` is what a program is told about it, without any
    secret (``login --json``); ``expires_at`` (epoch ms) is when it can no
    longer be finished.
    """

    #: The login method that started it; None for one kept by version 0.1, whose only two-step method was
    #: the default one.
    method: str | None
    state: dict[str, object] = field(repr=False)
    expires_at: int
    event: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse a pending login that could not be stored and read back (the same checks as the store's)."""
        for name, check in (("method", lambda value: values.optional(lambda text: values.text_fact(text, limit=64),
                                                                     value)),
                            ("expires_at", values.epoch_ms),
                            ("state", lambda value: _json_object(value, "state")),
                            ("event", lambda value: _json_object(value, "event"))):
            try:
                object.__setattr__(self, name, check(getattr(self, name)))
            except values.BadValue as problem:
                message = str(problem)
                raise values.BadValue(message if message.startswith("has ") else f"has a {name!r} that {message}") \
                    from None

    @classmethod
    def from_document(cls, data: object) -> PendingLogin:
        """Read a stored pending login; BadValue (completing "the field ...") when it is not one.

        One kept by version 0.1 (the state's fields at the top level, no method named) is read as the
        default method's, whose state it is.
        """
        if not isinstance(data, dict):
            raise values.BadValue("is not an object")
        if "method" not in data and "state" not in data:
            return cls(method=None, state=data, expires_at=data.get("expires_at"), event={})  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(_PENDING_FIELDS))
        if unknown:
            raise values.BadValue(f"has a field this version does not know ({terminal_safe(unknown[0], 40)!r})")
        missing = [name for name in ("method", "expires_at", "state") if data.get(name) is None]
        if missing:
            raise values.BadValue(f"lacks {missing[0]!r}")
        return cls(method=data["method"], state=data["state"], expires_at=data["expires_at"],
                   event=data.get("event") or {})

    def to_document(self) -> dict[str, Any]:
        """The JSON object the store keeps."""
        return {"method": self.method, "expires_at": self.expires_at, "state": self.state, "event": self.event}


@dataclass
class StoredCredentials:
    """The contents of the credential store: the default profile, and the others.

    ``token``, ``access_key``, ``api_key`` and ``created_at`` are the official
    CLI's fields and belong to the default profile, so the official CLI keeps
    working with it. ``refresh_token`` and ``dpop_key`` (the private key a
    DPoP-bound token needs) sit beside them. ``meta`` holds the
    facts this CLI adds (scopes, method, host, expiry, when saved), keyed by
    credential field. ``profiles`` holds the other profiles, each of the same
    shape; ``profile_name`` names the default one. ``extra`` keeps every
    top-level field this version does not know, so saving never drops them,
    and the profile's pending login (:data:`PENDING_LOGIN_FIELD`, a JSON
    object whose envelope the store's parser checks; see :meth:`pending_login`):
    kept there, the store persists it, and redacts its secret-named fields,
    exactly as it does every other field of the profile.
    """

    token: str | None = field(default=None, repr=False)
    access_key: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    dpop_key: str | None = field(default=None, repr=False)
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
        self.dpop_key = credential.dpop_key
        self.created_at = now_ms()
        info: dict[str, Any] = {"method": credential.method, "host": credential.host, "saved_at": self.created_at}
        for name in ("expires_at", "issuer", "client_id", "token_type"):
            value = getattr(credential, name)
            if value is not None:
                info[name] = value
        if credential.scopes is not None:
            info["scopes"] = list(credential.scopes)
        if credential.renewal is not None:
            info["renewal"] = dict(credential.renewal)
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
            renewal=facts.get("renewal"),
            dpop_key=self.dpop_key,
        )

    def pending_login(self) -> PendingLogin | None:
        """The login this profile started with ``login --request``, or None.

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

    def remove_pending_login(self, only: PendingLogin | None = None) -> bool:
        """Forget the pending login (only when it is still ``only``, when given). True if one was removed."""
        data = self.extra.get(PENDING_LOGIN_FIELD)
        if data is None or (only is not None and data not in (only.to_document(), only.state)):
            return False
        del self.extra[PENDING_LOGIN_FIELD]
        return True

    def set_secret(self, name: str, value: str, **facts: Any) -> None:
        """Store ``access_key`` or ``api_key`` with the facts known about it."""
        setattr(self, name, value)
        self.meta[name] = {"saved_at": now_ms(), **facts}

    def remove(self, name: str) -> bool:
        """Remove one credential and its facts, keeping the others. True if it was there.

        Removing the token removes its refresh token and the DPoP key it was bound to too.
        """
        present = getattr(self, name) is not None
        setattr(self, name, None)
        self.meta.pop(name, None)
        if name == "token":
            self.refresh_token = None
            self.dpop_key = None
        return present
