"""Transport-independent HTTP requests and responses, and helpers to build them."""

from __future__ import annotations

import dataclasses
import html
import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
FORM_TYPE = "application/x-www-form-urlencoded"


class InvalidBodyError(ValueError):
    """The request body could not be read as the expected format."""


@dataclass(frozen=True)
class Request:
    """An HTTP request, already read from the connection."""

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """Return the value of header ``name`` (case-insensitive), or ``None``."""
        return find_header(self.headers, name)

    def query_value(self, name: str) -> str | None:
        """Return the first value of query parameter ``name``, or ``None``."""
        values = urllib.parse.parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None

    def is_form(self) -> bool:
        """Whether the body is declared as an HTML form submission."""
        content_type = self.header("Content-Type") or ""
        return content_type.split(";")[0].strip().lower() == FORM_TYPE

    def json_object(self, *, allow_empty: bool = False) -> dict[str, Any]:
        """Parse the body as a JSON object, or raise :class:`InvalidBodyError`."""
        if not self.body.strip():
            if allow_empty:
                return {}
            raise InvalidBodyError("Request body must be a JSON object")
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise InvalidBodyError("Request body is not valid JSON") from None
        if not isinstance(value, dict):
            raise InvalidBodyError("Request body must be a JSON object")
        return value

    def form(self) -> dict[str, str]:
        """Parse the body as a URL-encoded form, first value of each field."""
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidBodyError("Form body is not UTF-8") from None
        fields = urllib.parse.parse_qs(text, keep_blank_values=True)
        return {name: values[0] for name, values in fields.items()}

    def bearer_token(self) -> str | None:
        """The credential of an ``Authorization: Bearer`` header, or ``None``."""
        scheme, _, credential = (self.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            return None
        return credential.strip()


def find_header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header ``name`` (case-insensitive) in ``headers``, or ``None``."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


@dataclass(frozen=True)
class Response:
    """An HTTP response to send; ``Content-Length`` is added when it is written."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()


def json_response(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Response:
    """A JSON response."""
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return Response(status, body, JSON_TYPE, headers)


def error_response(status: int, error: str, message: str | None = None) -> Response:
    """A JSON error in the console's shape: ``{"error": ..., "message": ...}``."""
    payload = {"error": error}
    if message is not None:
        payload["message"] = message
    return json_response(status, payload)


def html_response(status: int, page: str) -> Response:
    """An HTML page that may load nothing from elsewhere and may not be framed."""
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )
    headers = (
        ("Content-Security-Policy", policy),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
        ("Referrer-Policy", "no-referrer"),
    )
    return Response(status, page.encode("utf-8"), HTML_TYPE, headers)


def see_other(location: str) -> Response:
    """A 303 redirect to ``location``, a path on this server that the browser fetches with GET."""
    link = html.escape(location)
    page = html_response(303, f'<!DOCTYPE html>\n<p>See <a href="{link}">{link}</a>.</p>\n')
    return dataclasses.replace(page, headers=(*page.headers, ("Location", location)))


class RefusedError(Exception):
    """Raised inside an endpoint to answer at once with ``response``."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def answers_refusals(
    endpoint: Callable[[Any, Request], Response],
) -> Callable[[Any, Request], Response]:
    """Wrap an endpoint so that a ``RefusedError`` it raises becomes its answer."""

    def run(ctx: Any, request: Request) -> Response:
        try:
            return endpoint(ctx, request)
        except RefusedError as exc:
            return exc.response

    run.__doc__ = endpoint.__doc__
    return run
