"""The ``browser`` login method's name and options, shared by its loader and its flow."""

from __future__ import annotations

from skytells.errors import UsageError
from skytells.login.interface import LoginOption
from skytells.login.standard_options import ENV_CLIENT_ID, ENV_ISSUER, client_id, issuer_url

#: The method's name: ``skytells login --method browser``.
NAME = "browser"
#: Seconds the browser has to come back, unless --timeout says otherwise.
DEFAULT_TIMEOUT = 300
MAX_TIMEOUT = 3600




def _whole_number(text: str, origin: str, low: int, high: int, example: str) -> int:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise UsageError(f"{origin} takes a whole number from {low} to {high}.", hint=f"For example: {example}")
    return int(value)


def port(text: str, origin: str) -> int:
    """``--port``: a TCP port from 1 to 65535."""
    return _whole_number(text, origin, 1, 65535, f"{origin} 8400")


def timeout(text: str, origin: str) -> int:
    """``--timeout``: whole seconds from 1 to 3600."""
    return _whole_number(text, origin, 1, MAX_TIMEOUT, f"{origin} 600")


OPTIONS = (
    LoginOption("--issuer", "The standard OAuth 2.0 / OpenID Connect server to sign in with, found through its "
                f"metadata (default: ${ENV_ISSUER}).", metavar="URL", env=ENV_ISSUER, parse=issuer_url),
    LoginOption("--client-id", "The OAuth client id registered for this CLI at --issuer, as a public client "
                f"with a loopback redirect (default: ${ENV_CLIENT_ID}).", metavar="ID", env=ENV_CLIENT_ID,
                parse=client_id),
    LoginOption("--no-browser", "Print the authorization URL instead of opening a browser; open it in a "
                "browser on this machine (it returns to 127.0.0.1).", is_switch=True),
    LoginOption("--port", "Listen for the browser's return on this port of 127.0.0.1 (default: one the "
                "system picks).", metavar="N", parse=port),
    LoginOption("--timeout", f"Seconds to wait for the browser to come back (default: {DEFAULT_TIMEOUT}).",
                metavar="SECONDS", parse=timeout),
    LoginOption("--no-dpop", "Do not bind the tokens to a key (DPoP, RFC 9449) even where the server offers it, "
                "so that scripts can use the token as a Bearer token.", is_switch=True),
)
