"""One HTTP client for the Skytells services: timeouts, keep-alive, safe errors.

Every request has a timeout, for each read and for the whole exchange
(``SKYTELLS_HTTP_TIMEOUT`` shortens both); redirects are never followed (a
credential must not travel to a host the user did not name); bodies are read
up to a cap; and every failure becomes a one-line NetworkError or ServerError naming the host.

Every request is built from one :class:`skytells.safety.urls.ServiceUrl`, the value
that passed the https-or-loopback rule, and the prepared request is checked
to go to that very host before it is sent. Proxies and CA bundles come from
the environment as requests users expect (``HTTPS_PROXY``, ``NO_PROXY``,
``REQUESTS_CA_BUNDLE``), except that a loopback server is always reached
directly: a proxy would carry plain http off this machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

from skytells.cli_version import __version__
from skytells.errors import NetworkError, ServerError, UsageError
from skytells.safety import redaction
from skytells.safety.sanitize import terminal_safe
from skytells.safety.urls import ServiceUrl, parse_service_url

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
#: Overrides both timeouts (seconds); a whole request may take at most twice this.
ENV_TIMEOUT = "SKYTELLS_HTTP_TIMEOUT"
MAX_TIMEOUT = 600.0
MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = f"skytells-cli/{__version__}"


def default_timeout() -> tuple[float, float]:
    """(connect, read) timeouts in seconds: 10 and 30, or both ``$SKYTELLS_HTTP_TIMEOUT``."""
    value = os.environ.get(ENV_TIMEOUT, "").strip()
    if not value:
        return (CONNECT_TIMEOUT, READ_TIMEOUT)
    try:
        seconds = float(value)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= MAX_TIMEOUT:  # NaN fails this too
        raise UsageError(f"{ENV_TIMEOUT} must be a number of seconds above 0 and at most {MAX_TIMEOUT:.0f}, "
                         f"not {terminal_safe(value, 40)!r}.")
    return (seconds, seconds)


class _Overdue(BaseException):
    """Raised inside a request that outlived its whole deadline (a BaseException: no library swallows it)."""


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block once ``seconds`` have passed in all.

    Timeouts apply to each read, so a server that trickles a byte at a time
    could hold a request open for hours; a SIGALRM timer bounds the whole
    exchange. Only the main thread of a POSIX process receives signals;
    elsewhere the per-read timeouts are the only bound.
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def overdue(_signum: int, _frame: Any) -> None:
        raise _Overdue

    previous = signal.signal(signal.SIGALRM, overdue)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous if previous is not None else signal.SIG_DFL)


@dataclass
class Response:
    """A server answer: status, headers and the parsed JSON body (None when not JSON)."""

    status: int
    headers: dict[str, str]
    data: Any = None
    kind: str = "json"  # "json", "empty", "html" or "other"
    host: str = field(default="", repr=False)

    def body(self) -> Any:
        """The JSON body with the console's ``{"data": ...}`` wrapper removed."""
        if isinstance(self.data, dict) and set(self.data) == {"data"}:
            return self.data["data"]
        return self.data

    def error_code(self) -> str | None:
        """The ``error`` field of a JSON error body, if it is a short string."""
        code = self.data.get("error") if isinstance(self.data, dict) else None
        return code if isinstance(code, str) and len(code) <= 100 else None

    def describe(self) -> str:
        """A short, terminal-safe description of an unsuccessful answer.

        A secret the server echoes in it is masked (``skytells.safety.redaction``) before the text is cut
        to length, so that no error message built from it holds one: every credential sent, and
        every secret a server handed out, was registered when the request went or the answer came.
        """
        if self.kind == "html":
            return f"HTTP {self.status} with an HTML page instead of JSON (a proxy or captive portal?)"
        if self.kind == "other":
            return f"HTTP {self.status} with a body that is not JSON"
        if self.kind == "empty":
            return f"HTTP {self.status} with an empty body"
        if isinstance(self.data, dict):
            for key in ("error_description", "message", "error"):
                text = self.data.get(key)
                if isinstance(text, str) and text.strip():
                    return f"HTTP {self.status}: {terminal_safe(redaction.redact(text), 200)}"
        return f"HTTP {self.status}"


def _headers_as_given(request: Any) -> Any:
    """An explicit no-op auth: without one, requests would take credentials from ~/.netrc for the host
    and replace the Authorization header the CLI set."""
    return request


class HttpClient:
    """A keep-alive session bound to one base URL (a :class:`ServiceUrl`, or text read by the same rule)."""

    def __init__(self, base_url: str | ServiceUrl, *, setting: str = "SKYTELLS_API_URL",
                 timeout: tuple[float, float] | None = None) -> None:
        self.url = base_url if isinstance(base_url, ServiceUrl) else parse_service_url(base_url, setting)
        self.host = self.url.authority  # what messages call the server: never user:password@
        self.timeout = timeout or default_timeout()
        self._session: Any = None

    def _get_session(self) -> Any:
        if self._session is None:
            self._session = requests.Session()
            self._session.headers["User-Agent"] = USER_AGENT
            self._session.headers["Accept"] = "application/json"
        return self._session

    def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            self._session.close()

    def request(self, method: str, path: str | ServiceUrl, *, json_body: Any = None, bearer: str | None = None,
                headers: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Response:
        """Send one request to ``path`` under the base URL (or to a URL of the same origin); raise
        NetworkError when no answer arrives.

        Every credential it carries (the bearer token, credential headers,
        secret-named form and JSON fields) is registered with the redaction step first.
        """
        target = self._target(path)
        all_headers = dict(headers or {})
        if bearer is not None:
            all_headers["Authorization"] = f"Bearer {bearer}"
        redaction.REDACTOR.register_headers(all_headers)
        redaction.REDACTOR.register_fields(form)
        redaction.REDACTOR.register_fields(json_body)
        try:
            with _deadline(sum(self.timeout)):
                try:
                    raw = self._send(requests.Request(method, target.text, json=json_body, data=form,
                                                      headers=all_headers, auth=_headers_as_given))
                except requests.exceptions.RequestException as error:
                    raise NetworkError(self._explain(error)) from None
                except UnicodeError:  # a redirect Location that is not UTF-8, or a credential that is not Latin-1
                    raise ServerError(f"The exchange with {self.host} failed: a header was not valid text.") from None
                try:
                    return self._read(raw)
                finally:
                    raw.close()
        except _Overdue:
            raise NetworkError(f"{self.host} did not answer in time.") from None

    def _target(self, path: str | ServiceUrl) -> ServiceUrl:
        """The absolute URL of ``path``: under the base URL, or a URL of the same origin."""
        if isinstance(path, ServiceUrl):
            if path.origin != self.url.origin:
                raise ValueError(f"{path.origin} is not {self.url.origin}")
            return path
        return self.url.join(path)

    def _send(self, request: Any) -> Any:
        """Prepare ``request``, check it goes where the base URL was checked to go, and send it."""
        session = self._get_session()
        prepared = session.prepare_request(request)
        if not self.url.reaches(prepared.url):
            raise UsageError(f"{self.url.setting or 'The URL'} is ambiguous: the HTTP library would not send "
                             f"the request to {self.host}.")
        settings = session.merge_environment_settings(prepared.url, {}, True, None, None)
        if self.url.is_loopback:
            settings["proxies"] = {}  # never through a proxy: plain http must not leave this machine
        return session.send(prepared, timeout=self.timeout, allow_redirects=False, **settings)

    def _read(self, raw: Any) -> Response:
        headers = {k.lower(): v for k, v in raw.headers.items()}
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in raw.iter_content(65536):
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise ServerError(f"{self.host} sent an answer larger than {MAX_BODY_BYTES // 1024} KiB "
                                      f"(HTTP {raw.status_code}); giving up.")
                chunks.append(chunk)
        except requests.exceptions.RequestException as error:
            raise NetworkError(self._explain(error)) from None
        response = Response(raw.status_code, headers, host=self.host)
        if 300 <= raw.status_code < 400:
            # Only the host: a path or query could carry something secret the server echoed back.
            target = terminal_safe(urlsplit(headers.get("location", "")).netloc.rpartition("@")[2]
                                   or "another address", 120)
            raise ServerError(f"{self.host} answered with a redirect (HTTP {raw.status_code}) to {target}; "
                              "credentials are never sent on to another address.",
                              hint=f"Check {self.url.setting or 'the server URL'}.")
        text = b"".join(chunks).decode("utf-8", errors="replace")
        if not text.strip():
            response.kind = "empty"
            return response
        try:
            response.data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: hostile nesting such as "[[[[..."
            response.kind = "html" if text.lstrip()[:1] == "<" else "other"
        # Every answer is read here: the secrets a server hands out (access_token, device_code, ...) are
        # registered before any of them, or an error text echoing one, can be shown.
        redaction.REDACTOR.register_fields(response.data)
        return response

    def _explain(self, error: Exception) -> str:
        text = str(error)
        if isinstance(error, requests.exceptions.SSLError):
            if "certificate" not in text.lower():
                return f"TLS error talking to {self.host}: the secure connection failed (is it an https server?)."
            return (f"TLS error talking to {self.host}: the certificate could not be verified "
                    "(behind a proxy? set REQUESTS_CA_BUNDLE to its CA bundle).")
        if isinstance(error, requests.exceptions.ProxyError):
            return f"The proxy refused or failed the connection to {self.host}."
        if isinstance(error, requests.exceptions.Timeout):
            return f"{self.host} did not answer in time."
        if "NameResolution" in text or "Name or service not known" in text or "nodename nor servname" in text:
            return f"Could not resolve {self.host} (DNS lookup failed; are you offline?)."
        if "Connection refused" in text:
            return f"Could not connect to {self.host} (connection refused)."
        if "reset" in text.lower():
            return f"The connection to {self.host} was reset."
        if isinstance(error, requests.exceptions.ConnectionError):
            return f"Could not connect to {self.host}."
        return f"Request to {self.host} failed ({type(error).__name__})."
