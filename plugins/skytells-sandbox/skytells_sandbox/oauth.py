"""The standard OAuth 2.0 endpoints: device grant (RFC 8628), refresh with rotation,
revocation (RFC 7009) and OpenID Connect userinfo.

Requests are form-encoded with ``client_id`` in the body (public clients, no
client secret) and scopes space-separated; every error is an RFC 6749 body
``{"error", "error_description"}``.
"""

from __future__ import annotations

import urllib.parse

from skytells_sandbox import authorize, dpop
from skytells_sandbox.api import NO_STORE, POLL_DESCRIPTIONS, device_answer
from skytells_sandbox.config import (
    DEFAULT_SCOPES,
    DEVICE_GRANT_TYPE,
    OPENID,
    REFRESH_GRANT_TYPE,
    SIGNED_IN_USER,
    TOKEN_EXCHANGE_GRANT_TYPE,
)
from skytells_sandbox.context import Context
from skytells_sandbox.exchange import token_exchange
from skytells_sandbox.grants import RefreshRefusedError, TokenSet, WrongClientError
from skytells_sandbox.messages import (
    FORM_TYPE,
    RefusedError,
    Request,
    Response,
    answers_refusals,
    error_response,
    json_response,
)
from skytells_sandbox.state import PollResult, validate_scopes

USERINFO_CLAIMS = {
    "sub": "user_sandbox",
    "name": "Sandbox User",
    "email": "sandbox-user@example.com",
    "preferred_username": SIGNED_IN_USER,
}


def _error(
    error: str, description: str, status: int = 400, headers: tuple[tuple[str, str], ...] = ()
) -> Response:
    payload = {"error": error, "error_description": description}
    return json_response(status, payload, NO_STORE + headers)


def _refuse(error: str, description: str, status: int = 400) -> RefusedError:
    return RefusedError(_error(error, description, status))


def _form(request: Request) -> dict[str, str]:
    """The form parameters; RFC 6749 section 3.1 forbids sending one twice."""
    if not request.is_form():
        raise _refuse("invalid_request", f"Send the parameters as {FORM_TYPE}")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse("invalid_request", "The form body is not UTF-8") from None
    params: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(text, keep_blank_values=True):
        if name in params:
            raise _refuse("invalid_request", f"{name} was sent more than once")
        params[name] = value
    return params


def _client(ctx: Context, params: dict[str, str]) -> str:
    client_id = params.get("client_id", "")
    if not client_id:
        raise _refuse("invalid_client", "client_id is required", 401)
    if client_id not in ctx.config.client_ids:
        raise _refuse("invalid_client", "Unknown client_id", 401)
    return client_id


def _required(params: dict[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise _refuse("invalid_request", f"{name} is required")
    return value


def _scopes(ctx: Context, text: str | None) -> tuple[str, ...] | None:
    """Space-separated scopes, checked; ``None`` when none were asked for."""
    if text is None or not text.split():
        return None
    try:
        return validate_scopes(text.split(), ctx.config.standard_scopes)
    except ValueError as exc:
        raise _refuse("invalid_scope", str(exc)) from None


def _proof_key(ctx: Context, request: Request, access_token: str | None = None) -> str | None:
    """The thumbprint of the request's valid DPoP proof; ``None`` without one (or without DPoP)."""
    if not ctx.config.dpop or request.header("DPoP") is None:
        return None
    book = ctx.state.dpop
    try:
        return dpop.verify_proof(
            book, request, ctx.url, require_nonce=ctx.config.dpop_nonce, access_token=access_token
        )
    except dpop.ProofError as exc:
        raise dpop.refusal(book, exc) from None


def _check_key(ctx: Context, token: str, jkt: str | None) -> None:
    """Refuse a bound token used without a proof by its own key."""
    bound = ctx.state.dpop.binding(token)
    if bound is not None and bound != jkt:
        missing = "a DPoP proof" if jkt is None else "a proof by the key it is bound to"
        description = f"The token is bound to a key: send {missing}"
        error = dpop.ProofError("invalid_dpop_proof", description)
        raise dpop.refusal(ctx.state.dpop, error)


def _token_answer(tokens: TokenSet, ctx: Context | None = None, jkt: str | None = None) -> Response:
    if ctx is not None and jkt is not None:
        ctx.state.dpop.bind(jkt, tokens.access_token, tokens.refresh_token)
    body: dict[str, object] = {
        "access_token": tokens.access_token,
        "token_type": "DPoP" if jkt is not None else "Bearer",
        "expires_in": tokens.expires_in,
        "scope": " ".join(tokens.scopes),
    }
    if tokens.refresh_token is not None:
        body["refresh_token"] = tokens.refresh_token
    return json_response(200, body, NO_STORE)


@answers_refusals
def device_authorization(ctx: Context, request: Request) -> Response:
    """``POST /oauth/device_authorization`` (form ``client_id``, ``scope``): start a device flow."""
    params = _form(request)
    client_id = _client(ctx, params)
    scopes = _scopes(ctx, params.get("scope")) or DEFAULT_SCOPES
    device = ctx.state.create_device_request(client_id, scopes, client_id=client_id)
    return device_answer(ctx, device)


@answers_refusals
def token(ctx: Context, request: Request) -> Response:
    """``POST /oauth/token``: device-code, authorization-code, refresh and token-exchange grants."""
    params = _form(request)
    client_id = _client(ctx, params)
    grant_type = _required(params, "grant_type")
    jkt = _proof_key(ctx, request)
    if grant_type == DEVICE_GRANT_TYPE:
        outcome = ctx.state.poll(_required(params, "device_code"), client_id)
        if outcome.result is PollResult.APPROVED and outcome.tokens is not None:
            return _token_answer(outcome.tokens, ctx, jkt)
        return _error(outcome.result.value, POLL_DESCRIPTIONS[outcome.result])
    if grant_type == authorize.AUTHORIZATION_CODE_GRANT_TYPE:
        redeemed = authorize.redeem(ctx, params, client_id)
        if isinstance(redeemed, TokenSet):
            return _token_answer(redeemed, ctx, jkt)
        return _error(*redeemed)
    if grant_type == REFRESH_GRANT_TYPE:
        refresh_token = _required(params, "refresh_token")
        _check_key(ctx, refresh_token, jkt)
        scopes = _scopes(ctx, params.get("scope"))
        try:
            return _token_answer(ctx.state.refresh(refresh_token, client_id, scopes), ctx, jkt)
        except RefreshRefusedError as exc:
            return _error(exc.error, exc.description)
    if grant_type == TOKEN_EXCHANGE_GRANT_TYPE:
        return token_exchange(ctx, params, client_id)
    return _error("unsupported_grant_type", f"Unsupported grant_type: {grant_type}")


@answers_refusals
def revoke(ctx: Context, request: Request) -> Response:
    """``POST /oauth/revoke`` (RFC 7009): 200 whether or not the token was known.

    ``token_type_hint`` is only a hint (section 2.1), so every kind of token is looked up.
    """
    params = _form(request)
    client_id = _client(ctx, params)
    token = _required(params, "token")
    _check_key(ctx, token, _proof_key(ctx, request))
    try:
        ctx.state.revoke_oauth_token(token, client_id)
    except WrongClientError:
        return _error("invalid_grant", "The token was issued to another client")
    return json_response(200, {}, NO_STORE)


def _bearer_error(status: int, error: str, description: str, challenge: str) -> Response:
    return _error(error, description, status, (("WWW-Authenticate", challenge),))


def userinfo(ctx: Context, request: Request) -> Response:
    """``GET /oauth/userinfo`` (OpenID Connect): the signed-in user, for a token with ``openid``.

    Errors follow RFC 6750: 401 ``invalid_token`` for a missing, unknown,
    expired or revoked token, 403 ``insufficient_scope`` without ``openid``.
    """
    if not ctx.config.oidc:
        return error_response(404, "Not Found")
    scheme, _, presented = (request.header("Authorization") or "").partition(" ")
    if scheme.lower() == "dpop" and ctx.config.dpop:
        refused = _dpop_resource_check(ctx, request, presented.strip())
        if refused is not None:
            return refused
        credential: str | None = presented.strip()
    else:
        credential = request.bearer_token()
        if credential is not None and ctx.state.dpop.binding(credential) is not None:
            description = "The token is bound to a key: present it with the DPoP scheme and a proof"
            return dpop.resource_refusal(ctx.state.dpop, "invalid_token", description)
    if credential is None:
        return _bearer_error(401, "invalid_token", "A bearer token is required", "Bearer")
    scopes = ctx.state.token_scopes(credential)
    if scopes is None:
        description = "The access token is invalid or expired"
        return _bearer_error(401, "invalid_token", description, 'Bearer error="invalid_token"')
    if OPENID not in scopes:
        challenge = f'Bearer error="insufficient_scope", scope="{OPENID}"'
        return _bearer_error(403, "insufficient_scope", "The token lacks openid", challenge)
    return json_response(200, dict(USERINFO_CLAIMS), NO_STORE)


def _dpop_resource_check(ctx: Context, request: Request, token: str) -> Response | None:
    """The refusal of a DPoP-scheme request (unbound token, failed proof), else ``None``."""
    book = ctx.state.dpop
    bound = book.binding(token)
    if bound is None:
        return dpop.resource_refusal(book, "invalid_token", "The token is not bound to a key")
    try:
        jkt = dpop.verify_proof(
            book, request, ctx.url, require_nonce=ctx.config.dpop_nonce, access_token=token
        )
    except dpop.ProofError as exc:
        return dpop.resource_refusal(book, exc.error, exc.description)
    if jkt != bound:
        return dpop.resource_refusal(book, "invalid_token", "The proof is not by the bound key")
    return None
