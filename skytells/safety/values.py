"""Checks for the values the CLI reads from servers and from the credentials file.

Every parser of a token endpoint's answer, a device authorization, server
metadata or ``credentials.json`` reads numbers, tokens and scopes through
these functions, so a value that is out of range or of the wrong JSON type is
caught where it enters, never later in arithmetic or display.

Two kinds of check:

- :func:`seconds` clamps: a duration a server announces may be replaced by a
  default or a bound (RFC 6749 section 5.1 and RFC 8628 section 3.2 make
  ``expires_in`` and ``interval`` advice, not commands);
- the others raise :class:`BadValue`, whose text completes the sentence
  "the field ... <text>" and never repeats the value (it may be a secret).
  The caller turns it into its own error naming the source (the server's
  host, or the file's path and the field).

Bounds (documented in docs/security.md):

- tokens (access, refresh, and the stored credentials): 8 to 8192 visible
  ASCII characters (``%x21-7E``: no space, no control character);
- scopes: RFC 6749 section 3.3 scope tokens (``%x21 / %x23-5B / %x5D-7E``),
  at most 256 of them, each at most 256 characters;
- moments: epoch milliseconds from 1970 up to the year 3000;
- an access token's lifetime: at most 10 years.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, overload

from skytells.safety.sanitize import has_controls

MIN_TOKEN_LENGTH = 8
MAX_TOKEN_LENGTH = 8192
MAX_SCOPES = 256
MAX_SCOPE_LENGTH = 256
#: 3000-01-01T00:00:00Z: a moment beyond is no expiry or save time a computer will see.
MAX_EPOCH_MS = 32_503_680_000_000
#: The longest access-token lifetime believed; a longer ``expires_in`` is cut to this.
MAX_TOKEN_LIFETIME = 10 * 365 * 24 * 3600.0
#: A short text fact (a login method's name, a host URL, an issuer, a client id).
MAX_TEXT_LENGTH = 2048

_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 section 3.3


class BadValue(ValueError):
    """A value failed its check; ``str()`` completes "the field ..." and never contains the value."""


def real(value: object) -> float | None:
    """``value`` as a finite float when it is a JSON number (not a bool), else None.

    ``json.loads`` accepts ``NaN``, ``Infinity`` and integers of any length; all are refused here.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) else None


@overload
def seconds(value: object, *, default: float, maximum: float, minimum: float = 0.0) -> float: ...
@overload
def seconds(value: object, *, default: None, maximum: float, minimum: float = 0.0) -> float | None: ...
def seconds(value: object, *, default: float | None, maximum: float, minimum: float = 0.0) -> float | None:
    """A duration a server announced, in seconds: kept within ``minimum``..``maximum``.

    Anything but a positive finite number (absent, zero, negative, NaN,
    a string, a bool, an object) gives ``default``.
    """
    number = real(value)
    if number is None or number <= 0:
        return default
    return min(max(number, minimum), maximum)


def expiry_ms(lifetime: float | None, now_ms: int) -> int | None:
    """When a token that lives ``lifetime`` seconds from ``now_ms`` expires (epoch ms), or None if unknown.

    ``lifetime`` comes from :func:`seconds`; the result never passes :data:`MAX_EPOCH_MS`.
    """
    if not lifetime:
        return None
    return min(now_ms + int(lifetime * 1000), MAX_EPOCH_MS)


def epoch_ms(value: object) -> int:
    """A moment in milliseconds since the epoch, between 1970 and the year 3000."""
    number = real(value)
    if number is None or not 0 <= number <= MAX_EPOCH_MS:
        raise BadValue("is not a time in milliseconds since 1970 (up to the year 3000)")
    return int(number)


def printable_token(value: object, *, minimum: int = MIN_TOKEN_LENGTH, maximum: int = MAX_TOKEN_LENGTH,
                    strip: bool = False) -> str:
    """A token: ``minimum``..``maximum`` visible ASCII characters; ``strip`` first drops surrounding whitespace."""
    if not isinstance(value, str):
        raise BadValue("is not a string")
    token = value.strip(" \t\r\n") if strip else value
    if not minimum <= len(token) <= maximum or not _VISIBLE_ASCII.fullmatch(token):
        raise BadValue(f"is not {minimum} to {maximum} printable ASCII characters without spaces")
    return token


def token_type(value: object) -> str:
    """A ``token_type`` (RFC 6749 section 7.1: a type name or a URI): 1 to 128 visible ASCII characters."""
    return printable_token(value, minimum=1, maximum=128)


def scope_list(value: object) -> tuple[str, ...]:
    """Scopes: a JSON list of scope tokens (RFC 6749 section 3.3), or one string of them.

    A string is separated at spaces (RFC 6749) and at commas (as some
    servers, GitHub's among them, send it). Duplicates are dropped, the order kept.
    """
    if isinstance(value, str):
        items: list[Any] = [item for item in value.replace(",", " ").split(" ") if item]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise BadValue("is not a list of scopes")
    if len(items) > MAX_SCOPES:
        raise BadValue(f"holds more than {MAX_SCOPES} scopes")
    for item in items:
        if not isinstance(item, str) or len(item) > MAX_SCOPE_LENGTH or not _SCOPE_TOKEN.fullmatch(item):
            raise BadValue(f"holds something that is not a scope (RFC 6749 section 3.3, "
                           f"at most {MAX_SCOPE_LENGTH} characters)")
    return tuple(dict.fromkeys(items))


def text_fact(value: object, *, limit: int = MAX_TEXT_LENGTH) -> str:
    """A short text fact (a method's name, a URL, a client id): a non-empty string without control characters."""
    if not isinstance(value, str) or not 0 < len(value) <= limit or has_controls(value):
        raise BadValue(f"is not a text of 1 to {limit} characters without control characters")
    return value


def optional(check: Callable[[object], Any], value: object) -> Any:
    """``check(value)``, or None when ``value`` is absent (JSON null); BadValue when it fails."""
    return None if value is None else check(value)


def if_usable(check: Callable[[object], Any], value: object) -> Any:
    """``check(value)``, or None when ``value`` is absent or fails: for facts a protocol lets a client ignore."""
    try:
        return optional(check, value)
    except BadValue:
        return None


MAX_PROFILE_NAME = 64


def valid_profile_name(name: object) -> bool:
    """Profile names (credentials file, ``--profile``, ``SKYTELLS_PROFILE``): 1-64 letters, digits, '-', '_', '.'."""
    return (isinstance(name, str) and 0 < len(name) <= MAX_PROFILE_NAME
            and all(c.isascii() and (c.isalnum() or c in "-_.") for c in name))
