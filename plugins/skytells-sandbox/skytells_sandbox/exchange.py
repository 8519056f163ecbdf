"""Workload identity: test ID tokens, GitHub Actions' ID-token endpoint, token exchange (RFC 8693).

A CI platform gives each job an OpenID Connect ID token; the CLI trades it
for an access token at the token endpoint. The sandbox plays both sides:

* it signs test ID tokens (JWTs, HS256 with a key of its own, issuer
  ``<url>/_sandbox/ci``), handed out by :meth:`Sandbox.issue_id_token`,
  ``POST /_sandbox/id-tokens`` and the GitHub-Actions-style endpoint
  ``GET /_sandbox/actions/id-token?api-version=2.0&audience=AUD`` (which wants
  ``Authorization: Bearer <request token>``, as GitHub's does);
* its standard token endpoint accepts ``grant_type=urn:ietf:params:oauth:grant-type:token-exchange``
  for the ID tokens it signed itself (no other subject token is trusted),
  unexpired on the wall clock, whose audience is the exchange's ``audience``
  or, without one, the client id. Refusals are RFC 6749/8693 errors:
  ``invalid_grant`` (the subject token), ``invalid_target`` (an audience not
  in ``exchange_audiences``), ``unauthorized_client`` (a client not in
  ``exchange_clients``), ``invalid_request`` and ``invalid_scope``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from typing import Any

from skytells_sandbox.api import NO_STORE
from skytells_sandbox.config import DEFAULT_SCOPES, OFFLINE_ACCESS
from skytells_sandbox.context import Context
from skytells_sandbox.messages import (
    InvalidBodyError,
    Request,
    Response,
    error_response,
    json_response,
)
from skytells_sandbox.state import SandboxState, validate_scopes

# Token type URIs (RFC 8693 section 3), not secrets.
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"  # noqa: S105
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105
SUBJECT_TOKEN_TYPES = (ID_TOKEN_TYPE, JWT_TOKEN_TYPE)
ISSUER_PATH = "/_sandbox/ci"
ACTIONS_PATH = "/_sandbox/actions/id-token"
DEFAULT_SUBJECT = "repo:skytells/example:ref:refs/heads/main"
DEFAULT_ID_TOKEN_LIFETIME = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_id_token(
    state: SandboxState,
    url: str,
    audience: str,
    *,
    subject: str = DEFAULT_SUBJECT,
    lifetime: int = DEFAULT_ID_TOKEN_LIFETIME,
) -> str:
    """A test ID token signed here, for ``audience``, living ``lifetime`` seconds (wall clock)."""
    now = int(state.config.wall_clock())
    header = {"alg": "HS256", "typ": "JWT", "kid": "sandbox-ci"}
    claims = {
        "iss": url + ISSUER_PATH,
        "sub": subject,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": secrets.token_hex(8),
        "repository": "skytells/example",
    }
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = hmac.new(state.id_token_key, signing_input.encode("ascii"), hashlib.sha256)
    return signing_input + "." + _b64(signature.digest())


def verify_id_token(state: SandboxState, url: str, token: str, audience: str) -> str | None:
    """Why ``token`` is not a valid ID token of this sandbox for ``audience``, or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return "The subject token is not a JWT"
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, binascii.Error):
        return "The subject token is not a JWT"
    if not isinstance(header, dict) or not isinstance(claims, dict) or header.get("alg") != "HS256":
        return "The subject token is not signed by a trusted issuer"
    expected = hmac.new(
        state.id_token_key, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256
    ).digest()
    if not hmac.compare_digest(expected, signature) or claims.get("iss") != url + ISSUER_PATH:
        return "The subject token is not signed by a trusted issuer"
    exp = claims.get("exp")
    if not isinstance(exp, int) or state.config.wall_clock() >= exp:
        return "The subject token has expired"
    if claims.get("aud") != audience:
        return "The subject token was issued for another audience"
    return None


def _error(error: str, description: str, status: int = 400) -> Response:
    return json_response(status, {"error": error, "error_description": description}, NO_STORE)


def token_exchange(ctx: Context, params: dict[str, str], client_id: str) -> Response:
    """The token-exchange grant at ``POST /oauth/token`` (``client_id`` is a registered one)."""
    config = ctx.config
    if not config.token_exchange:
        return _error("unsupported_grant_type", "Token exchange is not enabled")
    if config.exchange_clients is not None and client_id not in config.exchange_clients:
        return _error("unauthorized_client", "This client may not use token exchange")
    subject_token = params.get("subject_token", "")
    subject_type = params.get("subject_token_type", "")
    if not subject_token or not subject_type:
        return _error("invalid_request", "subject_token and subject_token_type are required")
    if subject_type not in SUBJECT_TOKEN_TYPES:
        return _error("invalid_request", f"Unsupported subject_token_type: {subject_type}")
    requested = params.get("requested_token_type")
    if requested is not None and requested != ACCESS_TOKEN_TYPE:
        return _error("invalid_request", "Only access tokens can be requested")
    audience = params.get("audience")
    allowed = config.exchange_audiences
    if audience is not None and allowed is not None and audience not in allowed:
        return _error("invalid_target", "The audience is not served here")
    problem = verify_id_token(ctx.state, ctx.url, subject_token, audience or client_id)
    if problem is not None:
        return _error("invalid_grant", problem)
    scope_text = params.get("scope")
    try:
        scopes = (
            validate_scopes(scope_text.split(), config.standard_scopes)
            if scope_text and scope_text.split()
            else DEFAULT_SCOPES
        )
    except ValueError as exc:
        return _error("invalid_scope", str(exc))
    tokens = ctx.state.issue_exchanged_token(client_id, scopes)
    body: dict[str, Any] = {
        "access_token": tokens.access_token,
        "issued_token_type": ACCESS_TOKEN_TYPE,
        "token_type": "Bearer",
        "expires_in": tokens.expires_in,
        "scope": " ".join(s for s in tokens.scopes if s != OFFLINE_ACCESS),
    }
    return json_response(200, body, NO_STORE)


def actions_id_token(ctx: Context, request: Request) -> Response:
    """``GET /_sandbox/actions/id-token?audience=AUD`` (bearer: the request token)."""
    if request.bearer_token() != ctx.state.actions_request_token:
        return error_response(401, "Unauthorized", "Bad or missing request token")
    audience = request.query_value("audience")
    if not audience:
        return error_response(400, "invalid_request", "audience is required")
    token = issue_id_token(ctx.state, ctx.url, audience)
    return json_response(200, {"count": len(token), "value": token}, NO_STORE)


def create_id_token(ctx: Context, request: Request) -> Response:
    """``POST /_sandbox/id-tokens`` ``{"audience"?, "subject"?, "lifetime"?}``: ``{"id_token"}``."""
    try:
        body = request.json_object(allow_empty=True)
    except InvalidBodyError as exc:
        return error_response(400, "invalid_request", str(exc))
    audience = body.get("audience", ctx.config.client_ids[0])
    subject = body.get("subject", DEFAULT_SUBJECT)
    lifetime = body.get("lifetime", DEFAULT_ID_TOKEN_LIFETIME)
    if not isinstance(audience, str) or not audience or not isinstance(subject, str) or not subject:
        problem = "audience and subject must be non-empty strings"
        return error_response(422, "invalid_request", problem)
    if not isinstance(lifetime, int) or isinstance(lifetime, bool):
        return error_response(422, "invalid_request", "lifetime must be whole seconds")
    token = issue_id_token(ctx.state, ctx.url, audience, subject=subject, lifetime=lifetime)
    return json_response(200, {"id_token": token}, NO_STORE)
