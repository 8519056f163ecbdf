"""Sandbox-only control endpoints under ``/_sandbox/``; the real console has none of these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skytells_sandbox.config import DEFAULT_SCOPES
from skytells_sandbox.context import Context
from skytells_sandbox.messages import (
    InvalidBodyError,
    RefusedError,
    Request,
    Response,
    answers_refusals,
    error_response,
    json_response,
)
from skytells_sandbox.state import (
    DeviceRequest,
    DeviceStatus,
    NotPendingError,
    UnknownCodeError,
    UnknownCredentialError,
)

DEFAULT_PROJECT_NAME = "Demo Project"


def _body(request: Request) -> dict[str, Any]:
    try:
        return request.json_object(allow_empty=True)
    except InvalidBodyError as exc:
        raise RefusedError(error_response(400, "invalid_request", str(exc))) from None


def _string_field(payload: dict[str, Any], name: str, default: str | None = None) -> str:
    value = payload.get(name, default)
    if not isinstance(value, str) or not value.strip():
        raise RefusedError(
            error_response(422, "invalid_request", f"{name} must be a non-empty string")
        )
    return value.strip()


@answers_refusals
def create_token(ctx: Context, request: Request) -> Response:
    """``POST /_sandbox/tokens`` ``{"scopes"?}`` -> ``{"token", "scopes"}``."""
    scopes = _body(request).get("scopes", list(DEFAULT_SCOPES))
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return error_response(422, "invalid_scope", "scopes must be a list of strings")
    try:
        token = ctx.state.issue_token(scopes)
    except ValueError as exc:
        return error_response(422, "invalid_scope", str(exc))
    return json_response(200, {"token": token, "scopes": list(ctx.state.token_scopes(token) or ())})


@answers_refusals
def create_project_key(ctx: Context, request: Request) -> Response:
    """``POST /_sandbox/project-keys`` ``{"name"?}`` -> ``{"access_key", "project"}``."""
    name = _string_field(_body(request), "name", DEFAULT_PROJECT_NAME)
    key, project = ctx.state.issue_project_key(name)
    return json_response(200, {"access_key": key, "project": project})


def create_api_key(ctx: Context, request: Request) -> Response:
    """``POST /_sandbox/api-keys`` -> ``{"api_key"}``: a key ``GET /v1/models`` accepts."""
    return json_response(200, {"api_key": ctx.state.issue_api_key()})


@answers_refusals
def revoke(ctx: Context, request: Request) -> Response:
    """``POST /_sandbox/revoke`` ``{"credential"}`` -> ``{"revoked": true}``."""
    credential = _string_field(_body(request), "credential")
    try:
        ctx.state.revoke(credential)
    except UnknownCredentialError as exc:
        return error_response(404, "Not Found", str(exc))
    return json_response(200, {"revoked": True})


def _device_action(
    action: Callable[[Context, str], DeviceRequest],
) -> Callable[[Context, Request], Response]:
    @answers_refusals
    def endpoint(ctx: Context, request: Request) -> Response:
        user_code = _string_field(_body(request), "user_code")
        try:
            device = action(ctx, user_code)
        except UnknownCodeError:
            return error_response(404, "Not Found", "Unknown user code")
        except NotPendingError as exc:
            return error_response(409, "Conflict", str(exc))
        return json_response(200, {"user_code": device.user_code, "status": device.status.value})

    return endpoint


approve = _device_action(lambda ctx, code: ctx.state.decide(code, DeviceStatus.APPROVED))
deny = _device_action(lambda ctx, code: ctx.state.decide(code, DeviceStatus.DENIED))
expire = _device_action(lambda ctx, code: ctx.state.expire(code))


def pending(ctx: Context, request: Request) -> Response:
    """``GET /_sandbox/device/pending`` -> ``{"user_codes": [...]}``."""
    return json_response(200, {"user_codes": ctx.state.pending_user_codes()})
