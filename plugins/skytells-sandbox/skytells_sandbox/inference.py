"""The one inference API endpoint the CLI uses: ``GET /v1/models`` to check an API key."""

from __future__ import annotations

from skytells_sandbox.context import Context
from skytells_sandbox.messages import Request, Response, error_response, json_response

# Made up: the public documentation does not describe the models list.
DEMO_MODELS: tuple[dict[str, str], ...] = (
    {"id": "sandbox-image-1", "name": "Sandbox Image", "type": "image"},
    {"id": "sandbox-text-1", "name": "Sandbox Text", "type": "text"},
    {"id": "sandbox-video-1", "name": "Sandbox Video", "type": "video"},
)


def models(ctx: Context, request: Request) -> Response:
    """``GET /v1/models`` with ``x-api-key``: the model list for a valid API key, else 401."""
    key = (request.header("x-api-key") or "").strip()
    if not key or not ctx.state.api_key_is_valid(key):
        return error_response(401, "Unauthorized", "Invalid API key")
    return json_response(200, {"data": [dict(model) for model in DEMO_MODELS]})
