"""The ``browser`` login method's name and options, shared by its loader and its flow."""

from __future__ import annotations

from skytells.errors import UsageError
from skytells.login.interface import LoginOption
from skytells.safety.urls import parse_service_url

#: The method's name: ``skytells login --method browser``.
NAME = "browser"
#: The environment's choice of a standard authorization server and of this CLI's client id there
#: (the same variables the device method reads).
ENV_ISSUER = "SKYTELLS_ISSUER"
ENV_CLIENT_ID = "SKYTELLS_CLIENT_ID"
#: Seconds the browser has to come back, unless --timeout says otherwise.
DEFAULT_TIMEOUT = 300
MAX_TIMEOUT = 3600


def issuer_url(text: str, origin: str) -> str | None:
    """``--issuer`` or ``SKYTELLS_ISSUER`` read by the one URL rule (UsageError naming ``origin``); None when blank."""
    return parse_service_url(text.strip(), origin).text if text.strip() else None


def client_id(text: str, origin: str) -> str | None:
    """``--client-id`` or ``SKYTELLS_CLIENT_ID`` without surrounding blanks; None when blank."""
    return text.strip() or None


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
