"""The Skytells console API: its device authorization dialect and the CLI endpoints, in one place.

The console speaks the device grant (``skytells.net.protocol.device_grant``) in
its own dialect (JSON bodies; 428 pending, 403 denied, 410 expired; granted
``scopes`` as a list) as well as with the standard error bodies, and answers
the CLI's endpoints. Every answer is checked for shape before it is used;
secrets never reach a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from skytells.errors import AuthError, NetworkError
from skytells.net.checks import TokenCheck, TokenStatus
from skytells.net.http import HttpClient, Response
from skytells.net.protocol.device_grant import DEVICE_GRANT_TYPE, DeviceGrantClientBase, PollOutcome
from skytells.safety.sanitize import terminal_safe

__all__ = ["ConsoleClient", "TokenCheck", "TokenStatus"]  # the checks' types are at home in skytells.net.checks


class ConsoleClient(DeviceGrantClientBase):
    """Requests to the Skytells console on behalf of the CLI (the console's JSON dialect)."""

    status_outcomes: ClassVar[Mapping[int, PollOutcome]] = {
        428: PollOutcome.PENDING, 403: PollOutcome.DENIED, 410: PollOutcome.EXPIRED}
    scope_fields = ("scopes", "scope")

    def __init__(self, http: HttpClient) -> None:
        self.http = http

    @classmethod
    def at(cls, server: str) -> ConsoleClient:
        """A client of the console at ``server`` (a base URL, read by the one URL rule)."""
        return cls(HttpClient(server))

    @property
    def host(self) -> str:  # type: ignore[override]
        """The console's host, for messages."""
        return self.http.host

    def _send_device_request(self, client_name: str, scopes: tuple[str, ...]) -> Response:
        return self.http.request("POST", "/api/oauth/device",
                                 json_body={"client_name": client_name, "scopes": list(scopes)})

    def _send_token_request(self, device_code: str) -> Response:
        return self.http.request("POST", "/api/oauth/token",
                                 json_body={"device_code": device_code, "grant_type": DEVICE_GRANT_TYPE})

    # -- CLI endpoints ----------------------------------------------------

    def check_token(self, token: str) -> TokenCheck:
        """Ask the console whether a user token is accepted (``GET /api/v1/cli/projects``)."""
        try:
            response = self.http.request("GET", "/api/v1/cli/projects", bearer=token)
        except NetworkError as error:
            return TokenCheck(TokenStatus.UNKNOWN, error.message)
        if response.kind in ("html", "other") or (response.status == 200 and response.kind != "json"):
            # A captive portal's or a proxy's page says nothing about the token.
            return TokenCheck(TokenStatus.UNKNOWN, f"{self.host} answered {response.describe()}")
        if response.status == 200:
            return TokenCheck(TokenStatus.VALID)
        if response.status == 401:
            return TokenCheck(TokenStatus.INVALID, response.describe())
        if response.status == 403:
            return TokenCheck(TokenStatus.VALID, "lacks projects.read")
        return TokenCheck(TokenStatus.UNKNOWN, f"{self.host} answered {response.describe()}")

    def linked_project(self, access_key: str) -> dict[str, str]:
        """The project a project access key belongs to (``GET /api/v1/cli/project``).

        Raises AuthError when the key is refused, NetworkError/ServerError when
        the answer cannot be had.
        """
        response = self.http.request("GET", "/api/v1/cli/project", bearer=access_key)
        if response.status in (401, 403, 404) and response.kind == "json":
            raise AuthError(f"The project access key was refused by {self.host} ({response.describe()}).",
                            hint="Copy the key again from the project's settings in the Skytells console.")
        if response.status != 200:
            raise self._failure("could not look up the project", response)
        project = response.body()
        if not isinstance(project, dict):
            raise self._malformed(response, "the project is not a JSON object")
        return {k: terminal_safe(v, 200) for k, v in project.items()
                if k in ("id", "name", "slug", "status") and isinstance(v, str)}

    def health(self) -> Response:
        """``GET /api/v1/health``: the raw answer (its status and ``Date`` header matter)."""
        return self.http.request("GET", "/api/v1/health")
