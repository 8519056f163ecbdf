"""An authenticated client of one Skytells API origin: what ``skytells api`` and plugin commands send requests with.

An :class:`ApiClient` is bound to one base URL (the console, the inference
API, or a standard provider's issuer), which passed the one URL rule
(``skytells.safety.urls``: https, or plain http to loopback). It keeps every
promise of ``skytells.net.http`` and adds what a general-purpose client needs:

- **The credential travels to its own origin only.** A path is joined to
  the base URL; an absolute URL is accepted only on the base URL's origin
  (anything else is a UsageError, exit 2, before any request). A redirect
  to another origin is never followed (a ServerError naming the host; the
  other host receives nothing); a redirect on the same origin is followed
  (at most :data:`MAX_REDIRECTS`), with the credential.
- **The credential is found on first use** (``credential()``), so that a
  refused URL costs no store read, no refresh and no request, and it is
  renewed once when the server answers 401 and the source can renew it
  (a user token with a refresh token).
- **Bounds.** A request body of at most :data:`MAX_REQUEST_BYTES` (else
  UsageError), an answer of at most :data:`MAX_RESPONSE_BYTES` after
  decompression (else ServerError), and the connect/read timeouts and the
  whole-exchange deadline of ``skytells.net.http`` for every hop.
- **Errors with the documented exit codes.** With ``check=True`` (the
  default) an answer outside 2xx raises :class:`ApiAuthError` (401, exit 4)
  or :class:`ApiStatusError` (every other status, exit 1), one line built
  from the body's ``error.message`` / ``message`` / ``response`` and the
  status. Every credential the request carries, and every secret-named field
  of the answer, is registered with the redaction step first, so no message,
  log or ``--debug`` output shows one.
- **A seam for proof-of-possession.** ``signer``, when given, is called with
  each :class:`OutgoingRequest` right before it is sent (after the
  credential is attached, for every retry and redirect hop) and may add
  headers. Tokens bound to a key (DPoP, RFC 9449) are not implemented: no
  credential source sets a signer today.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote, urlencode, urljoin, urlsplit

from skytells.errors import AuthError, NetworkError, ServerError, UsageError
from skytells.safety import redaction
from skytells.safety.sanitize import terminal_safe
from skytells.safety.urls import ServiceUrl, parse_service_url

#: The largest request body sent (a UsageError beyond it).
MAX_REQUEST_BYTES = 8 * 1024 * 1024
#: The largest answer read, after decompression (a ServerError beyond it).
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
#: Redirects followed on the same origin before giving up.
MAX_REDIRECTS = 5
#: Headers a caller may not set: the transport owns them.
TRANSPORT_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_REDIRECTS = (301, 302, 303, 307, 308)
#: Characters a path keeps as they are; anything else is percent-encoded (``@`` included: never userinfo).
_PATH_SAFE = "/!$&'()*+,;=:-._~%"


@dataclass
class ApiCredential:
    """What authenticates a request: one header, and how to get a fresh one after a 401.

    ``value`` is the header's whole value (``Bearer sk_pat_...`` or the API
    key); ``what`` names the credential in messages ("the user token").
    ``renew``, when set, returns a new credential after the server refused
    this one (HTTP 401), or None when there is nothing newer: it is called
    at most once per request. ``sign``, when set, adds what the credential
    needs beside its header to each request (a DPoP proof for a token bound
    to a key, RFC 9449).
    """

    header: str
    value: str = field(repr=False)
    what: str
    renew: Callable[[], ApiCredential | None] | None = field(default=None, repr=False, compare=False)
    sign: Callable[[OutgoingRequest], None] | None = field(default=None, repr=False, compare=False)


@dataclass
class OutgoingRequest:
    """A request about to be sent, as a :class:`RequestSigner` sees it: it may add to ``headers``."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = field(default=None, repr=False)


class RequestSigner(Protocol):
    """Called with every request right before it is sent (the seam for DPoP proofs, RFC 9449)."""

    def __call__(self, request: OutgoingRequest) -> None: ...


@dataclass
class ApiResponse:
    """An answer: status, headers as received, the body's bytes, and the body read as JSON when it is."""

    status: int
    reason: str
    #: The HTTP version the server spoke ("1.1").
    http_version: str
    #: Every header as received, in order (names as the server wrote them).
    header_list: list[tuple[str, str]]
    content: bytes = field(repr=False)
    url: ServiceUrl
    #: The host (``host[:port]``) for messages.
    host: str = ""

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.header_list if key.lower() == wanted), None)

    @property
    def content_type(self) -> str:
        """The media type, lower case, without parameters ("" when none was sent)."""
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str | None:
        """The body as UTF-8 text, or None when it is not."""
        try:
            return self.content.decode("utf-8")
        except UnicodeDecodeError:
            return None

    @property
    def data(self) -> Any:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        text = self.text
        if text is None or not text.strip():
            return None
        try:
            return jsonlib.loads(text)
        except (ValueError, RecursionError):  # RecursionError: hostile nesting
            return None

    @property
    def is_json(self) -> bool:
        """True when the body is JSON (whatever the Content-Type says)."""
        text = self.text
        if text is None or not text.strip():
            return False
        try:
            jsonlib.loads(text)
        except (ValueError, RecursionError):
            return False
        return True

    def json(self) -> Any:
        """The body parsed as JSON; ServerError when it is not JSON."""
        if not self.is_json:
            raise ServerError(f"{self.host} answered HTTP {self.status} with a body that is not JSON.")
        return self.data

    def body(self) -> Any:
        """The JSON body with a ``{"data": ...}`` wrapper removed (the console's and the API's way)."""
        data = self.json()
        if isinstance(data, dict) and "data" in data and set(data) <= {"data", "pagination", "meta", "links"}:
            return data["data"]
        return data

    def error_message(self) -> str:
        """What the server said went wrong, terminal-safe, secrets masked: the message, details and error id.

        Read from ``{"error": {"message", "details", "error_id"}}``, ``{"error": "...", "message": "..."}``,
        ``{"message"}``, ``{"response"}`` or ``{"error_description"}``; "" when the body says nothing usable.
        """
        data = self.data
        if not isinstance(data, dict):
            return ""
        error = data.get("error")
        details = error_id = None
        if isinstance(error, dict):
            message = _text(error.get("message")) or _text(error.get("error"))
            details, error_id = _text(error.get("details")), _text(error.get("error_id"))
        else:
            message = (_text(data.get("message")) or _text(data.get("error_description"))
                       or _text(data.get("response")) or _text(error))
            details = _text(data.get("details"))
        parts = [part for part in (message, details if details != message else None) if part]
        shown_text = ": ".join(parts) + (f" [{error_id}]" if error_id else "")
        return terminal_safe(redaction.redact(shown_text), 300) if shown_text else ""

    def describe(self) -> str:
        """``HTTP 404: Model not found [err_1]``: the status and what the server said, for one error line."""
        said = self.error_message()
        if said:
            return f"HTTP {self.status}: {said}"
        if self.content and self.content.lstrip()[:1] == b"<":
            return f"HTTP {self.status} with an HTML page instead of JSON"
        return f"HTTP {self.status} {terminal_safe(self.reason, 60)}".rstrip()

    def raise_for_status(self, what: str = "") -> None:
        """Raise :class:`ApiAuthError` (401) or :class:`ApiStatusError` (other non-2xx); nothing for 2xx."""
        if self.ok:
            return
        if self.status == 401:
            refused = f" {what}" if what else " the credential"
            raise ApiAuthError(f"{self.host} refused{refused} ({self.describe()}).", response=self)
        raise ApiStatusError(f"{self.host} answered {self.describe()}.", response=self)


def _text(value: object) -> str | None:
    """A non-empty string without surrounding space and a final full stop (the message adds its own)."""
    return value.strip().rstrip(".") if isinstance(value, str) and value.strip().rstrip(".") else None


class ApiAuthError(AuthError):
    """The server answered 401: the credential is missing, invalid or expired (exit 4)."""

    def __init__(self, message: str, *, response: ApiResponse, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.response = response


class ApiStatusError(ServerError):
    """The server answered with an error status other than 401 (exit 1); ``response`` is the answer."""

    reason = "api_status"

    def __init__(self, message: str, *, response: ApiResponse, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.response = response


_UNSET: Any = object()


class ApiClient:
    """Requests to one API origin with one credential (see the module docstring).

    ``base`` is the base URL paths are joined to; ``credential`` returns the
    credential on first use (None: requests go without one); ``name`` names
    the API in messages ("the inference API") and ``setting`` the variable or
    option the base URL came from.
    """

    def __init__(self, base: ServiceUrl | str, *, credential: Callable[[], ApiCredential | None] | None = None,
                 name: str = "the API", setting: str = "", signer: RequestSigner | None = None,
                 timeout: tuple[float, float] | None = None, max_request_bytes: int = MAX_REQUEST_BYTES,
                 max_response_bytes: int = MAX_RESPONSE_BYTES, hint_on_401: str | None = None) -> None:
        self.base = base if isinstance(base, ServiceUrl) else parse_service_url(base, setting or "the API URL")
        self.name = name
        self.setting = setting or self.base.setting
        self.signer = signer
        self.max_request_bytes = max_request_bytes
        self.max_response_bytes = max_response_bytes
        self.hint_on_401 = hint_on_401
        self._find_credential = credential
        self._credential: ApiCredential | None = None
        self._found = False
        # The HTTP stack (requests: 1.03x cliff.app's import) loads when a client is made: 'api --help' has none.
        from skytells.net import http  # noqa: PLC0415

        self._http = http.HttpClient(self.base, setting=self.setting, timeout=timeout)

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the base URL: the one origin the credential is sent to."""
        return self.base.origin

    @property
    def host(self) -> str:
        """``host[:port]``, for messages."""
        return self.base.authority

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- URLs ------------------------------------------------------------------------------------

    def url(self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None) -> ServiceUrl:
        """The URL ``path`` names: joined to the base URL, or an absolute URL of the base's origin.

        ``params`` are added to the query. UsageError (exit 2) for an absolute
        URL of another origin, a URL the one URL rule refuses, or a path that
        is not a plain path.
        """
        if "://" in path.split("?", 1)[0] or path.startswith("//"):
            url = parse_service_url(path, "The URL", endpoint=True)
            if url.origin != self.origin:
                raise UsageError(f"{url.origin} is not {self.origin}, where {self.name} is; "
                                 "the credential is only ever sent to its own origin.",
                                 hint=f"Give a path, or a URL on {self.origin}.")
        else:
            raw_path, _, query = path.partition("?")
            suffix = "/" + quote(raw_path.lstrip("/"), safe=_PATH_SAFE)
            try:
                joined = self.base.join(suffix) if suffix != "/" else self.base.join("/")
            except ValueError:
                # The path itself is not shown: what could not be placed may be a secret typed by mistake.
                raise UsageError("The path is not a plain path (a '%' must start a %XX escape).") from None
            url = ServiceUrl(joined.scheme, joined.host, joined.port, joined.path, query or None, self.setting)
            if any(not ("!" <= character <= "~") or character == "#" for character in query):
                raise UsageError("The path's query holds a space or a character that is not ASCII.",
                                 hint="Percent-encode it, or pass the fields with -f/-F.")
        if params:
            extra = urlencode([(key, _query_text(value)) for key, value in
                               (params.items() if isinstance(params, Mapping) else params)])
            url = ServiceUrl(url.scheme, url.host, url.port, url.path,
                             f"{url.query}&{extra}" if url.query else extra, self.setting)
        return url

    # -- requests --------------------------------------------------------------------------------

    def get(self, path: str, **kwargs: Any) -> ApiResponse:
        """``request("GET", path, ...)``."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> ApiResponse:
        """``request("POST", path, ...)``."""
        return self.request("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> ApiResponse:
        """``request("DELETE", path, ...)``."""
        return self.request("DELETE", path, **kwargs)

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
                json: Any = _UNSET, data: bytes | None = None, headers: Mapping[str, str] | None = None,
                check: bool = True, authenticate: bool = True) -> ApiResponse:
        """Send one request and return the answer (redirects on the same origin followed).

        ``json`` is sent as a JSON body, ``data`` as a raw one (give a
        Content-Type in ``headers``); ``params`` join the query. With
        ``check``, an answer outside 2xx raises :class:`ApiAuthError` (401) or
        :class:`ApiStatusError`; without it, the answer is returned whatever
        its status. ``authenticate=False`` sends no credential.
        NetworkError when no answer arrives; ServerError for a redirect to
        another origin or an answer over the size limit.
        """
        method = method.upper()
        if not method.isalpha() or len(method) > 20:
            raise UsageError(f"{terminal_safe(method, 24)!r} is not an HTTP method.")
        url = self.url(path, params)
        all_headers = self._checked_headers(headers)
        body: bytes | None = data
        if json is not _UNSET:
            if data is not None:
                raise UsageError("A request has either a JSON body or a raw one, not both.")
            redaction.REDACTOR.register_fields(json)
            body = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            if not any(name.lower() == "content-type" for name in all_headers):
                all_headers["Content-Type"] = "application/json"
        if body is not None and len(body) > self.max_request_bytes:
            raise UsageError(f"The request body is larger than {self.max_request_bytes // (1024 * 1024)} MiB.")
        credential = self._current_credential() if authenticate else None
        response = self._send_following(method, url, all_headers, body, credential)
        if response.status == 401 and credential is not None and credential.renew is not None:
            renewed = credential.renew()
            if renewed is not None and renewed.value != credential.value:
                self._credential = credential = renewed
                response = self._send_following(method, url, all_headers, body, credential)
        if check:
            self.raise_for(response, credential)
        return response

    def raise_for(self, response: ApiResponse, credential: ApiCredential | None = None) -> None:
        """Raise the error for an answer outside 2xx (see :meth:`ApiResponse.raise_for_status`), with hints."""
        if response.ok:
            return
        what = (credential or self._credential)
        try:
            response.raise_for_status(what.what if what is not None else "the request (no credential was sent)")
        except ApiAuthError as error:
            error.hint = error.hint or self.hint_on_401
            raise

    def _checked_headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        checked: dict[str, str] = {}
        for name, value in (headers or {}).items():
            if not name or not all(c.isalnum() or c in "!#$%&'*+-.^_`|~" for c in name):
                raise UsageError(f"{terminal_safe(name, 60)!r} is not a header name.")
            if name.lower() in TRANSPORT_HEADERS:
                raise UsageError(f"The {terminal_safe(name, 60)} header is set by the HTTP library, not by hand.")
            if any(c in value for c in "\r\n\0"):
                raise UsageError(f"The value of the {terminal_safe(name, 60)} header spans lines.")
            checked[name] = value
        redaction.REDACTOR.register_headers(checked)
        return checked

    def _current_credential(self) -> ApiCredential | None:
        if not self._found:
            self._credential = self._find_credential() if self._find_credential is not None else None
            self._found = True
        if self._credential is not None:
            redaction.REDACTOR.register_headers({self._credential.header: self._credential.value})
        return self._credential

    def _send_following(self, method: str, url: ServiceUrl, headers: dict[str, str], body: bytes | None,
                        credential: ApiCredential | None) -> ApiResponse:
        """Send, following redirects on the same origin only."""
        for _hop in range(MAX_REDIRECTS + 1):
            response = self._send_once(method, url, headers, body, credential)
            if response.status not in _REDIRECTS:
                return response
            location = response.header("location")
            if not location:
                return response
            url = self._redirect_target(url, location, response.status)
            if response.status == 303 or (response.status in (301, 302) and method not in ("GET", "HEAD")):
                method, body = ("HEAD" if method == "HEAD" else "GET"), None
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        raise ServerError(f"{self.host} redirected more than {MAX_REDIRECTS} times; giving up.")

    def _redirect_target(self, current: ServiceUrl, location: str, status: int) -> ServiceUrl:
        absolute = urljoin(current.text, location.strip())
        try:
            target = parse_service_url(absolute, "the redirect", endpoint=True)
        except UsageError:
            target = None
        if target is None or target.origin != self.origin:
            # Only the host: a path or query could carry something the server echoed back.
            where = terminal_safe(urlsplit(absolute).netloc.rpartition("@")[2] or "another address", 120)
            raise ServerError(f"{self.host} answered with a redirect (HTTP {status}) to {where}; not followed: "
                              "credentials are only sent to their own origin.",
                              hint=f"Ask {where} directly if you trust it.")
        return target

    def _send_once(self, method: str, url: ServiceUrl, headers: dict[str, str], body: bytes | None,
                   credential: ApiCredential | None) -> ApiResponse:
        import requests  # noqa: PLC0415  (loaded with the client already: a lookup)

        from skytells.net import http  # noqa: PLC0415  (the same)

        outgoing = OutgoingRequest(method, url.text, dict(headers), body)
        if credential is not None:
            outgoing.headers[credential.header] = credential.value
            if credential.sign is not None:
                credential.sign(outgoing)
        if self.signer is not None:
            self.signer(outgoing)
            redaction.REDACTOR.register_headers(outgoing.headers)
        client = self._http
        try:
            with http._deadline(sum(client.timeout)):
                try:
                    raw = client._send(requests.Request(outgoing.method, outgoing.url, data=outgoing.body,
                                                        headers=outgoing.headers, auth=http._headers_as_given))
                except requests.exceptions.RequestException as error:
                    raise NetworkError(client._explain(error)) from None
                except UnicodeError:
                    raise ServerError(f"The exchange with {self.host} failed: a header was not valid text.") \
                        from None
                try:
                    return self._read(raw, url)
                finally:
                    raw.close()
        except http._Overdue:
            raise NetworkError(f"{self.host} did not answer in time.") from None

    def _read(self, raw: Any, url: ServiceUrl) -> ApiResponse:
        import requests  # noqa: PLC0415  (loaded by _send_once already: a lookup)

        chunks: list[bytes] = []
        size = 0
        try:
            if raw.status_code not in _REDIRECTS:  # a redirect's body is never needed
                for chunk in raw.iter_content(65536):
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        raise ServerError(f"{self.host} sent an answer larger than "
                                          f"{self.max_response_bytes // (1024 * 1024)} MiB "
                                          f"(HTTP {raw.status_code}); giving up.")
                    chunks.append(chunk)
        except requests.exceptions.RequestException as error:
            raise NetworkError(self._http._explain(error)) from None
        version = getattr(getattr(raw, "raw", None), "version", 11)
        response = ApiResponse(
            status=raw.status_code, reason=str(raw.reason or ""),
            http_version={10: "1.0", 11: "1.1", 20: "2"}.get(version, "1.1"),
            header_list=list(raw.raw.headers.items()) if getattr(raw, "raw", None) is not None
            else list(raw.headers.items()),
            content=b"".join(chunks), url=url, host=self.host)
        # Every secret a server hands out is registered before it, or an error text echoing it, can be shown.
        redaction.REDACTOR.register_fields(response.data)
        return response


def _query_text(value: Any) -> str:
    """A value as a query string shows it: ``true``/``false``, ``""`` for null, else its text (JSON for lists)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return jsonlib.dumps(value, separators=(",", ":"))
    return str(value)
