"""What every login method of a standard OAuth 2.0 / OpenID Connect server reads the same way: its issuer and
this CLI's client id there, from ``--issuer``/``--client-id`` or the environment."""

from __future__ import annotations

from skytells.safety.urls import parse_service_url

#: The environment's choice of a standard authorization server and of this CLI's client id there.
ENV_ISSUER = "SKYTELLS_ISSUER"
ENV_CLIENT_ID = "SKYTELLS_CLIENT_ID"


def issuer_url(text: str, origin: str) -> str | None:
    """``--issuer`` or ``SKYTELLS_ISSUER`` read by the one URL rule (UsageError naming ``origin``); None when blank."""
    return parse_service_url(text.strip(), origin).text if text.strip() else None


def client_id(text: str, origin: str) -> str | None:
    """``--client-id`` or ``SKYTELLS_CLIENT_ID`` without surrounding blanks; None when blank."""
    return text.strip() or None
