"""The ``browser`` login method's flow: authorization code with PKCE through a loopback redirect.

:class:`BrowserLogin` is a one-step method: a listener on 127.0.0.1 lives
only as long as this process, so there is no ``--request``/``--check``. It
reads the issuer's metadata, listens, sends the browser to the authorization
endpoint with ``state``, an S256 code challenge and (for OpenID Connect) a
``nonce``, waits for exactly one callback with that ``state`` (checking
``iss``, RFC 9207, when the server promises it), trades the code and the
verifier for tokens and answers the browser with a page that says whether
the terminal is done. The code, the verifier and the tokens are registered
for redaction and never shown.
"""

from __future__ import annotations

import hmac
import secrets
import threading

from skytells.credentials import Credential, now_ms
from skytells.errors import (
    AccessDeniedError,
    AuthError,
    ExpiredTokenError,
    NonInteractiveError,
    ServerError,
    SkytellsError,
    UsageError,
)
from skytells.login.browser_options import DEFAULT_TIMEOUT, NAME
from skytells.login.interface import LoginMethod, LoginRun, OptionValues, iso_utc
from skytells.login.loopback import Callback, LoopbackListener, Page
from skytells.login.standard_options import ENV_CLIENT_ID, ENV_ISSUER
from skytells.net.protocol.oauth import (
    OPENID,
    PKCE_METHOD,
    OAuthClient,
    ServerMetadata,
    discover,
    dpop_key_for,
    kept_key,
    new_code_verifier,
    s256_challenge,
)
from skytells.safety import redaction, values
from skytells.safety.sanitize import terminal_safe
from skytells.terminal import browser

#: Seconds between two looks at the listener (on ``login.sleep``, so tests need not wait).
TICK = 0.1

SIGNED_IN = Page(200, "Signed in", "skytells is signed in. You can close this tab: the terminal can be used again.")
CANCELLED = Page(200, "Sign-in cancelled", "The sign-in was not allowed, so nothing was saved. You can close "
                                           "this tab: the terminal can be used again.")
FAILED = Page(400, "Sign-in failed", "The sign-in did not complete and nothing was saved; the terminal says why. "
                                     "You can close this tab: the terminal can be used again.")
STRANGER = Page(400, "Not this sign-in", "This page does not belong to the sign-in the terminal was waiting for "
                                         "(an old tab, or another program), so nothing was saved and the terminal "
                                         "stopped waiting. Run skytells login again there.")

AGAIN = f"Run skytells login --method {NAME} again."


def format_time_left(seconds: float) -> str:
    """``4:05`` style minutes and seconds."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


class _Opener:
    """Asks the system's browser to open a URL in a thread: a browser command may run until it is closed."""

    def __init__(self, url: str) -> None:
        self.result: bool | None = None
        thread = threading.Thread(target=self._open, args=(url,), name="skytells-browser", daemon=True)
        thread.start()

    def _open(self, url: str) -> None:
        self.result = browser.open_browser(url)


class BrowserLogin(LoginMethod):
    """The browser login, configured by the ``browser`` loader."""

    def __init__(self, options: OptionValues) -> None:
        self.options = options

    def run(self, login: LoginRun) -> Credential:
        issuer, client_id = self._server_choice()
        terminal = login.terminal
        if terminal.non_interactive:
            raise NonInteractiveError("The browser login waits for a person in a browser; this run is "
                                      "non-interactive (--non-interactive or SKYTELLS_NONINTERACTIVE).",
                                      hint="Use skytells login --method device --request, which returns at once.")
        no_browser = bool(self.options.get("no_browser"))
        problem = None if no_browser else browser.local_browser_problem()
        if problem:
            raise UsageError(f"No browser on this machine can open the sign-in page: {problem}.",
                             hint="Use skytells login --method device, which works from anywhere; or pass "
                                  "--no-browser and open the URL in a browser on this machine.")
        with terminal.activity("Reading the authorization server's metadata..."):
            metadata = discover(issuer)
        refuse_without_s256(metadata)
        key = dpop_key_for(metadata, wanted=not self.options.get("no_dpop"))
        client = OAuthClient(metadata, client_id, dpop=key)
        verifier = new_code_verifier()
        redaction.register(verifier)
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32) if OPENID in metadata.extra_scopes() else None
        chosen_timeout, chosen_port = self.options.get("timeout"), self.options.get("port")  # ints, by their parse
        timeout = float(chosen_timeout if isinstance(chosen_timeout, int) else DEFAULT_TIMEOUT)
        with LoopbackListener(chosen_port if isinstance(chosen_port, int) else 0, clock=login.clock) as listener:
            url = client.authorization_url(redirect_uri=listener.redirect_uri, scopes=login.scopes, state=state,
                                           code_challenge=s256_challenge(verifier), nonce=nonce).text
            if not browser.safe_to_open(url):  # the one URL rule, as for every URL the CLI opens
                raise ServerError(f"{client.host}'s authorization URL is not one the CLI opens.")
            deadline = login.clock() + timeout
            login.report({"event": "authorization_url", "url": url, "redirect_uri": listener.redirect_uri,
                          "expires_at": iso_utc(int((login.wall_clock() + timeout) * 1000))})
            self._show(login, url, listener.redirect_uri, client.host, no_browser=no_browser)
            opener = None if no_browser else _Opener(url)
            callback = self._wait(login, listener, deadline, timeout, opener, url)
            try:
                code = check_callback(callback, state, metadata)
                tokens = client.exchange_code(code, verifier, listener.redirect_uri)
                credential = Credential(token=tokens.access_token, method=NAME, host=login.server,
                                        scopes=tokens.scopes if tokens.scopes is not None else login.scopes,
                                        token_type=tokens.token_type,
                                        expires_at=values.expiry_ms(tokens.expires_in, now_ms()),
                                        refresh_token=tokens.refresh_token, issuer=metadata.issuer,
                                        client_id=client_id, dpop_key=kept_key(key, tokens.token_type))
            except AccessDeniedError:
                callback.answer(CANCELLED)
                raise
            except (SkytellsError, KeyboardInterrupt):
                callback.answer(FAILED)
                raise
            callback.answer(SIGNED_IN)
        return credential

    # -- how ------------------------------------------------------------------------------------------------

    def _server_choice(self) -> tuple[str, str]:
        """The issuer and client id; UsageError before anything is opened when either is missing."""
        issuer, client_id = self.options.get("issuer"), self.options.get("client_id")
        if not issuer:
            raise UsageError(f"The Skytells console documents only the device flow; the {NAME} login needs a "
                             f"standard OAuth 2.0 / OpenID Connect server (--issuer URL, or {ENV_ISSUER}).",
                             hint="Run skytells login --method device, or pass --issuer and --client-id.")
        if not client_id:
            raise UsageError("--issuer needs a client id.", hint=f"Pass --client-id or set {ENV_CLIENT_ID}.")
        return str(issuer), str(client_id)

    @staticmethod
    def _show(login: LoginRun, url: str, redirect_uri: str, host: str, *, no_browser: bool) -> None:
        """Tell the person where to sign in. With ``-q`` and a listener of the events, the events carry it alone."""
        terminal = login.terminal
        if terminal.quiet and login.events is not None:
            return
        shown = terminal_safe(url, 4096)
        terminal.line()
        if no_browser:
            terminal.line(f"  Sign in at {terminal_safe(host, 100)}: open this URL in a browser on this machine:")
        else:
            terminal.line(f"  Opening a browser to sign in at {terminal_safe(host, 100)}. If none opens, open "
                          "this URL in a browser on this machine:")
        terminal.line(f"  {shown}")
        terminal.line()
        if no_browser:
            terminal.line(f"  The browser comes back to {redirect_uri}, which only a browser on this machine can "
                          "reach.")
            terminal.line()

    def _wait(self, login: LoginRun, listener: LoopbackListener, deadline: float, timeout: float,
              opener: _Opener | None, url: str) -> Callback:
        """The first callback; ExpiredTokenError once ``deadline`` passes (Ctrl-C propagates)."""
        terminal = login.terminal
        told = False
        shown_left = ""
        with terminal.activity("Waiting for the browser...") as update:
            while True:
                if opener is not None and not told and opener.result is not None:
                    told = True
                    if opener.result:
                        login.report({"event": "browser_opened", "url": url})
                    else:
                        terminal.warning("Could not open a browser; open the URL above in a browser on this "
                                         "machine.")
                callback = listener.poll()
                if callback is not None:
                    if opener is not None and not told:  # the browser came back before its command returned
                        login.report({"event": "browser_opened", "url": url})
                    return callback
                left = deadline - login.clock()
                if left <= 0:
                    raise ExpiredTokenError(f"The browser did not come back within {format_time_left(timeout)}; "
                                            "nothing was saved.",
                                            hint=f"Run skytells login --method {NAME} again (--timeout "
                                                 "SECONDS allows longer), or use --method device.")
                text = f"Waiting for the browser... ({format_time_left(left)} left)"
                if text != shown_left:
                    shown_left = text
                    update(text)
                login.sleep(min(TICK, left))


def refuse_without_s256(metadata: ServerMetadata) -> None:
    """ServerError when the server names its PKCE methods and S256 is not one (``plain`` is never used).

    A server that names none is asked with S256 anyway (RFC 9700 section 2.1.1).
    """
    methods = metadata.code_challenge_methods_supported
    if methods is not None and PKCE_METHOD not in methods:
        raise ServerError(f"{terminal_safe(metadata.issuer, 100)} does not offer PKCE with S256 "
                          "(code_challenge_methods_supported); the browser login needs it.",
                          hint="Use skytells login --method device.")


def check_callback(callback: Callback, state: str, metadata: ServerMetadata) -> str:
    """The authorization code the callback brings, once its ``state`` and ``iss`` are this login's.

    Raises AuthError for another login's answer (``state``), a refusal
    (AccessDeniedError for ``access_denied``) or a malformed answer, and
    ServerError for an answer from another issuer (RFC 9207).
    """
    repeated = callback.repeated()
    if repeated is not None:
        raise AuthError(f"The browser came back with {terminal_safe(repeated, 40)!r} twice; refusing the answer "
                        "(nothing was saved).", hint=AGAIN)
    returned = callback.value("state")
    if returned is None or not hmac.compare_digest(returned.encode("utf-8"), state.encode("utf-8")):
        callback.answer(STRANGER)
        raise AuthError("The browser came back with a state that is not this login's (an old tab, or another "
                        "program); nothing was saved.", hint=AGAIN)
    check_issuer(callback.value("iss"), metadata)
    error = callback.value("error")
    if error is not None:
        if error == "access_denied":
            raise AccessDeniedError("The sign-in was not allowed in the browser; nothing was saved.", hint=AGAIN)
        description = callback.value("error_description")
        detail = f": {terminal_safe(description, 200)}" if description else ""
        raise AuthError(f"{terminal_safe(metadata.issuer, 100)} refused the sign-in ({terminal_safe(error, 60)}"
                        f"{detail}); nothing was saved.", hint=AGAIN)
    code = callback.value("code")
    if not code:
        raise ServerError(f"{terminal_safe(metadata.issuer, 100)} sent the browser back without an authorization "
                          "code; nothing was saved.", hint=AGAIN)
    redaction.register(code)
    return code


def check_issuer(iss: str | None, metadata: ServerMetadata) -> None:
    """RFC 9207: ``iss`` must name the issuer whenever it is sent, and must be sent when the metadata says so."""
    issuer = terminal_safe(metadata.issuer, 100)
    if iss is None:
        if metadata.authorization_response_iss_parameter_supported:
            raise ServerError(f"The browser came back without the issuer {issuer} promises to name (iss, RFC 9207); "
                              "refusing the answer, nothing was saved.", hint=AGAIN)
        return
    if iss != metadata.issuer:
        raise ServerError(f"The browser came back with an answer from another issuer ({terminal_safe(iss, 100)!r}, "
                          f"not {issuer}; RFC 9207); refusing it, nothing was saved.", hint=AGAIN)
