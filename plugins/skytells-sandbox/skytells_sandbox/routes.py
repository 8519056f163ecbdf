"""Which endpoint answers which method and path."""

from __future__ import annotations

from collections.abc import Callable

from skytells_sandbox import (
    admin,
    api,
    authorize,
    console_pages,
    discovery,
    exchange,
    inference,
    oauth,
    verification,
)
from skytells_sandbox.context import Context
from skytells_sandbox.messages import Request, Response, error_response

Endpoint = Callable[[Context, Request], Response]

ROUTES: dict[str, dict[str, Endpoint]] = {
    "/api/oauth/device": {"POST": api.device_authorization},
    "/api/oauth/token": {"POST": api.token},
    "/api/v1/cli/projects": {"GET": api.cli_projects},
    "/api/v1/cli/project": {"GET": api.cli_project},
    "/api/v1/health": {"GET": api.health},
    "/.well-known/oauth-authorization-server": {"GET": discovery.oauth_authorization_server},
    "/.well-known/openid-configuration": {"GET": discovery.openid_configuration},
    authorize.AUTHORIZE_PATH: {"GET": authorize.authorize, "POST": authorize.decide},
    "/oauth/device_authorization": {"POST": oauth.device_authorization},
    "/oauth/token": {"POST": oauth.token},
    "/oauth/revoke": {"POST": oauth.revoke},
    "/oauth/userinfo": {"GET": oauth.userinfo},
    "/v1/models": {"GET": inference.models},
    "/v1/predictions": {"GET": inference.list_predictions, "POST": inference.create_prediction},
    "/device": {"GET": verification.show_form, "POST": verification.submit},
    verification.RESULT_PATH: {"GET": verification.show_result},
    "/settings/tokens": {"GET": console_pages.tokens},
    "/settings/api-keys": {"GET": console_pages.api_keys},
    "/_sandbox/tokens": {"POST": admin.create_token},
    "/_sandbox/project-keys": {"POST": admin.create_project_key},
    "/_sandbox/api-keys": {"POST": admin.create_api_key},
    "/_sandbox/revoke": {"POST": admin.revoke},
    "/_sandbox/device/approve": {"POST": admin.approve},
    "/_sandbox/device/deny": {"POST": admin.deny},
    "/_sandbox/device/expire": {"POST": admin.expire},
    "/_sandbox/device/pending": {"GET": admin.pending},
    "/_sandbox/id-tokens": {"POST": exchange.create_id_token},
    exchange.ACTIONS_PATH: {"GET": exchange.actions_id_token},
}


def dispatch(ctx: Context, request: Request) -> Response:
    """Answer ``request``: 404 for an unknown path, 405 for a method the path lacks.

    ``HEAD`` is answered wherever ``GET`` is; the caller drops the body.
    """
    methods = ROUTES.get(request.path) or inference.routes_for(request.path)
    if methods is None:
        return error_response(404, "Not Found")
    method = "GET" if request.method == "HEAD" else request.method
    endpoint = methods.get(method)
    if endpoint is None:
        allowed = sorted(methods) + (["HEAD"] if "GET" in methods else [])
        response = error_response(405, "Method Not Allowed")
        return Response(
            response.status,
            response.body,
            response.content_type,
            (("Allow", ", ".join(allowed)),),
        )
    return endpoint(ctx, request)
