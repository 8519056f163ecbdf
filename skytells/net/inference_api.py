"""The Skytells inference API, as far as the CLI needs it: checking an API key."""

from __future__ import annotations

from skytells.config import settings
from skytells.errors import AuthError, ServerError
from skytells.net.http import HttpClient


def check_api_key(api_key: str) -> None:
    """``GET {inference}/models`` with ``x-api-key``: returns when accepted, raises AuthError when refused."""
    http = HttpClient(settings.inference_url(), setting=settings.ENV_INFERENCE_URL)
    response = http.request("GET", "/models", headers={"x-api-key": api_key})
    if response.status == 200 and response.kind == "json":  # not a captive portal's page
        return
    if response.status in (401, 403):
        raise AuthError(f"The API key was refused by {http.host} ({response.describe()}).",
                        hint=f"Copy it again from {settings.console_page(settings.API_KEYS_PATH)}")
    raise ServerError(f"{http.host} could not check the API key: {response.describe()}.")
