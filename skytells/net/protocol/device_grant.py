"""The client side of the OAuth 2.0 device grant (RFC 8628), whatever the server.

Answers are checked for shape before they are used and classified into
:class:`PollOutcome`; secrets never reach a message. The standard error
bodies (HTTP 400 with ``error``) are understood here; a server with its own
dialect says how its statuses read through
:attr:`DeviceGrantClientBase.status_outcomes`.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, ClassVar, Protocol

from skytells.errors import AuthError, NetworkError, ServerError
from skytells.net.http import Response
from skytells.safety import redaction, values

DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_INTERVAL = 5.0
MIN_INTERVAL = 1.0
MAX_INTERVAL = 60.0
DEFAULT_EXPIRES_IN = 900.0
MAX_EXPIRES_IN = 3600.0
MAX_RETRY_AFTER = 60.0


def clamp_interval(value: Any) -> float:
    """The polling interval to use: 5 s when missing or not positive, kept within 1-60 s."""
    return values.seconds(value, default=DEFAULT_INTERVAL, minimum=MIN_INTERVAL, maximum=MAX_INTERVAL)


def parse_retry_after(value: str | None, now_epoch: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or HTTP date), capped at 60 s."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() alone admits "²", which float() refuses
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if now_epoch is None:
        now_epoch = time.time()
    return min(max(when - now_epoch, 0.0), MAX_RETRY_AFTER)


@dataclass(frozen=True)
class TokenSet:
    """Tokens from a token endpoint (RFC 6749 section 5.1), checked by :func:`parse_tokens`."""

    access_token: str = field(repr=False)
    token_type: str = "Bearer"
    refresh_token: str | None = field(default=None, repr=False)
    #: Seconds the access token lives, when the server says (at most values.MAX_TOKEN_LIFETIME).
    expires_in: float | None = None
    scopes: tuple[str, ...] | None = None


def malformed(host: str, status: int, problem: str) -> ServerError:
    """The error for an answer whose shape the CLI cannot use."""
    return ServerError(f"{host} sent an answer the CLI cannot use (HTTP {status}, {problem}).")


def parse_tokens(response: Response, host: str, scope_fields: tuple[str, ...] = ("scope",)) -> TokenSet:
    """Check a token endpoint's successful answer; ServerError naming ``host`` if unusable.

    The access and refresh tokens must be printable ASCII of sane length
    (values.printable_token), or the answer is refused. The rest is advice a
    client may set aside: unusable scopes (the first of ``scope_fields`` present;
    the standard ``scope`` by default) count as absent, which RFC 6749 section 5.1 reads as
    "as requested"; an unusable ``expires_in`` counts as unknown and an absurd
    one is cut to 10 years; an unusable ``token_type`` is taken as Bearer, the
    only kind the CLI sends.
    """
    body = response.body()
    if not isinstance(body, dict) or body.get("access_token") is None:
        raise malformed(host, response.status, "approved without an 'access_token'")
    secrets: dict[str, Any] = {}
    for name in ("access_token", "refresh_token"):
        try:
            secrets[name] = values.optional(partial(values.printable_token, strip=True), body.get(name))
        except values.BadValue as problem:
            raise malformed(host, response.status, f"its {name!r} {problem}") from None
    scopes = next((body[name] for name in scope_fields if body.get(name) is not None), None)
    return TokenSet(
        access_token=secrets["access_token"],
        token_type=values.if_usable(values.token_type, body.get("token_type")) or "Bearer",
        refresh_token=secrets["refresh_token"],
        expires_in=values.seconds(body.get("expires_in"), default=None, maximum=values.MAX_TOKEN_LIFETIME),
        scopes=values.if_usable(values.scope_list, scopes),
    )


@dataclass(frozen=True)
class DeviceAuthorization:
    """The server's answer to a device authorization request."""

    device_code: str = field(repr=False)
    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float


class PollOutcome(enum.Enum):
    """How one poll of the token endpoint ended."""

    APPROVED = "approved"
    PENDING = "pending"
    SLOW_DOWN = "slow_down"
    DENIED = "denied"
    EXPIRED = "expired"
    RETRY = "retry"  # a transient failure: 5xx, 429, timeout, reset


@dataclass(frozen=True)
class PollResult:
    """One poll's outcome; ``access_token`` only when approved."""

    outcome: PollOutcome
    access_token: str | None = field(default=None, repr=False)
    token_type: str = "Bearer"
    scopes: tuple[str, ...] | None = None
    retry_after: float | None = None
    detail: str = ""
    refresh_token: str | None = field(default=None, repr=False)
    #: Seconds the access token lives, when the server says.
    expires_in: float | None = None


class DeviceGrantClient(Protocol):
    """What runs a device grant: the console's client and a standard server's both fit."""

    @property
    def host(self) -> str:
        """The server's host, for messages."""
        ...

    def request_device_code(self, client_name: str, scopes: tuple[str, ...]) -> DeviceAuthorization:
        """Start a device authorization; raise on anything but a well-formed answer."""
        ...

    def poll_device_token(self, device_code: str) -> PollResult:
        """Poll the token endpoint once; transient failures come back as RETRY, not as errors."""
        ...


_STANDARD_ERRORS = {
    "authorization_pending": PollOutcome.PENDING,
    "slow_down": PollOutcome.SLOW_DOWN,
    "access_denied": PollOutcome.DENIED,
    "expired_token": PollOutcome.EXPIRED,
}


class DeviceGrantClientBase:
    """A :class:`DeviceGrantClient` whose subclasses only send the requests.

    Subclasses send the two requests (``_send_device_request``,
    ``_send_token_request``); this class checks and classifies the answers.
    """

    host: str
    #: How a server's own dialect reads, by HTTP status, after the standard error bodies.
    status_outcomes: ClassVar[Mapping[int, PollOutcome]] = {}
    #: Where approved answers carry the granted scopes, in order of preference.
    scope_fields: ClassVar[tuple[str, ...]] = ("scope",)

    def _send_device_request(self, client_name: str, scopes: tuple[str, ...]) -> Response:
        raise NotImplementedError

    def _send_token_request(self, device_code: str) -> Response:
        raise NotImplementedError

    def _required_text(self, response: Response, body: dict[str, Any], name: str, limit: int) -> str:
        """``body[name]``: a non-blank string of at most ``limit`` characters, else the answer is malformed."""
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise self._malformed(response, f"missing or bad {name!r}")
        return value

    def request_device_code(self, client_name: str, scopes: tuple[str, ...]) -> DeviceAuthorization:
        """Start a device authorization; raise on anything but a well-formed answer."""
        response = self._send_device_request(client_name, scopes)
        if response.status != 200:
            raise self._failure("could not start the device authorization", response)
        body = response.body()
        if not isinstance(body, dict):
            raise self._malformed(response, "not a JSON object")
        device_code, user_code, uri = (self._required_text(response, body, name, limit) for name, limit in
                                       (("device_code", 4096), ("user_code", 64), ("verification_uri", 2048)))
        complete = body.get("verification_uri_complete")
        return DeviceAuthorization(
            device_code=device_code,
            user_code=user_code.strip(),
            verification_uri=uri.strip(),
            verification_uri_complete=complete.strip() if isinstance(complete, str) and len(complete) <= 2048 else None,
            expires_in=values.seconds(body.get("expires_in"), default=DEFAULT_EXPIRES_IN, maximum=MAX_EXPIRES_IN),
            interval=clamp_interval(body.get("interval")),
        )

    def poll_device_token(self, device_code: str) -> PollResult:
        """Poll the token endpoint once; transient failures come back as RETRY, not as errors."""
        redaction.register(device_code)  # whatever sends the request: a server may echo it in an error text
        try:
            response = self._send_token_request(device_code)
        except NetworkError as error:
            return PollResult(PollOutcome.RETRY, detail=error.message)
        if response.status == 200:
            tokens = parse_tokens(response, self.host, self.scope_fields)
            return PollResult(PollOutcome.APPROVED, access_token=tokens.access_token, token_type=tokens.token_type,
                              scopes=tokens.scopes, refresh_token=tokens.refresh_token, expires_in=tokens.expires_in)
        code = response.error_code()
        if response.status in (400, 401) and code in _STANDARD_ERRORS:
            return PollResult(_STANDARD_ERRORS[code], detail=response.describe())
        if response.status in self.status_outcomes:
            return PollResult(self.status_outcomes[response.status], detail=response.describe())
        if response.status == 429:
            return PollResult(PollOutcome.RETRY, retry_after=parse_retry_after(response.headers.get("retry-after")),
                              detail=f"{self.host} is rate limiting requests (HTTP 429)")
        if response.status >= 500:
            return PollResult(PollOutcome.RETRY, retry_after=parse_retry_after(response.headers.get("retry-after")),
                              detail=f"{self.host} had a problem ({response.describe()})")
        raise AuthError(f"{self.host} refused the device authorization ({response.describe()}).",
                        hint="Run skytells login again.")

    def _failure(self, what: str, response: Response) -> Exception:
        if response.status >= 500 or response.status == 429 or response.kind != "json":
            return ServerError(f"{self.host} {what}: {response.describe()}.")
        if response.status == 401:
            return AuthError(f"{self.host} {what}: not authenticated ({response.describe()}).")
        return ServerError(f"{self.host} {what}: {response.describe()}.")

    def _malformed(self, response: Response, problem: str) -> ServerError:
        return malformed(self.host, response.status, problem)
