"""One HTTP client for the Skytells services: timeouts, keep-alive, safe errors.

Every request has a timeout, for each read and for the whole exchange
(``SKYTELLS_HTTP_TIMEOUT`` shortens both); redirects are never followed (a
credential must not travel to a host the user did not name); bodies are read
up to a cap; and every failure becomes a one-line NetworkError or ServerError naming the host.
Proxies and CA bundles come from the environment as requests users expect
(``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from skytells.cli_version import __version__
from skytells.errors import NetworkError, ServerError, UsageError
from skytells.sanitize import terminal_safe

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
#: Overrides both timeouts (seconds); a whole request may take at most twice this.
ENV_TIMEOUT = "SKYTELLS_HTTP_TIMEOUT"
MAX_TIMEOUT = 600.0
MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = f"skytells-cli/{__version__}"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


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


def check_base_url(url: str, setting: str) -> tuple[str, str]:
    """Validate a service URL; return (scheme, host). Plain http is allowed only on loopback."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        raise UsageError(f"{setting} must be an https:// URL, not {terminal_safe(url, 80)!r}.")
    if parts.scheme == "http" and not is_loopback(host):
        raise UsageError(f"{setting} uses plain http for {terminal_safe(host, 80)}; "
                         "credentials are only sent over https.",
                         hint="Use an https:// URL (http is allowed for 127.0.0.1 and localhost only).")
    return parts.scheme, host


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

    def describe(self, *, hide: str | None = None) -> str:
        """A short, terminal-safe description of an unsuccessful answer, with ``hide`` (a secret) blanked."""
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
                    if hide:
                        text = text.replace(hide, "[redacted]")
                    return f"HTTP {self.status}: {terminal_safe(text, 200)}"
        return f"HTTP {self.status}"


class HttpClient:
    """A keep-alive session bound to one base URL."""

    def __init__(self, base_url: str, *, setting: str = "SKYTELLS_API_URL",
                 timeout: tuple[float, float] | None = None) -> None:
        check_base_url(base_url, setting)
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(base_url).netloc.rpartition("@")[2]  # never user:password@ in messages
        self.timeout = timeout or default_timeout()
        self._session: Any = None

    def _get_session(self) -> Any:
        if self._session is None:
            import requests

            self._session = requests.Session()
            self._session.headers["User-Agent"] = USER_AGENT
            self._session.headers["Accept"] = "application/json"
        return self._session

    def close(self) -> None:
        """Close pooled connections."""
        if self._session is not None:
            self._session.close()

    def request(self, method: str, path: str, *, json_body: Any = None, bearer: str | None = None,
                headers: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Response:
        """Send one request; raise NetworkError when no answer arrives."""
        import requests

        all_headers = dict(headers or {})
        if bearer is not None:
            all_headers["Authorization"] = f"Bearer {bearer}"
        try:
            with _deadline(sum(self.timeout)):
                try:
                    raw = self._get_session().request(
                        method, self.base_url + path, json=json_body, data=form, headers=all_headers,
                        timeout=self.timeout, allow_redirects=False, stream=True,
                    )
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

    def _read(self, raw: Any) -> Response:
        import requests

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
            target = terminal_safe(urlsplit(headers.get("location", "")).netloc or "another address", 120)
            raise ServerError(f"{self.host} answered with a redirect (HTTP {raw.status_code}) to {target}; "
                              "credentials are never sent on to another address.",
                              hint="Check SKYTELLS_API_URL.")
        text = b"".join(chunks).decode("utf-8", errors="replace")
        if not text.strip():
            response.kind = "empty"
            return response
        try:
            response.data = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: hostile nesting such as "[[[[..."
            response.kind = "html" if text.lstrip()[:1] == "<" else "other"
        return response

    def _explain(self, error: Exception) -> str:
        import requests

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
