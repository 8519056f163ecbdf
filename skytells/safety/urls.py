"""Where a credential may be sent: one strict reading of every service URL.

A URL is read once, by the parser the HTTP library itself uses
(``urllib3.util.parse_url``, which ``requests`` prepares every request with),
into a :class:`ServiceUrl`. That one value decides the rule (https, or plain
http to a loopback address only) and is the very thing requests are built
from, so the host that was checked is the host that is contacted.

Anything two parsers could read differently is refused rather than guessed
at: whitespace, control or non-ASCII characters, backslashes, a user name or
password (anything with ``@``), a fragment, a scheme other than http/https,
a host that is not a plain DNS name, a dotted-quad IPv4 address or a
bracketed IPv6 address (no zone id, no percent-encoding, no trailing dot, no
decimal/octal/hex/short IPv4 forms), a port that is empty, zero, out of range
or written with leading zeros, and any text that the parser would rewrite
(dot segments, characters it would percent-encode).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from skytells.errors import UsageError
from skytells.safety.sanitize import terminal_safe

SCHEMES = ("https", "http")
_SCHEME_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DNS_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
#: A path appended to a base URL in code (``/api/v1/cli/projects``): RFC 3986 path characters, no '@'.
_PATH_SUFFIX = re.compile(r"(?:/(?:[A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2})*)+")
_HINT = "Use a plain https:// URL (plain http is allowed for 127.0.0.1, ::1 and localhost only)."


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (IPv6 with or without brackets)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


def without_userinfo(text: str) -> str:
    """``text`` with everything that could be a user name or password masked, for display.

    Whatever any parser could take for userinfo (from after ``scheme://``, or
    from the start, up to the last ``@``) becomes ``***``; works on malformed
    text and on proxy settings written without a scheme.
    """
    scheme = _SCHEME_PREFIX.match(text)
    start = scheme.end() if scheme else 0
    at = text.rfind("@", start)
    return text if at < 0 else text[:start] + "***" + text[at:]


def shown(text: str) -> str:
    """A URL as it may appear in a message: userinfo masked, terminal-safe, at most 100 characters, quoted."""
    return repr(terminal_safe(without_userinfo(text), 100))


@dataclass(frozen=True)
class ServiceUrl:
    """An http(s) URL that passed :func:`parse_service_url`: what requests are built from.

    ``host`` is lower-case, IPv6 without brackets; ``path`` is empty or starts
    with ``/``; ``query`` is None when absent. ``setting`` names where the URL
    came from, for messages (not part of equality).
    """

    scheme: str
    host: str
    port: int | None
    path: str = ""
    query: str | None = None
    setting: str = field(default="", compare=False)

    @property
    def authority(self) -> str:
        """``host[:port]`` (IPv6 in brackets): how messages name the server. Never carries userinfo."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``."""
        return f"{self.scheme}://{self.authority}"

    @property
    def text(self) -> str:
        """The URL, written exactly as requests are sent to it."""
        return self.origin + self.path + ("" if self.query is None else "?" + self.query)

    def __str__(self) -> str:
        return self.text

    @property
    def is_loopback(self) -> bool:
        """True when the host is this machine (plain http is allowed only then)."""
        return is_loopback(self.host)

    def join(self, suffix: str) -> ServiceUrl:
        """This URL with ``suffix`` (a path such as ``/api/v1/health``) appended to its path; the query stays."""
        if not _PATH_SUFFIX.fullmatch(suffix):
            raise ValueError(f"not a plain path: {suffix!r}")
        return replace(self, path=self.path.rstrip("/") + suffix)

    def with_path(self, path: str) -> ServiceUrl:
        """This URL's origin with ``path`` (a plain path) and no query."""
        if not _PATH_SUFFIX.fullmatch(path):
            raise ValueError(f"not a plain path: {path!r}")
        return replace(self, path=path, query=None)

    def reaches(self, url: str) -> bool:
        """True when the HTTP stack would send ``url`` (a prepared request's URL) to this scheme, host and port.

        requests prepares with urllib3's parser but picks the connection's host,
        port and proxy with ``urllib.parse``: both must agree with this URL.
        """
        from urllib3.util import parse_url  # noqa: PLC0415  (loaded with the HTTP stack already: a lookup)

        try:
            ours = parse_url(url)
            theirs = urlsplit(url)
            target = (theirs.scheme, theirs.hostname, theirs.port)
        except ValueError:  # includes urllib3's LocationParseError
            return False
        host = (ours.host or "").removeprefix("[").removesuffix("]")
        expected = (self.scheme, self.host, self.port)
        return (ours.scheme, host, ours.port) == expected and target == expected and ours.auth is None \
            and theirs.username is None


def parse_service_url(text: str, setting: str, *, endpoint: bool = False) -> ServiceUrl:
    """Read ``text`` as a service URL, or raise UsageError (exit 2) naming ``setting``.

    A base URL (the default: ``SKYTELLS_API_URL``, ``--issuer``...) may not
    carry a query and loses trailing slashes, so that paths can be appended;
    an ``endpoint`` (from a server's metadata, a verification page) keeps its
    path and query exactly. The message never shows a user name or password.
    """
    def refuse(problem: str) -> UsageError:
        return UsageError(f"{setting} {problem}: {shown(text)}.", hint=_HINT)

    if not isinstance(text, str) or not text:
        raise UsageError(f"{setting} is empty.", hint=_HINT)
    if not all("!" <= character <= "~" for character in text):
        raise refuse("contains a space, a control character or a non-ASCII character")
    if "\\" in text:
        raise refuse("contains a backslash")
    if "@" in text:
        raise refuse("contains '@' (a user name or password does not belong in the URL)")
    if "#" in text:
        raise refuse("contains a fragment ('#')")
    # urllib3 takes as long to import as cliff.app (1.0x): only when a URL is read, never on a local command's path.
    from urllib3.util import parse_url  # noqa: PLC0415

    try:
        parsed = parse_url(text)
    except ValueError:  # urllib3's LocationParseError is one
        raise refuse("is not a valid URL") from None
    if parsed.scheme not in SCHEMES or not text.lower().startswith(f"{parsed.scheme}://"):
        raise refuse("must be an https:// URL")
    host = _plain_host(parsed.host or "")
    if host is None:
        raise refuse("does not name a plain host (a DNS name, a dotted IPv4 or a bracketed IPv6 address)")
    if parsed.port == 0:
        raise refuse("names port 0")
    if parsed.query is not None and not endpoint:
        raise refuse("must not contain a query ('?')")
    url = ServiceUrl(parsed.scheme, host, parsed.port, parsed.path or "", parsed.query, setting)
    if url.text.lower() != text.lower():
        # The library would rewrite it (an empty port, leading zeros, dot segments, characters it escapes):
        # what was written is not what would be used.
        raise refuse(f"is ambiguous (it would be read as {shown(url.text)})")
    if url.scheme == "http" and not url.is_loopback:
        raise UsageError(f"{setting} uses plain http for {terminal_safe(url.authority, 100)}; "
                         "credentials are only sent over https.", hint=_HINT)
    return url if endpoint else replace(url, path=url.path.rstrip("/"))


def _plain_host(host: str) -> str | None:
    """The host as connections use it (IPv6 without brackets), or None when it is not plainly one thing."""
    if host.startswith("["):
        try:
            address = ipaddress.IPv6Address(host[1:].removesuffix("]"))
        except ValueError:  # IPvFuture, or not an address at all
            return None
        return str(address) if host.endswith("]") and address.scope_id is None else None  # no zone id
    if not _DNS_NAME.fullmatch(host) or len(host) > 253:
        return None
    if host.rpartition(".")[2][:1].isdigit():
        # A numeric last label is read as an IPv4 address in forms resolvers disagree on
        # (2130706433, 0x7f.1, 017.0.0.1, 127.1): only the canonical dotted quad is plain.
        try:
            return host if str(ipaddress.IPv4Address(host)) == host else None
        except ValueError:
            return None
    return host
