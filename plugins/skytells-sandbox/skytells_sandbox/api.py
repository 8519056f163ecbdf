"""The console API endpoints: device authorization, token polling, CLI and health."""

from __future__ import annotations

from typing import Any

from skytells_sandbox.config import DEFAULT_SCOPES, DEVICE_GRANT_TYPE
from skytells_sandbox.context import Context
from skytells_sandbox.messages import (
    InvalidBodyError,
    Request,
    Response,
    error_response,
    json_response,
)
from skytells_sandbox.state import DeviceRequest, PollResult, validate_scopes

DEFAULT_CLIENT_NAME = "Unknown client"
MAX_CLIENT_NAME_LENGTH = 200
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))

# The console answers polls with status codes; RFC 8628 uses 400 with an error body.
_CONSOLE_STATUS = {
    PollResult.PENDING: 428,
    PollResult.DENIED: 403,
    PollResult.EXPIRED: 410,
}
POLL_DESCRIPTIONS = {
    PollResult.PENDING: "The user has not yet approved the request",
    PollResult.SLOW_DOWN: "Polling too often; increase the interval by 5 seconds",
    PollResult.DENIED: "The user denied the request",
    PollResult.EXPIRED: "The device code has expired",
    PollResult.INVALID_GRANT: "Unknown or already used device code",
}
_UNAUTHORIZED = ("Unauthorized", "Token is invalid or expired")


def _validation_error(ctx: Context, status: int, error: str, message: str) -> Response:
    payload = {"error": error, "message": message}
    if ctx.config.dialect == "rfc8628":
        payload["error_description"] = message
    return json_response(status, payload, NO_STORE)


def _oauth_error(ctx: Context, error: str, description: str, status: int = 400) -> Response:
    payload = {"error": error}
    if ctx.config.dialect == "rfc8628":
        payload["error_description"] = description
    return json_response(status, payload, NO_STORE)


def _requested_scopes(payload: dict[str, Any]) -> tuple[str, ...]:
    scopes = payload.get("scopes")
    if scopes is None:
        return DEFAULT_SCOPES
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise ValueError("scopes must be a list of strings")
    if not scopes:
        raise ValueError("At least one scope is required")
    return validate_scopes(scopes)


def device_authorization(ctx: Context, request: Request) -> Response:
    """``POST /api/oauth/device``: start a device authorization."""
    try:
        payload = request.json_object()
    except InvalidBodyError as exc:
        return _validation_error(ctx, 400, "invalid_request", str(exc))
    client_name = payload.get("client_name", DEFAULT_CLIENT_NAME)
    if not isinstance(client_name, str) or not client_name.strip():
        return _validation_error(
            ctx, 422, "invalid_request", "client_name must be a non-empty string"
        )
    if len(client_name) > MAX_CLIENT_NAME_LENGTH:
        return _validation_error(
            ctx,
            422,
            "invalid_request",
            f"client_name must be at most {MAX_CLIENT_NAME_LENGTH} characters",
        )
    try:
        scopes = _requested_scopes(payload)
    except ValueError as exc:
        return _validation_error(ctx, 422, "invalid_scope", str(exc))
    device = ctx.state.create_device_request(client_name.strip(), scopes)
    return device_answer(ctx, device)


def device_answer(ctx: Context, device: DeviceRequest) -> Response:
    """The 200 answer that starts a device flow, on either kind of endpoint."""
    verification_uri = f"{ctx.url}/device"
    body = {
        "device_code": device.device_code,
        "user_code": device.user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": f"{verification_uri}?code={device.user_code}",
        "expires_in": ctx.config.expires_in,
        "interval": device.interval,
    }
    return json_response(200, body, NO_STORE)


def token(ctx: Context, request: Request) -> Response:
    """``POST /api/oauth/token``: poll for the token of a device authorization."""
    try:
        payload: dict[str, Any] = request.form() if request.is_form() else request.json_object()
    except InvalidBodyError as exc:
        return _validation_error(ctx, 400, "invalid_request", str(exc))
    if payload.get("grant_type") != DEVICE_GRANT_TYPE:
        return _oauth_error(
            ctx, "unsupported_grant_type", f"grant_type must be {DEVICE_GRANT_TYPE}"
        )
    device_code = payload.get("device_code")
    if not isinstance(device_code, str) or not device_code:
        return _validation_error(ctx, 400, "invalid_request", "device_code is required")

    outcome = ctx.state.poll(device_code)
    if outcome.result is PollResult.APPROVED:
        body = {
            "access_token": outcome.access_token,
            "token_type": "Bearer",
            "scopes": list(outcome.scopes),
        }
        return json_response(200, body, NO_STORE)
    description = POLL_DESCRIPTIONS[outcome.result]
    if outcome.result is PollResult.INVALID_GRANT:
        return _oauth_error(ctx, "invalid_grant", description)
    if ctx.config.dialect == "console":
        return _oauth_error(ctx, outcome.result.value, description, _CONSOLE_STATUS[outcome.result])
    return _oauth_error(ctx, outcome.result.value, description)


def cli_projects(ctx: Context, request: Request) -> Response:
    """``GET /api/v1/cli/projects``: the user's projects, for a personal access token.

    A standard-mode access token is accepted too while it is unexpired and not revoked.
    """
    credential = request.bearer_token()
    scopes = ctx.state.token_scopes(credential) if credential else None
    if scopes is None:
        return error_response(401, *_UNAUTHORIZED)
    if "projects.read" not in scopes:
        return error_response(403, "Forbidden", "Insufficient scope: projects.read required")
    return json_response(200, {"data": ctx.state.projects()})


def cli_project(ctx: Context, request: Request) -> Response:
    """``GET /api/v1/cli/project``: the project linked to a project access key."""
    credential = request.bearer_token()
    project = ctx.state.project_for_key(credential) if credential else None
    if project is None:
        return error_response(401, *_UNAUTHORIZED)
    return json_response(200, {"data": project})


def health(ctx: Context, request: Request) -> Response:
    """``GET /api/v1/health``."""
    return json_response(200, {"status": "ok"})
