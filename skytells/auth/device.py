"""The ``device`` authenticator: OAuth 2.0 Device Authorization Grant (RFC 8628).

It runs against the Skytells console, or against any standard OAuth 2.0 /
OpenID Connect server chosen with ``--issuer`` (or ``SKYTELLS_ISSUER``), found
through its metadata. Those options, like ``--qr`` and ``--no-browser``, are
this method's own: another method refuses them.
"""

from __future__ import annotations

import dataclasses

from skytells.auth.base import Authenticator, LoginContext, LoginOption
from skytells.credentials import Credential
from skytells.errors import UsageError
from skytells.sanitize import terminal_safe
from skytells.settings import ENV_CLIENT_ID, ENV_ISSUER
from skytells.ui import Terminal


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
    from skytells.urls import parse_service_url

    return parse_service_url(text.strip(), origin).text if text.strip() else None


def client_id(text: str, origin: str) -> str | None:
    """``--client-id`` or ``SKYTELLS_CLIENT_ID`` without surrounding blanks; None when blank."""
    return text.strip() or None


def on_standard_server(login: LoginContext) -> LoginContext:
    """``login`` pointed at the standard server chosen by ``--issuer``, found through its metadata.

    Unchanged without ``--issuer``, or when the caller already chose a
    server (``login.oauth``). A missing client id is a UsageError, before any request.
    """
    issuer = login.options.get("issuer")
    if login.oauth is not None or not issuer:
        return login
    client = login.options.get("client_id")
    if not client:
        raise UsageError("--issuer needs a client id.", hint=f"Pass --client-id or set {ENV_CLIENT_ID}.")
    from skytells.protocol.oauth import OAuthClient, discover

    with login.terminal.activity("Reading the authorization server's metadata..."):
        oauth = OAuthClient(discover(issuer), client)
    return dataclasses.replace(login, oauth=oauth, issuer=oauth.metadata.issuer, client_id=client)


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
    )

    def authenticate(self, login: LoginContext) -> Credential:
        from skytells import browser
        from skytells.protocol.device_poller import DevicePoller

        login = on_standard_server(login)
        terminal = login.terminal
        with terminal.activity("Initiating device authorization..."):
            authorization = login.device_api.request_device_code(login.client_name, login.scopes)
        started_at = login.clock()
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
        elif wants_browser(login) and browser.has_display() and not browser.open_browser(target):
            terminal.line("  (Could not open a browser; open the URL above yourself.)")

        poller = DevicePoller(login.device_api, clock=login.clock, sleep=login.sleep)
        with terminal.activity("Waiting for authorization...") as update:
            result = poller.wait_for_token(
                authorization,
                started_at=started_at,
                on_tick=lambda left: update(f"Waiting for authorization... ({format_time_left(left)} left)"),
                on_problem=terminal.warning,
            )
        assert result.access_token is not None  # guaranteed for APPROVED
        from skytells.credentials import now_ms
        from skytells.values import expiry_ms

        return Credential(
            token=result.access_token,
            method=self.name,
            host=login.server,
            scopes=result.scopes if result.scopes is not None else login.scopes,
            token_type=result.token_type,
            expires_at=expiry_ms(result.expires_in, now_ms()),
            refresh_token=result.refresh_token,
            issuer=login.issuer,
            client_id=login.client_id,
        )
