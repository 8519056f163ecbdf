"""The ``device`` authenticator: OAuth 2.0 Device Authorization Grant (RFC 8628).

It runs against the Skytells console, or against any standard OAuth 2.0 /
OpenID Connect server chosen with ``--issuer`` (or ``SKYTELLS_ISSUER``), found
through its metadata. Those options, like ``--qr`` and ``--no-browser``, are
this method's own: another method refuses them.

Every device flow starts in :func:`start`, which reports the
``authorization_pending`` event to ``LoginContext.events`` when a caller
listens (``login --json``): the console's dialects and standard providers
alike. A flow can also be split in two (``login --request``, then ``login
--check``): :func:`pending_login` is what is kept in between, and
:func:`check_pending` polls it again.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from skytells.config.settings import ENV_CLIENT_ID, ENV_ISSUER
from skytells.credentials.model import Credential, PendingLogin
from skytells.errors import UsageError
from skytells.login.base import Authenticator, LoginContext, LoginOption
from skytells.safety.sanitize import terminal_safe
from skytells.terminal.ui import Terminal

if TYPE_CHECKING:
    from skytells.net.protocol.device_grant import DeviceAuthorization, DeviceGrantClient, PollResult


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
    import io

    import segno

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


def wants_browser(login: LoginContext) -> bool:
    """A browser is opened only for a person at a terminal who did not pass --no-browser."""
    terminal = login.terminal
    return not login.options.get("no_browser") and terminal.can_prompt and terminal.animate


def issuer_url(text: str, origin: str) -> str | None:
    """``--issuer`` or ``SKYTELLS_ISSUER`` read by the one URL rule (UsageError naming ``origin``); None when blank."""
    from skytells.safety.urls import parse_service_url

    return parse_service_url(text.strip(), origin).text if text.strip() else None


def endpoint_url(text: str, origin: str) -> str | None:
    """``--device-authorization-endpoint`` read by the one URL rule (UsageError naming ``origin``); None when blank."""
    from skytells.safety.urls import parse_service_url

    return parse_service_url(text.strip(), origin, endpoint=True).text if text.strip() else None


def client_id(text: str, origin: str) -> str | None:
    """``--client-id`` or ``SKYTELLS_CLIENT_ID`` without surrounding blanks; None when blank."""
    return text.strip() or None


def on_standard_server(login: LoginContext) -> LoginContext:
    """``login`` pointed at the standard server chosen by ``--issuer``, found through its metadata.

    Unchanged without ``--issuer``, or when the caller already chose a
    server (``login.oauth``). A missing client id is a UsageError, before any request.
    """
    issuer = login.options.get("issuer")
    device_endpoint = login.options.get("device_authorization_endpoint")
    if device_endpoint and not issuer and login.oauth is None:
        raise UsageError("--device-authorization-endpoint is for a standard server chosen with --issuer.",
                         hint=f"Pass --issuer too (or set {ENV_ISSUER}).")
    if login.oauth is not None or not issuer:
        return login
    client = login.options.get("client_id")
    if not client:
        raise UsageError("--issuer needs a client id.", hint=f"Pass --client-id or set {ENV_CLIENT_ID}.")
    from skytells.net.protocol.oauth import DEVICE_ENDPOINT_SETTING, OAuthClient, discover
    from skytells.safety.urls import parse_service_url

    with login.terminal.activity("Reading the authorization server's metadata..."):
        metadata = discover(issuer)
    if device_endpoint:
        metadata = dataclasses.replace(metadata, device_authorization_endpoint=parse_service_url(
            device_endpoint, DEVICE_ENDPOINT_SETTING, endpoint=True))
    oauth = OAuthClient(metadata, client)
    return dataclasses.replace(login, oauth=oauth, issuer=oauth.metadata.issuer, client_id=client)


def iso_utc(moment_ms: int | None) -> str | None:
    """An epoch-milliseconds moment as ISO 8601 UTC (``2025-01-31T12:00:00Z``); None stays None."""
    if moment_ms is None:
        return None
    import datetime

    moment = datetime.datetime.fromtimestamp(moment_ms / 1000, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _number(seconds: float) -> float | int:
    return int(seconds) if float(seconds).is_integer() else seconds


def pending_event(authorization: DeviceAuthorization, expires_at_ms: int) -> dict[str, Any]:
    """The ``authorization_pending`` event: what a person needs to approve, never the device code."""
    event: dict[str, Any] = {"event": "authorization_pending", "user_code": authorization.user_code,
                             "verification_uri": authorization.verification_uri}
    if authorization.verification_uri_complete:
        event["verification_uri_complete"] = authorization.verification_uri_complete
    event["expires_at"] = iso_utc(expires_at_ms)
    event["interval"] = _number(authorization.interval)
    return event


def authenticated_event(credential: Credential, profile: str) -> dict[str, Any]:
    """The ``authenticated`` event: the login's outcome, never the token."""
    return {"event": "authenticated", "profile": profile, "method": credential.method,
            "scopes": list(credential.scopes or ()), "expires_at": iso_utc(credential.expires_at)}


def start(login: LoginContext) -> tuple[LoginContext, DeviceAuthorization, int]:
    """Start a device authorization: the one place every device flow begins.

    Returns ``login`` pointed at the server in use (see
    :func:`on_standard_server`), the server's answer and when the code
    expires (epoch ms). The ``authorization_pending`` event goes to
    ``login.events`` when set.
    """
    from skytells.credentials.model import now_ms

    login = on_standard_server(login)
    with login.terminal.activity("Initiating device authorization..."):
        authorization = login.device_api.request_device_code(login.client_name, login.scopes)
    expires_at = now_ms() + int(authorization.expires_in * 1000)
    if login.events is not None:
        login.events(pending_event(authorization, expires_at))
    return login, authorization, expires_at


def show_authorization(login: LoginContext, authorization: DeviceAuthorization, *, open_browser: bool) -> None:
    """Tell the person the code and where to approve it (and open a browser when wanted).

    With ``-q`` and a listener of the events (``login --json``), the events carry it alone.
    """
    from skytells.terminal import browser

    terminal = login.terminal
    if terminal.quiet and login.events is not None:
        return
    uri = terminal_safe(authorization.verification_uri, 300)
    target = authorization.verification_uri_complete or authorization.verification_uri
    terminal.line()
    if login.options.get("qr") and browser.safe_to_open(target):
        show_qr(terminal, target)
    terminal.line(f"  Your device code is: {terminal_safe(authorization.user_code, 40)}")
    terminal.line()
    terminal.line("  Open this URL in your browser to authorize:")
    terminal.line(f"  {uri}")
    terminal.line()
    if not browser.safe_to_open(target):
        terminal.warning("Not opening the browser: the server sent a URL that is not plain https.")
    elif open_browser and wants_browser(login) and browser.has_display() and not browser.open_browser(target):
        terminal.line("  (Could not open a browser; open the URL above yourself.)")


def credential_from(result: PollResult, *, server: str, scopes: tuple[str, ...], issuer: str | None,
                    client_id: str | None) -> Credential:
    """The credential an approved poll brings."""
    from skytells.credentials.model import now_ms
    from skytells.safety.values import expiry_ms

    assert result.access_token is not None  # guaranteed for APPROVED
    return Credential(
        token=result.access_token,
        method=DeviceAuthenticator.name,
        host=server,
        scopes=result.scopes if result.scopes is not None else scopes,
        token_type=result.token_type,
        expires_at=expiry_ms(result.expires_in, now_ms()),
        refresh_token=result.refresh_token,
        issuer=issuer,
        client_id=client_id,
    )


# -- a device flow in two steps: login --request, then login --check ------------------------------------------


def pending_login(login: LoginContext, authorization: DeviceAuthorization, expires_at: int) -> PendingLogin:
    """What ``login --request`` keeps to poll ``authorization`` later; ServerError if the answer cannot be kept."""
    from skytells.credentials.model import now_ms
    from skytells.errors import ServerError
    from skytells.safety.values import BadValue

    requested_at = min(now_ms(), expires_at - 1)
    token_endpoint = getattr(getattr(login.oauth, "metadata", None), "token_endpoint", None)
    try:
        return PendingLogin(
            device_code=authorization.device_code, user_code=authorization.user_code,
            verification_uri=authorization.verification_uri,
            verification_uri_complete=authorization.verification_uri_complete,
            server=login.server, scopes=login.scopes, scopes_requested=login.scopes_requested,
            interval=authorization.interval, requested_at=requested_at, expires_at=expires_at,
            not_before=requested_at + int(authorization.interval * 1000),
            issuer=login.issuer, client_id=login.client_id,
            token_endpoint=None if token_endpoint is None else str(token_endpoint))
    except BadValue as problem:
        raise ServerError(f"{login.device_api.host} started a device authorization the CLI cannot keep "
                          f"(the pending login {problem}).", hint="Run skytells login without --request.") from None


def authorization_of(pending: PendingLogin) -> DeviceAuthorization:
    """``pending`` as the device authorization the poller knows."""
    from skytells.net.protocol.device_grant import DeviceAuthorization

    return DeviceAuthorization(device_code=pending.device_code, user_code=pending.user_code,
                               verification_uri=pending.verification_uri,
                               verification_uri_complete=pending.verification_uri_complete,
                               expires_in=pending.lifetime, interval=pending.interval)


def grant_client(pending: PendingLogin, console: Callable[[str], DeviceGrantClient]) -> DeviceGrantClient:
    """Where ``pending`` is polled: its standard server's token endpoint, else the console it was started at."""
    if not pending.issuer:
        return console(pending.server)
    from skytells.net.protocol.oauth import OAuthClient, ServerMetadata
    from skytells.safety.urls import parse_service_url

    assert pending.token_endpoint and pending.client_id  # PendingLogin keeps the three together
    metadata = ServerMetadata(issuer=parse_service_url(pending.issuer, "the pending login's issuer").text,
                              device_authorization_endpoint=None,
                              token_endpoint=parse_service_url(pending.token_endpoint,
                                                               "the pending login's token_endpoint", endpoint=True))
    return OAuthClient(metadata, pending.client_id)


def check_pending(pending: PendingLogin, api: DeviceGrantClient, *, keep_waiting: bool = False,
                  clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                  on_tick: Callable[[float], None] = lambda _left: None,
                  on_problem: Callable[[str], None] = lambda _text: None) -> tuple[PollResult | None, PendingLogin]:
    """Poll ``pending`` once, no sooner than its next poll is due (waiting at most one interval).

    Returns the approved result, or None with ``pending`` as it stands after
    the poll (the interval a ``slow_down`` grew, the next poll's time).
    ``keep_waiting`` polls on until approved (through ``DevicePoller``).
    Raises AuthError when denied or expired, NetworkError when the server
    could not be asked. ``clock`` is the wall clock, in seconds: the pending
    login's times outlive this process.
    """
    from skytells.net.protocol.device_grant import PollOutcome
    from skytells.net.protocol.device_poller import DevicePoller, expired_error, next_interval

    authorization = authorization_of(pending)
    now_ms = clock() * 1000
    if now_ms >= pending.expires_at:
        raise expired_error(pending.lifetime)
    poller = DevicePoller(api, clock=clock, sleep=sleep)
    due_in = (pending.not_before - now_ms) / 1000
    if keep_waiting:
        result = poller.wait_for_token(authorization, started_at=pending.requested_at / 1000, first_wait=due_in,
                                       on_tick=on_tick, on_problem=on_problem)
        return result, pending
    result = poller.poll_once(authorization, wait=due_in)
    if result.outcome is PollOutcome.APPROVED:
        return result, pending
    interval = next_interval(pending.interval, result.outcome)
    return None, dataclasses.replace(pending, interval=interval, not_before=int(clock() * 1000 + interval * 1000))


class DeviceAuthenticator(Authenticator):
    """Sign in through the browser with a one-time code."""

    name = "device"
    description = "Approve a one-time code in your browser (OAuth 2.0 device flow, the default)"
    options = (
        LoginOption("--no-browser", "Print the authorization URL without opening a browser.", is_switch=True),
        LoginOption("--qr", "Also show the URL as a QR code, to approve from a phone.", is_switch=True),
        LoginOption("--issuer", "Log in with any standard OAuth 2.0 / OpenID Connect server, found through its "
                    f"metadata (default: ${ENV_ISSUER}).", metavar="URL", env=ENV_ISSUER, parse=issuer_url),
        LoginOption("--client-id", f"The OAuth client id registered for this CLI at --issuer "
                    f"(default: ${ENV_CLIENT_ID}).", metavar="ID", env=ENV_CLIENT_ID, parse=client_id),
        LoginOption("--device-authorization-endpoint", "With --issuer: the server's device authorization "
                    "endpoint, for a server whose metadata names none.", metavar="URL", parse=endpoint_url),
        LoginOption("--json", "Report the login on stdout as JSON lines, one event each (docs/automation.md).",
                    is_switch=True),
        LoginOption("--request", "Start a login and return at once, printing its code and URL as JSON; "
                    "finish it with --check.", is_switch=True),
        LoginOption("--check", "Poll the login started by --request once: exit 0 when approved (the token is "
                    "saved), 75 while pending, 4 when denied or expired.", is_switch=True),
        LoginOption("--wait", "With --check: keep polling until the login is approved, denied or expired.",
                    is_switch=True),
    )

    def authenticate(self, login: LoginContext) -> Credential:
        from skytells.net.protocol.device_poller import DevicePoller

        login, authorization, _expires_at = start(login)
        started_at = login.clock()
        show_authorization(login, authorization, open_browser=True)
        terminal = login.terminal
        poller = DevicePoller(login.device_api, clock=login.clock, sleep=login.sleep)
        with terminal.activity("Waiting for authorization...") as update:
            result = poller.wait_for_token(
                authorization,
                started_at=started_at,
                on_tick=lambda left: update(f"Waiting for authorization... ({format_time_left(left)} left)"),
                on_problem=terminal.warning,
            )
        return credential_from(result, server=login.server, scopes=login.scopes, issuer=login.issuer,
                               client_id=login.client_id)
