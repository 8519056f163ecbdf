"""The ``device`` login method's name and options, shared by its loader and its flow."""

from __future__ import annotations

from skytells.login.interface import LoginOption
from skytells.login.standard_options import ENV_CLIENT_ID, ENV_ISSUER, client_id, issuer_url
from skytells.safety.urls import parse_service_url

#: The method's name: ``skytells login --method device`` (the default).
NAME = "device"



def endpoint_url(text: str, origin: str) -> str | None:
    """``--device-authorization-endpoint`` read by the one URL rule (UsageError naming ``origin``); None when blank."""
    return parse_service_url(text.strip(), origin, endpoint=True).text if text.strip() else None



OPTIONS = (
    LoginOption("--no-browser", "Print the authorization URL without opening a browser.", is_switch=True),
    LoginOption("--qr", "Also show the URL as a QR code, to approve from a phone.", is_switch=True),
    LoginOption("--issuer", "Log in with any standard OAuth 2.0 / OpenID Connect server, found through its "
                f"metadata (default: ${ENV_ISSUER}).", metavar="URL", env=ENV_ISSUER, parse=issuer_url),
    LoginOption("--client-id", f"The OAuth client id registered for this CLI at --issuer "
                f"(default: ${ENV_CLIENT_ID}).", metavar="ID", env=ENV_CLIENT_ID, parse=client_id),
    LoginOption("--device-authorization-endpoint", "With --issuer: the server's device authorization "
                "endpoint, for a server whose metadata names none.", metavar="URL", parse=endpoint_url),
    LoginOption("--no-dpop", "With --issuer: do not bind the tokens to a key (DPoP, RFC 9449) even where the "
                "server offers it, so that scripts can use the token as a Bearer token.", is_switch=True),
)
