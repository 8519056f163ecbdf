"""The :class:`Sandbox`: a local server that behaves like the Skytells console.

Run it by hand with ``python -m skytells_sandbox.server --help``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from skytells_sandbox import exchange
from skytells_sandbox.config import DEFAULT_SCOPES, SandboxConfig
from skytells_sandbox.context import Context
from skytells_sandbox.handler import SandboxHTTPServer
from skytells_sandbox.state import (
    DeviceRequest,
    DeviceStatus,
    Revocation,
    SandboxState,
    SeenRequest,
)

#: At most this long, in seconds, for each step of :meth:`Sandbox.stop`: the
#: accept loop, then the connection handlers. Both normally end at once.
STOP_TIMEOUT = 2.0


class Sandbox:
    """A Skytells console stand-in listening on a loopback address.

    The socket is bound when the object is made, so :attr:`url` is known at
    once; :meth:`start` begins answering in a daemon thread. Use it as a
    context manager to start and stop it::

        with Sandbox(SandboxConfig(auto_approve=True)) as sandbox:
            requests.get(sandbox.url + "/api/v1/health")

    Keyword arguments override fields of ``config``: ``Sandbox(interval=1)``.
    """

    def __init__(self, config: SandboxConfig | None = None, **overrides: Any) -> None:
        config = config or SandboxConfig()
        if overrides:
            config = dataclasses.replace(config, **overrides)
        self._config = config
        self._state = SandboxState(config)
        ipv6 = ipaddress.ip_address(config.host).version == 6
        self._server = SandboxHTTPServer((config.host, config.port), ipv6=ipv6)
        host, port = self._server.server_address[:2]
        netloc = f"[{host}]" if ipv6 else host
        self._url = f"http://{netloc}:{port}"
        self._server.context = Context(state=self._state, url=self._url)
        self._thread: threading.Thread | None = None
        self._closed = False

    # Lifecycle ------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        return self._url

    @property
    def config(self) -> SandboxConfig:
        """The configuration in force."""
        return self._config

    def start(self) -> Sandbox:
        """Answer requests in a daemon thread; returns ``self``."""
        if self._closed:
            raise RuntimeError("a stopped sandbox cannot be started again")
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_until_stopped,
                name="skytells-sandbox",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop answering, close open connections and release the port.

        Bounded: it returns within a few seconds whatever the clients do, and
        a request still arriving (or cut short) is not answered.
        """
        if self._closed:
            return
        self._closed = True
        self._server.request_stop()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
        self._server.drop_open_connections()
        self._server.wait_for_handlers(STOP_TIMEOUT)
        self._server.server_close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Credentials ----------------------------------------------------------

    def issue_token(self, scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
        """Issue a valid personal access token (``sk_pat_`` + 64 hex) with ``scopes``.

        Raises ``ValueError`` for an unknown scope.
        """
        return self._state.issue_token(scopes)

    def issue_project_key(self, name: str = "Demo Project") -> str:
        """Create a project called ``name`` and return its access key (``sk_proj_`` + 48 hex)."""
        key, _project = self._state.issue_project_key(name)
        return key

    def project_for_key(self, access_key: str) -> dict[str, str] | None:
        """The project of a valid project access key, or ``None``."""
        return self._state.project_for_key(access_key)

    def token_scopes(self, token: str) -> tuple[str, ...] | None:
        """The scopes of a valid access token (personal, or standard and unexpired), or ``None``."""
        return self._state.token_scopes(token)

    def token_is_active(self, token: str) -> bool:
        """Whether the CLI endpoints would accept ``token`` now (not revoked, not expired)."""
        return self._state.token_scopes(token) is not None

    def refresh_token_is_active(self, token: str) -> bool:
        """Whether ``token`` is a refresh token that could be spent now (not spent, not revoked)."""
        return self._state.refresh_token_is_active(token)

    def issue_api_key(self) -> str:
        """Issue an inference API key (``sbx_key_`` + 48 hex) that ``GET /v1/models`` accepts."""
        return self._state.issue_api_key()

    def api_key_is_valid(self, api_key: str) -> bool:
        """Whether ``api_key`` was issued here and is not revoked."""
        return self._state.api_key_is_valid(api_key)

    def revoke(self, credential: str) -> None:
        """Make any credential the sandbox issued invalid.

        Personal tokens, project keys, API keys and standard-mode access
        tokens are revoked alone; a refresh token takes its whole grant family
        with it. Raises ``skytells_sandbox.state.UnknownCredentialError`` (a
        ``LookupError``) if the sandbox never issued it.
        """
        self._state.revoke(credential)

    # Workload identity (exchange.py) ---------------------------------------

    def issue_id_token(
        self,
        audience: str | None = None,
        *,
        subject: str = exchange.DEFAULT_SUBJECT,
        lifetime: int = exchange.DEFAULT_ID_TOKEN_LIFETIME,
    ) -> str:
        """A test CI ID token (a JWT this sandbox signs and its token exchange trusts).

        ``audience`` defaults to the first registered client id; ``lifetime`` is in
        seconds on the wall clock (negative: already expired).
        """
        return exchange.issue_id_token(
            self._state,
            self._url,
            audience or self._config.client_ids[0],
            subject=subject,
            lifetime=lifetime,
        )

    def token_binding(self, token: str) -> str | None:
        """The key thumbprint (``cnf.jkt``) a DPoP-bound token is bound to, or ``None``."""
        return self._state.dpop.binding(token)

    @property
    def dpop_nonce(self) -> str:
        """The DPoP nonce proofs must carry when ``dpop_nonce`` is on."""
        return self._state.dpop.nonce

    @property
    def actions_environment(self) -> dict[str, str]:
        """The variables of a GitHub Actions job with ``id-token: write``, pointing here."""
        return {
            "ACTIONS_ID_TOKEN_REQUEST_URL": f"{self._url}{exchange.ACTIONS_PATH}?api-version=2.0",
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN": self._state.actions_request_token,
        }

    @property
    def revocations(self) -> list[Revocation]:
        """Every revocation so far, oldest first (``kind``, ``reason``, ``time``, ``token``)."""
        return self._state.revocations()

    # Device authorization -------------------------------------------------

    def wait_for_device_request(self, timeout: float = 5.0) -> str:
        """Block until a device request not returned before exists; return its user code.

        Each request is returned once, oldest first. Raises ``TimeoutError``
        after ``timeout`` real seconds.
        """
        return self._state.wait_for_device_request(timeout)

    def approve(self, user_code: str) -> None:
        """Approve a pending request, as the person would on the verification page.

        Raises ``UnknownCodeError`` (a ``LookupError``) or ``NotPendingError``
        (a ``RuntimeError``) from ``skytells_sandbox.state``.
        """
        self._state.decide(user_code, DeviceStatus.APPROVED)

    def deny(self, user_code: str) -> None:
        """Deny a pending request; raises like :meth:`approve`."""
        self._state.decide(user_code, DeviceStatus.DENIED)

    def expire(self, user_code: str) -> None:
        """Expire a request now, whatever the clock says."""
        self._state.expire(user_code)

    def device_request(self, user_code: str) -> DeviceRequest:
        """A snapshot of a request: status, polls, poll times, interval, scopes, client_id."""
        return self._state.device_request(user_code)

    def pending_user_codes(self) -> list[str]:
        """User codes still waiting for a decision, oldest first."""
        return self._state.pending_user_codes()

    # Observation ----------------------------------------------------------

    @property
    def requests_seen(self) -> list[SeenRequest]:
        """Every request received so far (method, path, query, raw headers, body, clock time)."""
        return self._state.requests_seen()

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        self._state.clear_requests()

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections the server has accepted."""
        return self._server.connections_accepted


if __name__ == "__main__":
    from skytells_sandbox.__main__ import main

    raise SystemExit(main())
