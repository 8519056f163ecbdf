"""Settings of a sandbox server and the constants of the service it imitates."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

ALL_SCOPES: tuple[str, ...] = (
    "inference",
    "projects.read",
    "projects.write",
    "deployments.read",
    "deployments.write",
    "keys.read",
    "keys.write",
    "account.read",
)
DEFAULT_SCOPES: tuple[str, ...] = (
    "inference",
    "projects.read",
    "deployments.read",
    "account.read",
)
DIALECTS: tuple[str, ...] = ("console", "rfc8628")
DEVICE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_GRANT_TYPE = "refresh_token"
# OAuth 2.0 Token Exchange (RFC 8693): workload logins trade a CI's ID token for an access token.
TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
# Standard-mode scopes beyond the Skytells ones: refresh tokens, and OpenID Connect.
OFFLINE_ACCESS = "offline_access"
OPENID = "openid"
DEFAULT_CLIENT_IDS: tuple[str, ...] = ("skytells-cli",)
# RFC 8628 section 3.5: every slow_down adds 5 seconds to the polling interval.
SLOW_DOWN_STEP = 5
SIGNED_IN_USER = "sandbox-user"


@dataclass(frozen=True)
class SandboxConfig:
    """How a :class:`~skytells_sandbox.server.Sandbox` behaves.

    Attributes:
        host: Address to listen on; only loopback addresses are accepted.
        port: TCP port; 0 picks a free one.
        interval: Polling interval (seconds) announced for device codes.
        expires_in: Lifetime (seconds) of a device code.
        auto_approve: Approve every device request as soon as it is made.
        dialect: ``"console"`` (HTTP status codes, like the real console) or
            ``"rfc8628"`` (HTTP 400 with standard error bodies).
        slow_down_polls: Answer ``slow_down`` to the first N polls of each
            device code (``rfc8628`` dialect only).
        clock: Monotonic time source in seconds, used for expiry and
            poll-rate decisions; tests inject a fake one.
        access_log: Stream for one ``METHOD /path STATUS`` line per request
            (query strings stripped), or ``None`` for silence.
        oidc: Act as an OpenID Connect provider too: serve discovery at
            ``/.well-known/openid-configuration``, accept the ``openid`` scope
            and answer ``/oauth/userinfo``.
        oauth_metadata: Serve RFC 8414 metadata at
            ``/.well-known/oauth-authorization-server``; ``False`` answers 404
            there, so that a client's fallback to OpenID Connect discovery can
            be tested.
        token_lifetime: Lifetime (seconds) of a standard-mode access token.
        client_ids: The OAuth clients registered for the standard endpoints.
        wall_clock: Wall-clock time source in seconds (like ``time.time``),
            used for access-token expiry; tests inject a fake one.
        prediction_seconds: How long (on ``clock``) an inference prediction
            takes to finish; 0 finishes it at once.
        token_exchange: Accept OAuth 2.0 Token Exchange (RFC 8693) at the
            standard token endpoint and list it in the metadata. The subject
            tokens trusted are the test ID tokens this sandbox signs
            (``issue_id_token``, ``/_sandbox/id-tokens`` and its GitHub
            Actions ID-token endpoint; see :mod:`skytells_sandbox.exchange`).
        exchange_audiences: The ``audience`` values an exchange may ask for
            (others are refused with ``invalid_target``); ``None`` accepts any.
        exchange_clients: The client ids allowed to exchange (others are
            refused with ``unauthorized_client``); ``None`` allows every
            registered one.
        dpop: Bind standard-mode tokens to the client's key when a token
            request carries a DPoP proof (RFC 9449; ES256 listed in the
            metadata), and check every proof (see :mod:`skytells_sandbox.dpop`).
        dpop_nonce: With ``dpop``, require the server's nonce in every proof:
            a proof without it is answered ``use_dpop_nonce`` with a
            ``DPoP-Nonce`` header.
    """

    host: str = "127.0.0.1"
    port: int = 0
    interval: int = 5
    expires_in: int = 900
    auto_approve: bool = False
    dialect: str = "console"
    slow_down_polls: int = 0
    clock: Callable[[], float] = time.monotonic
    access_log: TextIO | None = None
    oidc: bool = False
    oauth_metadata: bool = True
    token_lifetime: int = 3600
    client_ids: tuple[str, ...] = DEFAULT_CLIENT_IDS
    wall_clock: Callable[[], float] = time.time
    prediction_seconds: float = 1.0
    token_exchange: bool = True
    exchange_audiences: tuple[str, ...] | None = None
    exchange_clients: tuple[str, ...] | None = None
    dpop: bool = False
    dpop_nonce: bool = False

    def __post_init__(self) -> None:
        check_loopback(self.host)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        if self.interval < 0:
            raise ValueError(f"interval must not be negative, got {self.interval}")
        if self.expires_in <= 0:
            raise ValueError(f"expires_in must be positive, got {self.expires_in}")
        if self.dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}, got {self.dialect!r}")
        if self.slow_down_polls < 0:
            raise ValueError(f"slow_down_polls must not be negative, got {self.slow_down_polls}")
        if self.slow_down_polls and self.dialect != "rfc8628":
            raise ValueError("slow_down_polls needs the rfc8628 dialect")
        if self.token_lifetime <= 0:
            raise ValueError(f"token_lifetime must be positive, got {self.token_lifetime}")
        if not 0 <= self.prediction_seconds <= 3600:
            raise ValueError(f"prediction_seconds must be 0 to 3600, got {self.prediction_seconds}")
        _check_client_ids(self.client_ids)
        # Accept any sequence of ids, but keep a hashable, immutable tuple.
        object.__setattr__(self, "client_ids", tuple(self.client_ids))

    @property
    def standard_scopes(self) -> tuple[str, ...]:
        """Scopes the standard endpoints accept: the Skytells ones, ``offline_access``,
        and ``openid`` when OpenID Connect is on."""
        extra = (OFFLINE_ACCESS, OPENID) if self.oidc else (OFFLINE_ACCESS,)
        return ALL_SCOPES + extra


def _check_client_ids(client_ids: object) -> None:
    if isinstance(client_ids, str) or not isinstance(client_ids, (tuple, list)):
        raise ValueError("client_ids must be a sequence of client id strings")
    if not client_ids:
        raise ValueError("client_ids must name at least one client")
    for client_id in client_ids:
        if not isinstance(client_id, str) or not client_id or not client_id.isprintable():
            raise ValueError(f"client ids must be non-empty printable strings, got {client_id!r}")
        if any(character.isspace() for character in client_id):
            raise ValueError(f"client ids must not contain spaces, got {client_id!r}")


def check_loopback(host: str) -> None:
    """Raise ``ValueError`` unless ``host`` is a literal loopback IP address."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(
            f"host must be a loopback IP address such as 127.0.0.1, got {host!r}"
        ) from None
    if not address.is_loopback:
        raise ValueError(f"the sandbox listens on loopback addresses only, not {host}")
