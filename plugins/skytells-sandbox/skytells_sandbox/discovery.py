"""Authorization server metadata (RFC 8414) and OpenID Connect discovery documents."""

from __future__ import annotations

from typing import Any

from skytells_sandbox.authorize import AUTHORIZATION_CODE_GRANT_TYPE, AUTHORIZE_PATH, PKCE_METHOD
from skytells_sandbox.config import DEVICE_GRANT_TYPE, REFRESH_GRANT_TYPE, TOKEN_EXCHANGE_GRANT_TYPE
from skytells_sandbox.context import Context
from skytells_sandbox.messages import Request, Response, error_response, json_response
from skytells_sandbox.oauth import USERINFO_CLAIMS


def metadata(ctx: Context) -> dict[str, Any]:
    """The RFC 8414 document: the issuer is the sandbox URL, every endpoint lives under it."""
    base = ctx.url
    document: dict[str, Any] = {
        "issuer": base,
        "authorization_endpoint": f"{base}{AUTHORIZE_PATH}",
        "device_authorization_endpoint": f"{base}/oauth/device_authorization",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
    }
    if ctx.config.oidc:
        document["userinfo_endpoint"] = f"{base}/oauth/userinfo"
    document.update(
        {
            "scopes_supported": list(ctx.config.standard_scopes),
            # The authorization code grant for native apps (PKCE S256 only, RFC 8252),
            # the device grant, refresh, and (unless turned off) token exchange (RFC 8693).
            "response_types_supported": ["code"],
            "grant_types_supported": [
                AUTHORIZATION_CODE_GRANT_TYPE,
                DEVICE_GRANT_TYPE,
                REFRESH_GRANT_TYPE,
            ] + ([TOKEN_EXCHANGE_GRANT_TYPE] if ctx.config.token_exchange else []),
            "code_challenge_methods_supported": [PKCE_METHOD],
            "authorization_response_iss_parameter_supported": True,
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
        }
    )
    if ctx.config.dpop:
        document["dpop_signing_alg_values_supported"] = ["ES256"]
    return document


def oauth_authorization_server(ctx: Context, request: Request) -> Response:
    """``GET /.well-known/oauth-authorization-server``; 404 when metadata is switched off."""
    if not ctx.config.oauth_metadata:
        return error_response(404, "Not Found")
    return json_response(200, metadata(ctx))


def openid_configuration(ctx: Context, request: Request) -> Response:
    """``GET /.well-known/openid-configuration``; 404 unless OpenID Connect is on.

    The sandbox issues no ID tokens, so there is no ``jwks_uri`` or signing algorithm.
    """
    if not ctx.config.oidc:
        return error_response(404, "Not Found")
    document = metadata(ctx)
    document["subject_types_supported"] = ["public"]
    document["claims_supported"] = list(USERINFO_CLAIMS)
    return json_response(200, document)
