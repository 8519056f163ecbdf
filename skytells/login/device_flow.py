"""The ``device`` login method's flow: OAuth 2.0 Device Authorization Grant (RFC 8628).

:class:`DeviceLogin` is a two-step method: ``start`` asks the server for a
code, shows it and returns the pending login (its state is a
:class:`DeviceState`); ``resume`` polls the token endpoint, once or until the
person approves. ``run`` does both in one process, opening the browser when a
person is at the terminal. The server is the Skytells console, or the standard
OAuth 2.0 / OpenID Connect server chosen with ``--issuer`` and found through
its metadata (:func:`standard_server`).
"""

from __future__ import annotations

import dataclasses
import io
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import segno

from skytells.credentials.model import Credential, PendingLogin, now_ms
from skytells.errors import ServerError, StoreError, UsageError
from skytells.login.device_options import NAME
from skytells.login.interface import JsonObject, LoginMethod, LoginRun, OptionValues, iso_utc, text_option
from skytells.login.standard_options import ENV_CLIENT_ID, ENV_ISSUER
from skytells.net.protocol.device_grant import DeviceAuthorization, DeviceGrantClient, PollOutcome, PollResult
from skytells.net.protocol.device_poller import DevicePoller, expired_error, next_interval
from skytells.net.protocol.dpop import DPoPKey
from skytells.net.protocol.oauth import (
    DEVICE_ENDPOINT_SETTING,
    OAuthClient,
    ServerMetadata,
    discover,
    dpop_key_for,
    kept_key,
)
from skytells.safety import values
from skytells.safety.sanitize import terminal_safe
from skytells.safety.urls import ServiceUrl, parse_service_url
from skytells.terminal import browser
from skytells.terminal.ui import Terminal

#: The longest device code kept (what ``skytells.net.protocol.device_grant`` accepts from a server).
MAX_DEVICE_CODE = 4096
#: The longest polling interval kept: ``slow_down`` grows it by 5 s each time, never past this.
MAX_INTERVAL = 3600.0


def format_time_left(seconds: float) -> str:
    """``14:05`` style minutes and seconds."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def show_qr(terminal: Terminal, url: str) -> None:
    """Print ``url`` as a QR code made of block characters; the code and URL follow it as text.

    They come after it so that on an 80x24 screen the QR code scrolls away
    first and the code to type stays in sight. A URL too long for any QR code
    gets a one-line note instead: the login goes on with the URL printed below.
    """
    rendering = io.StringIO()
    try:
        symbol = segno.make(url, error="m", micro=False)
    except segno.DataOverflowError:
        terminal.line("  (The authorization URL is too long for a QR code; open the URL below instead.)")
        terminal.line()
        return
    symbol.terminal(out=rendering, compact=True, border=2)
    terminal.line("  Scan this QR code with your phone, or use the code below:")
    for row in rendering.getvalue().splitlines():
        terminal.line("  " + row)
    terminal.line()


def _seconds_fact(value: object) -> float:
    """A polling interval: a number of seconds from 1 to 3600."""
    number = values.real(value)
    if number is None or not 1 <= number <= MAX_INTERVAL:
        raise values.BadValue("is not a number of seconds from 1 to 3600")
    return number


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise values.BadValue("is not true or false")
    return value


#: Each field of the state, with its check; the ones in _REQUIRED must be there.
_CHECKS: dict[str, Callable[[object], Any]] = {
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
    "dpop_key": values.printable_token,
}
_REQUIRED = ("device_code", "user_code", "verification_uri", "server", "scopes", "interval",
             "requested_at", "expires_at", "not_before")


@dataclass(frozen=True)
class DeviceState:
    """What a device login keeps between ``login --request`` and ``login --check``: the pending login's state.

    ``device_code`` redeems the token once approved: the store keeps it with
    the profile's secrets and redaction masks it. ``server`` is the console
    the token will be for; ``issuer``, ``client_id`` and ``token_endpoint``
    are set together for a standard provider (``--issuer``). Times are epoch
    milliseconds: ``not_before`` is the earliest moment the token endpoint may
    be polled again.
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
    #: The key the tokens will be bound to (DPoP), kept until the token request: a secret, redacted like one.
    dpop_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        """Refuse a state that could not be stored and read back (BadValue completing "the pending login ...")."""
        for name, check in _CHECKS.items():
            value = getattr(self, name)
            if value is None and name not in _REQUIRED:
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

    @property
    def authorization(self) -> DeviceAuthorization:
        """The state as the device authorization the poller knows."""
        return DeviceAuthorization(device_code=self.device_code, user_code=self.user_code,
                                   verification_uri=self.verification_uri,
                                   verification_uri_complete=self.verification_uri_complete,
                                   expires_in=self.lifetime, interval=self.interval)

    @classmethod
    def from_document(cls, data: Mapping[str, object]) -> DeviceState:
        """Read a stored state; BadValue (completing "the pending login ...") when it is not one."""
        unknown = sorted(set(data) - set(_CHECKS))
        if unknown:
            raise values.BadValue(f"has a field this version does not know ({terminal_safe(unknown[0], 40)!r})")
        missing = [name for name in _REQUIRED if data.get(name) is None]
        if missing:
            raise values.BadValue(f"lacks {missing[0]!r}")
        fields: dict[str, Any] = {name: value for name, value in data.items() if value is not None}
        return cls(**fields)  # __post_init__ checks each field's type and range

    def to_document(self) -> JsonObject:
        """The JSON object kept as the pending login's state (absent facts are left out)."""
        document: JsonObject = {}
        for name in _CHECKS:
            value = getattr(self, name)
            if value is not None:
                document[name] = list(value) if isinstance(value, tuple) else value
        return document


def _number(seconds: float) -> float | int:
    return int(seconds) if float(seconds).is_integer() else seconds


def pending_event(authorization: DeviceAuthorization, expires_at_ms: int) -> JsonObject:
    """The ``authorization_pending`` event: what a person needs to approve, never the device code.

    The code and URLs come from the server: they are made terminal-safe, as
    the program reading the event is told to show them to a person.
    """
    event: JsonObject = {"event": "authorization_pending",
                             "user_code": terminal_safe(authorization.user_code, 64),
                             "verification_uri": terminal_safe(authorization.verification_uri, 2048)}
    if authorization.verification_uri_complete:
        event["verification_uri_complete"] = terminal_safe(authorization.verification_uri_complete, 2048)
    event["expires_at"] = iso_utc(expires_at_ms)
    event["interval"] = _number(authorization.interval)
    return event


@dataclass(frozen=True)
class DeviceServer:
    """Where a device login runs: its grant client, and for a standard server its issuer and our client id."""

    client: DeviceGrantClient
    issuer: str | None = None
    client_id: str | None = None
    token_endpoint: str | None = None
    #: A standard server's metadata: the hosts it names may show the verification page.
    metadata: ServerMetadata | None = None
    #: The key the tokens are bound to when the server does DPoP (and ``--no-dpop`` was not given).
    dpop: DPoPKey | None = None


def standard_server(login: LoginRun, options: OptionValues) -> DeviceServer:
    """The server ``options`` choose: the standard one of ``--issuer`` (found through its metadata), else the console.

    A missing client id, or a device endpoint without an issuer, is a UsageError before any request.
    """
    issuer = text_option(options, "issuer")
    device_endpoint = text_option(options, "device_authorization_endpoint")
    client = text_option(options, "client_id")
    if client and not issuer:  # never silently ignored
        raise UsageError("--client-id works with --issuer only.", hint="Pass --issuer URL too, or drop --client-id.")
    if device_endpoint and not issuer:
        raise UsageError("--device-authorization-endpoint is for a standard server chosen with --issuer.",
                         hint=f"Pass --issuer too (or set {ENV_ISSUER}).")
    if not issuer:
        return DeviceServer(login.api)
    if not client:
        raise UsageError("--issuer needs a client id.", hint=f"Pass --client-id or set {ENV_CLIENT_ID}.")
    with login.terminal.activity("Reading the authorization server's metadata..."):
        metadata = discover(issuer)
    if device_endpoint:
        metadata = dataclasses.replace(metadata, device_authorization_endpoint=parse_service_url(
            device_endpoint, DEVICE_ENDPOINT_SETTING, endpoint=True))
    key = dpop_key_for(metadata, wanted=not options.get("no_dpop"))
    oauth = OAuthClient(metadata, client, dpop=key)
    return DeviceServer(oauth, issuer=oauth.metadata.issuer, client_id=client,
                        token_endpoint=str(oauth.metadata.token_endpoint), metadata=oauth.metadata, dpop=key)


def stored_server(login: LoginRun, state: DeviceState) -> DeviceServer:
    """Where ``state`` is polled: its standard server's token endpoint, else the console it was started at."""
    if not state.issuer:
        server = parse_service_url(state.server, "the pending login's server").text
        return DeviceServer(login.console_for(server))
    assert state.token_endpoint and state.client_id  # DeviceState keeps the three together
    metadata = ServerMetadata(issuer=parse_service_url(state.issuer, "the pending login's issuer").text,
                              device_authorization_endpoint=None,
                              token_endpoint=parse_service_url(state.token_endpoint,
                                                               "the pending login's token_endpoint", endpoint=True))
    try:
        key = DPoPKey.from_stored(state.dpop_key) if state.dpop_key else None
    except ValueError:
        raise StoreError("The stored pending login has a 'dpop_key' that cannot be read.",
                         hint="Run skytells login --request again.") from None
    return DeviceServer(OAuthClient(metadata, state.client_id, dpop=key), issuer=state.issuer,
                        client_id=state.client_id, token_endpoint=state.token_endpoint, dpop=key)


def _place(url: ServiceUrl) -> tuple[str, int]:
    """Where a URL leads: its host and port (the scheme's own when none is written)."""
    return url.host, url.port or (443 if url.scheme == "https" else 80)


def verification_places(login: LoginRun, server: DeviceServer) -> set[tuple[str, int]]:
    """The hosts whose pages may take the user code: the console's, or the issuer's and those its metadata names."""
    if server.metadata is None:
        return {_place(parse_service_url(login.server, "the console URL"))}
    metadata = server.metadata
    named = (metadata.device_authorization_endpoint, metadata.token_endpoint, metadata.revocation_endpoint,
             metadata.userinfo_endpoint, metadata.authorization_endpoint)
    return {_place(parse_service_url(metadata.issuer, "the issuer")), *(_place(url) for url in named if url)}


def check_verification_pages(login: LoginRun, server: DeviceServer, authorization: DeviceAuthorization) -> None:
    """The phishing guard: a verification URL on a host that is not the console's or the issuer's (or one
    the issuer's metadata names), or one that is not a plain https URL, is refused (ServerError) before
    anything is shown or kept."""
    places = verification_places(login, server)
    host = server.client.host
    for name in ("verification_uri", "verification_uri_complete"):
        text = getattr(authorization, name)
        if text is None:
            continue
        try:
            url = parse_service_url(text, name, endpoint=True)
        except UsageError:
            raise ServerError(f"{host} sent a {name} that is not a plain https URL; refusing the login, nothing "
                              "was shown.", hint="Check the server URL (--issuer or SKYTELLS_API_URL).") from None
        if _place(url) not in places:
            raise ServerError(f"{host} sent a {name} on another host ({terminal_safe(url.authority, 100)}); a code "
                              "is entered only at the server that issued it: refusing the login, nothing was shown.",
                              hint="Check the server URL (--issuer or SKYTELLS_API_URL).")


def requesting_host() -> str:
    """This machine's name, as the person is told where the code was requested."""
    return terminal_safe(socket.gethostname() or "this machine", 40)


def credential_from(result: PollResult, console: str, scopes: tuple[str, ...], server: DeviceServer) -> Credential:
    """The credential an approved poll brings, for ``console`` (the scopes asked for, unless the server says)."""
    assert result.access_token is not None  # guaranteed for APPROVED
    return Credential(
        token=result.access_token,
        method=NAME,
        host=console,
        scopes=result.scopes if result.scopes is not None else scopes,
        token_type=result.token_type,
        expires_at=values.expiry_ms(result.expires_in, now_ms()),
        refresh_token=result.refresh_token,
        issuer=server.issuer,
        client_id=server.client_id,
        dpop_key=kept_key(server.dpop, result.token_type),
    )


class DeviceLogin(LoginMethod):
    """The device flow, configured by the ``device`` loader."""

    def __init__(self, options: OptionValues) -> None:
        self.options = options

    # -- the steps --------------------------------------------------------------------------------------------

    def run(self, login: LoginRun) -> Credential:
        server = standard_server(login, self.options)
        authorization = self._request_code(login, server)
        started_at = login.clock()
        login.report(pending_event(authorization, int(login.wall_clock() * 1000 + authorization.expires_in * 1000)))
        self._show(login, authorization, open_browser=True)
        terminal = login.terminal
        poller = DevicePoller(server.client, clock=login.clock, sleep=login.sleep)
        with terminal.activity("Waiting for authorization...") as update:
            result = poller.wait_for_token(
                authorization,
                started_at=started_at,
                on_tick=lambda left: update(f"Waiting for authorization... ({format_time_left(left)} left)"),
                on_problem=terminal.warning,
            )
        return credential_from(result, login.server, login.scopes, server)

    def start(self, login: LoginRun) -> PendingLogin:
        server = standard_server(login, self.options)
        authorization = self._request_code(login, server)
        now = int(login.wall_clock() * 1000)
        expires_at = now + int(authorization.expires_in * 1000)
        state = self._state(login, authorization, server, requested_at=min(now, expires_at - 1),
                            expires_at=expires_at)
        return PendingLogin(method=NAME, state=state.to_document(), expires_at=expires_at,
                            event=pending_event(authorization, expires_at))

    def present(self, login: LoginRun, pending: PendingLogin) -> None:
        self._show(login, self._stored_state(pending).authorization, open_browser=False)

    def resume(self, login: LoginRun, pending: PendingLogin, *, wait: bool) -> Credential | PendingLogin:
        state = self._stored_state(pending)
        self._refuse_other_server(state)
        stored = stored_server(login, state)
        terminal = login.terminal
        with terminal.activity("Waiting for authorization..." if wait else "Checking the pending login...") \
                as update:
            result, after = check_state(
                state, stored.client, keep_waiting=wait, clock=login.wall_clock, sleep=login.sleep,
                on_problem=terminal.warning,
                on_tick=lambda left: update(f"Waiting for authorization... ({format_time_left(left)} left)"))
        if result is not None:
            return credential_from(result, state.server, state.scopes, stored)
        return PendingLogin(method=NAME, state=after.to_document(), expires_at=after.expires_at,
                            event=pending_event(after.authorization, after.expires_at))

    # -- how ------------------------------------------------------------------------------------------------

    @staticmethod
    def _request_code(login: LoginRun, server: DeviceServer) -> DeviceAuthorization:
        with login.terminal.activity("Initiating device authorization..."):
            authorization = server.client.request_device_code(login.client_name, login.scopes)
        check_verification_pages(login, server, authorization)
        return authorization

    @staticmethod
    def _state(login: LoginRun, authorization: DeviceAuthorization, server: DeviceServer, *, requested_at: int,
               expires_at: int) -> DeviceState:
        """What is kept to poll ``authorization`` later; ServerError if the server's answer cannot be kept."""
        try:
            return DeviceState(
                device_code=authorization.device_code, user_code=authorization.user_code,
                verification_uri=authorization.verification_uri,
                verification_uri_complete=authorization.verification_uri_complete,
                server=login.server, scopes=login.scopes, scopes_requested=login.scopes_requested,
                interval=authorization.interval, requested_at=requested_at, expires_at=expires_at,
                not_before=requested_at + int(authorization.interval * 1000),
                issuer=server.issuer, client_id=server.client_id, token_endpoint=server.token_endpoint,
                dpop_key=server.dpop.stored() if server.dpop else None)
        except values.BadValue as problem:
            raise ServerError(f"{server.client.host} started a device authorization the CLI cannot keep "
                              f"(the pending login {problem}).", hint="Run skytells login without --request.") \
                from None

    def _show(self, login: LoginRun, authorization: DeviceAuthorization, *, open_browser: bool) -> None:
        """Tell the person the code and where to approve it (and open a browser when wanted).

        With ``-q`` and a listener of the events (``login --json``), the events carry it alone.
        """
        terminal = login.terminal
        if terminal.quiet and login.events is not None:
            return
        uri = terminal_safe(authorization.verification_uri, 300)
        target = authorization.verification_uri_complete or authorization.verification_uri
        terminal.line()
        if self.options.get("qr") and browser.safe_to_open(target):
            show_qr(terminal, target)
        terminal.line(f"  Your device code is: {terminal_safe(authorization.user_code, 40)}")
        terminal.line(f"  Requested by `skytells login` on {requesting_host()}.")
        terminal.line("  Enter it only if you ran that command yourself, just now.")
        terminal.line()
        terminal.line("  Open this URL in your browser to authorize:")
        terminal.line(f"  {uri}")
        terminal.line()
        if not browser.safe_to_open(target):
            terminal.warning("Not opening the browser: the server sent a URL that is not plain https.")
        elif open_browser and self._wants_browser(terminal) and browser.has_display() \
                and not browser.open_browser(target):
            terminal.line("  (Could not open a browser; open the URL above yourself.)")

    def _wants_browser(self, terminal: Terminal) -> bool:
        """A browser is opened only for a person at a terminal who did not pass --no-browser."""
        return not self.options.get("no_browser") and terminal.can_prompt and terminal.animate

    @staticmethod
    def _stored_state(pending: PendingLogin) -> DeviceState:
        try:
            return DeviceState.from_document(pending.state)
        except values.BadValue as problem:
            raise StoreError(f"The stored pending login {problem}.", hint="Run skytells login --request again.") \
                from None

    def _refuse_other_server(self, state: DeviceState) -> None:
        """A server chosen now that is not the one the pending login was started with: a UsageError, not ignored."""
        issuer, client = text_option(self.options, "issuer"), text_option(self.options, "client_id")
        if (issuer and issuer != state.issuer) or (client and client != state.client_id):
            started = f"at {state.issuer}" if state.issuer else "at the Skytells console"
            raise UsageError(f"The pending login was started {started}; --issuer and --client-id "
                             f"(or {ENV_ISSUER} and {ENV_CLIENT_ID}) cannot change it.",
                             hint="Finish it without them, or start another with --request.")


def check_state(state: DeviceState, api: DeviceGrantClient, *, keep_waiting: bool, clock: Callable[[], float],
                sleep: Callable[[float], None], on_tick: Callable[[float], None] = lambda _left: None,
                on_problem: Callable[[str], None] = lambda _text: None) -> tuple[PollResult | None, DeviceState]:
    """Poll ``state`` once, no sooner than its next poll is due (waiting at most one interval).

    Returns the approved result, or None with the state as it stands after
    the poll (the interval a ``slow_down`` grew, never past
    :data:`MAX_INTERVAL`, and the next poll's time). ``keep_waiting`` polls
    on until approved (through ``DevicePoller``). Raises AuthError when denied
    or expired, NetworkError when the server could not be asked. ``clock`` is
    the wall clock, in seconds: the pending login's times outlive this process.
    """
    authorization = state.authorization
    now_ms = clock() * 1000
    if now_ms >= state.expires_at:
        raise expired_error(state.lifetime)
    poller = DevicePoller(api, clock=clock, sleep=sleep)
    due_in = (state.not_before - now_ms) / 1000
    if keep_waiting:
        result = poller.wait_for_token(authorization, started_at=state.requested_at / 1000, first_wait=due_in,
                                       on_tick=on_tick, on_problem=on_problem)
        return result, state
    result = poller.poll_once(authorization, wait=due_in)
    if result.outcome is PollOutcome.APPROVED:
        return result, state
    interval = min(next_interval(state.interval, result.outcome), MAX_INTERVAL)
    return None, dataclasses.replace(state, interval=interval, not_before=int(clock() * 1000 + interval * 1000))
