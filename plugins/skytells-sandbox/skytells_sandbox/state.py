"""The sandbox's thread-safe state: device requests, credentials, projects, request log."""

from __future__ import annotations

import collections
import dataclasses
import enum
import secrets
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from skytells_sandbox import codes
from skytells_sandbox.authcodes import CodeBook
from skytells_sandbox.config import ALL_SCOPES, OFFLINE_ACCESS, SLOW_DOWN_STEP, SandboxConfig
from skytells_sandbox.dpop import DpopBook
from skytells_sandbox.grants import GrantBook, RefreshRefusedError, TokenSet
from skytells_sandbox.messages import find_header

# Bounds the memory of a long-running foreground server.
MAX_REQUESTS_KEPT = 10_000
MAX_DECISIONS_KEPT = 1_000
DEMO_PROJECT_NAMES = ("Image Studio", "Support Assistant")


class DeviceStatus(enum.Enum):
    """Where a device authorization request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    REDEEMED = "redeemed"


class PollResult(enum.Enum):
    """What a poll of the token endpoint amounts to, before any dialect is applied."""

    PENDING = "authorization_pending"
    SLOW_DOWN = "slow_down"
    DENIED = "access_denied"
    EXPIRED = "expired_token"
    INVALID_GRANT = "invalid_grant"
    APPROVED = "approved"


@dataclass(frozen=True)
class PollOutcome:
    """The answer to one poll; ``access_token`` and ``scopes`` are set when approved.

    For a standard-mode request, ``tokens`` holds everything issued.
    """

    result: PollResult
    access_token: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ()
    tokens: TokenSet | None = None


@dataclass
class DeviceRequest:
    """One device authorization request. Copies are handed out, never the live record.

    ``client_id`` is set for a request made on the standard endpoints and is
    ``None`` for one made on the console's.
    """

    device_code: str
    user_code: str
    client_name: str
    scopes: tuple[str, ...]
    created_at: float
    expires_at: float
    interval: int
    form_token: str
    status: DeviceStatus = DeviceStatus.PENDING
    polls: int = 0
    poll_times: list[float] = field(default_factory=list)
    announced: bool = False
    client_id: str | None = None


@dataclass(frozen=True)
class SeenRequest:
    """A request as the sandbox received it. The Authorization header is kept raw."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    time: float

    def header(self, name: str) -> str | None:
        """Return the value of header ``name`` (case-insensitive), or ``None``."""
        return find_header(self.headers, name)


class UnknownCodeError(LookupError):
    """No device request has this user code."""


class NotPendingError(RuntimeError):
    """The device request is no longer waiting for a decision."""

    def __init__(self, user_code: str, status: DeviceStatus) -> None:
        super().__init__(f"device request {user_code} is {status.value}, not pending")
        self.status = status


class UnknownCredentialError(LookupError):
    """The sandbox never issued this credential."""


@dataclass(frozen=True)
class Revocation:
    """A credential that stopped working, and why.

    ``kind`` is ``access_token``, ``refresh_token`` (with its whole family),
    ``personal_access_token``, ``project_key`` or ``api_key``. ``reason`` is
    ``revocation_endpoint`` (``POST /oauth/revoke``), ``refresh_token_reuse``
    (a spent refresh token was presented), ``authorization_code_reuse`` (a spent
    authorization code was presented) or ``sandbox`` (``revoke()`` or
    ``/_sandbox/revoke``). ``time`` is on the wall clock.
    """

    kind: str
    reason: str
    time: float
    token: str = field(repr=False)


@dataclass
class _Token:
    scopes: tuple[str, ...]
    revoked: bool = False


@dataclass
class _ProjectKey:
    project: dict[str, str]
    revoked: bool = False


def _project(name: str) -> dict[str, str]:
    return {
        "id": codes.new_project_id(),
        "name": name,
        "slug": codes.slugify(name),
        "status": "active",
    }


def validate_scopes(scopes: Iterable[str], allowed: Iterable[str] = ALL_SCOPES) -> tuple[str, ...]:
    """Return ``scopes`` without duplicates, or raise ``ValueError`` naming one not ``allowed``."""
    allowed = tuple(allowed)
    result: list[str] = []
    for scope in scopes:
        if scope not in allowed:
            raise ValueError(f"Unknown scope: {scope}")
        if scope not in result:
            result.append(scope)
    return tuple(result)


class SandboxState:
    """Everything the sandbox remembers, guarded by one lock.

    Device-code expiry and poll-rate decisions use ``config.clock``,
    access-token expiry uses ``config.wall_clock``; only
    :meth:`wait_for_device_request` waits in real time.
    """

    def __init__(self, config: SandboxConfig) -> None:
        self._config = config
        self._clock = config.clock
        self._cond = threading.Condition()
        self._by_device_code: dict[str, DeviceRequest] = {}
        self._by_user_code: dict[str, DeviceRequest] = {}
        self._tokens: dict[str, _Token] = {}
        self._project_keys: dict[str, _ProjectKey] = {}
        self._api_keys: dict[str, bool] = {}  # key -> revoked
        self._grants = GrantBook(config.token_lifetime, config.wall_clock)
        self._revocations: list[Revocation] = []
        self._projects: list[dict[str, str]] = [_project(name) for name in DEMO_PROJECT_NAMES]
        self._seen: collections.deque[SeenRequest] = collections.deque(maxlen=MAX_REQUESTS_KEPT)
        self._decisions: collections.OrderedDict[str, DeviceStatus] = collections.OrderedDict()
        #: Authorization requests and codes of the authorization code grant (it keeps its own lock).
        self.authorization_codes = CodeBook(config.clock)
        # Workload identity (exchange.py): the key that signs test ID tokens, and the
        # request token its GitHub Actions ID-token endpoint wants.
        self.id_token_key = secrets.token_bytes(32)
        self.actions_request_token = "sbx_ghrt_" + secrets.token_hex(24)
        # DPoP (dpop.py): which tokens are bound to which key, proof ids seen, the nonce.
        self.dpop = DpopBook()

    @property
    def config(self) -> SandboxConfig:
        """The configuration this state follows."""
        return self._config

    def now(self) -> float:
        """The current time on the configured clock."""
        return self._clock()

    # Device authorization -------------------------------------------------

    def create_device_request(
        self, client_name: str, scopes: tuple[str, ...], client_id: str | None = None
    ) -> DeviceRequest:
        """Register a new device request and return a copy of it.

        ``client_id`` marks a request made on the standard endpoints.
        """
        with self._cond:
            now = self._clock()
            user_code = codes.new_user_code()
            while user_code in self._by_user_code:
                user_code = codes.new_user_code()
            request = DeviceRequest(
                device_code=codes.new_device_code(),
                user_code=user_code,
                client_name=client_name,
                scopes=scopes,
                created_at=now,
                expires_at=now + self._config.expires_in,
                interval=self._config.interval,
                form_token=codes.new_form_token(),
                client_id=client_id,
            )
            if self._config.auto_approve:
                request.status = DeviceStatus.APPROVED
            self._by_device_code[request.device_code] = request
            self._by_user_code[user_code] = request
            self._cond.notify_all()
            return self._copy(request)

    def poll(self, device_code: str, client_id: str | None = None) -> PollOutcome:
        """Answer one poll of the token endpoint for ``device_code``.

        ``client_id`` is ``None`` on the console endpoint. A device code only
        counts on the endpoint, and for the client, that it was issued for.
        """
        with self._cond:
            request = self._by_device_code.get(device_code)
            if (
                request is None
                or request.client_id != client_id
                or request.status is DeviceStatus.REDEEMED
            ):
                return PollOutcome(PollResult.INVALID_GRANT)
            now = self._clock()
            self._refresh(request, now)
            previous = request.poll_times[-1] if request.poll_times else None
            request.polls += 1
            request.poll_times.append(now)
            if request.status is DeviceStatus.DENIED:
                return PollOutcome(PollResult.DENIED)
            if request.status is DeviceStatus.EXPIRED:
                return PollOutcome(PollResult.EXPIRED)
            if self._should_slow_down(request, previous, now):
                request.interval += SLOW_DOWN_STEP
                return PollOutcome(PollResult.SLOW_DOWN)
            if request.status is DeviceStatus.PENDING:
                return PollOutcome(PollResult.PENDING)
            request.status = DeviceStatus.REDEEMED
            if request.client_id is not None:
                tokens = self._grants.grant(request.client_id, request.scopes)
                return PollOutcome(PollResult.APPROVED, tokens.access_token, tokens.scopes, tokens)
            token = self._issue_token(request.scopes)
            return PollOutcome(PollResult.APPROVED, access_token=token, scopes=request.scopes)

    def _should_slow_down(self, request: DeviceRequest, previous: float | None, now: float) -> bool:
        # The console never says slow_down; the standard endpoints always may.
        if self._config.dialect != "rfc8628" and request.client_id is None:
            return False
        if request.polls <= self._config.slow_down_polls:
            return True
        return previous is not None and now - previous < request.interval

    def _refresh(self, request: DeviceRequest, now: float) -> None:
        # A decision already made (denied) or used (redeemed) outlives the deadline.
        live = (DeviceStatus.PENDING, DeviceStatus.APPROVED)
        if request.status in live and now >= request.expires_at:
            request.status = DeviceStatus.EXPIRED

    def _copy(self, request: DeviceRequest) -> DeviceRequest:
        return dataclasses.replace(request, poll_times=list(request.poll_times))

    def _lookup(self, user_code: str) -> DeviceRequest:
        canonical = codes.normalize_user_code(user_code)
        request = self._by_user_code.get(canonical) if canonical else None
        if request is None:
            raise UnknownCodeError(f"unknown user code: {user_code}")
        self._refresh(request, self._clock())
        return request

    def device_request(self, user_code: str) -> DeviceRequest:
        """Return a copy of the request with ``user_code`` (any case, dash optional)."""
        with self._cond:
            return self._copy(self._lookup(user_code))

    def decide(self, user_code: str, status: DeviceStatus) -> DeviceRequest:
        """Approve or deny a pending request; repeating the same decision is harmless."""
        if status not in (DeviceStatus.APPROVED, DeviceStatus.DENIED):
            raise ValueError(f"cannot decide {status.value}")
        with self._cond:
            request = self._lookup(user_code)
            if request.status is not status:
                if request.status is not DeviceStatus.PENDING:
                    raise NotPendingError(request.user_code, request.status)
                request.status = status
            return self._copy(request)

    def remember_decision(self, status: DeviceStatus) -> str:
        """Keep the outcome of a decision made on the verification page; return its result id.

        Only the browser that decided learns the id, so the outcome is shown
        to it alone; the oldest outcomes are forgotten first.
        """
        with self._cond:
            result_id = codes.new_result_id()
            self._decisions[result_id] = status
            while len(self._decisions) > MAX_DECISIONS_KEPT:
                self._decisions.popitem(last=False)
            return result_id

    def decision(self, result_id: str) -> DeviceStatus | None:
        """The outcome kept under ``result_id``, or ``None``."""
        with self._cond:
            return self._decisions.get(result_id)

    def expire(self, user_code: str) -> DeviceRequest:
        """Expire a request now, whatever the clock says; a redeemed code stays redeemed."""
        with self._cond:
            request = self._lookup(user_code)
            if request.status is not DeviceStatus.REDEEMED:
                request.status = DeviceStatus.EXPIRED
            return self._copy(request)

    def pending_user_codes(self) -> list[str]:
        """User codes of requests still waiting for a decision, oldest first."""
        with self._cond:
            now = self._clock()
            pending = []
            for request in self._by_user_code.values():
                self._refresh(request, now)
                if request.status is DeviceStatus.PENDING:
                    pending.append(request.user_code)
            return pending

    def wait_for_device_request(self, timeout: float) -> str:
        """Block until a device request not returned before exists; return its user code.

        Requests are returned once each, oldest first, whatever their state
        (with auto-approve they are approved from the start). Raises
        ``TimeoutError`` after ``timeout`` real seconds.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for request in self._by_user_code.values():
                    if not request.announced:
                        request.announced = True
                        return request.user_code
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no new device request within {timeout} s")
                self._cond.wait(remaining)

    # Credentials ----------------------------------------------------------

    def _issue_token(self, scopes: tuple[str, ...]) -> str:
        token = codes.new_personal_access_token()
        self._tokens[token] = _Token(scopes=scopes)
        return token

    def issue_token(self, scopes: Iterable[str]) -> str:
        """Issue a personal access token with ``scopes``; ``ValueError`` on an unknown scope."""
        checked = validate_scopes(scopes)
        with self._cond:
            return self._issue_token(checked)

    def issue_project_key(self, name: str) -> tuple[str, dict[str, str]]:
        """Create a project called ``name`` and a key for it; return both."""
        project = _project(name)
        with self._cond:
            key = codes.new_project_key()
            self._project_keys[key] = _ProjectKey(project=project)
            self._projects.append(project)
            return key, dict(project)

    def issue_api_key(self) -> str:
        """Issue a valid inference API key."""
        with self._cond:
            key = codes.new_api_key()
            self._api_keys[key] = False
            return key

    def api_key_is_valid(self, key: str) -> bool:
        """Whether ``key`` is an inference API key issued here and not revoked."""
        with self._cond:
            return self._api_keys.get(key) is False

    def revoke(self, credential: str) -> None:
        """Make any credential the sandbox issued invalid; ``UnknownCredentialError`` otherwise.

        A refresh token takes every token of its grant with it.
        """
        with self._cond:
            record = self._tokens.get(credential) or self._project_keys.get(credential)
            if record is not None:
                kind = "personal_access_token" if credential in self._tokens else "project_key"
                if not record.revoked:
                    record.revoked = True
                    self._note_revocation(kind, "sandbox", credential)
            elif credential in self._api_keys:
                if not self._api_keys[credential]:
                    self._api_keys[credential] = True
                    self._note_revocation("api_key", "sandbox", credential)
            elif self._grants.kind(credential) is not None:
                kind = self._grants.revoke(credential)
                if kind is not None:
                    self._note_revocation(kind, "sandbox", credential)
            else:
                raise UnknownCredentialError("the sandbox did not issue this credential")

    def _note_revocation(self, kind: str, reason: str, token: str) -> None:
        self._revocations.append(Revocation(kind, reason, self._config.wall_clock(), token))

    def revocations(self) -> list[Revocation]:
        """Every revocation so far, oldest first."""
        with self._cond:
            return list(self._revocations)

    def token_scopes(self, token: str) -> tuple[str, ...] | None:
        """Scopes of a valid access token, or ``None`` if it is not one.

        Valid means a personal access token not revoked, or a standard-mode
        access token neither expired nor revoked.
        """
        with self._cond:
            record = self._tokens.get(token)
            if record is None:
                return self._grants.access_scopes(token)
            if record.revoked:
                return None
            return record.scopes

    # Standard-mode tokens -------------------------------------------------

    def refresh(
        self, refresh_token: str, client_id: str, scopes: tuple[str, ...] | None = None
    ) -> TokenSet:
        """Rotate ``refresh_token``; raises ``RefreshRefusedError`` (see :mod:`grants`)."""
        with self._cond:
            try:
                return self._grants.refresh(refresh_token, client_id, scopes)
            except RefreshRefusedError as exc:
                if exc.reuse:
                    self._note_revocation("refresh_token", "refresh_token_reuse", refresh_token)
                raise

    def grant_tokens(self, client_id: str, scopes: tuple[str, ...]) -> TokenSet:
        """Start a grant family for an approved authorization code and return its first tokens."""
        with self._cond:
            return self._grants.grant(client_id, scopes)

    def revoke_tokens(self, tokens: Iterable[str], reason: str) -> None:
        """Revoke standard-mode ``tokens`` (a reused authorization code's), noting ``reason``."""
        with self._cond:
            for token in tokens:
                revoked = self._grants.revoke(token)
                if revoked is not None:
                    self._note_revocation(revoked, reason, token)

    def issue_exchanged_token(self, client_id: str, scopes: tuple[str, ...]) -> TokenSet:
        """An access token for a token exchange (RFC 8693): its own grant, no refresh token."""
        with self._cond:
            return self._grants.grant(client_id, tuple(s for s in scopes if s != OFFLINE_ACCESS))

    def revoke_oauth_token(self, token: str, client_id: str) -> None:
        """RFC 7009 revocation by ``client_id``; unknown tokens are ignored.

        Raises ``WrongClientError`` for a token issued to another client.
        """
        with self._cond:
            kind = self._grants.revoke(token, client_id)
            if kind is not None:
                self._note_revocation(kind, "revocation_endpoint", token)

    def refresh_token_is_active(self, token: str) -> bool:
        """Whether ``token`` is a refresh token that could be spent now."""
        with self._cond:
            return self._grants.refresh_is_active(token)

    def project_for_key(self, key: str) -> dict[str, str] | None:
        """The project of a valid project access key, or ``None`` if it is not one."""
        with self._cond:
            record = self._project_keys.get(key)
            if record is None or record.revoked:
                return None
            return dict(record.project)

    def projects(self) -> list[dict[str, str]]:
        """Every project of the signed-in user."""
        with self._cond:
            return [dict(project) for project in self._projects]

    # Request log ----------------------------------------------------------

    def record(self, request: SeenRequest) -> None:
        """Remember a received request."""
        with self._cond:
            self._seen.append(request)

    def requests_seen(self) -> list[SeenRequest]:
        """The requests received so far, oldest first."""
        with self._cond:
            return list(self._seen)

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        with self._cond:
            self._seen.clear()
