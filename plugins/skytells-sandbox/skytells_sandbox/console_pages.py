"""The console's settings pages that the CLI's hints point to, as the sandbox stands in for them."""

from __future__ import annotations

from skytells_sandbox import pages
from skytells_sandbox.context import Context
from skytells_sandbox.messages import Request, Response, html_response


def tokens(ctx: Context, request: Request) -> Response:
    """``GET /settings/tokens``: where the CLI sends a user for a personal access token."""
    page = pages.console_settings_page(
        "Personal access tokens", "personal access tokens", "/_sandbox/tokens"
    )
    return html_response(200, page)


def api_keys(ctx: Context, request: Request) -> Response:
    """``GET /settings/api-keys``: where the CLI sends a user for an inference API key."""
    page = pages.console_settings_page("API keys", "inference API keys", "/_sandbox/api-keys")
    return html_response(200, page)
