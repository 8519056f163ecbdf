"""Authorization requests waiting for a decision, and their codes (RFC 6749 4.1, RFC 7636).

A code is bound to its client, its redirect URI and its PKCE challenge
(S256 only), lives :data:`CODE_LIFETIME` seconds on the sandbox clock and is
spent by its first redemption; presenting it again is refused, and the
tokens it bought are revoked (RFC 6749 section 4.1.2). The book has its own
lock; issuing tokens is left to the caller.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

#: Seconds a code may wait for its redemption (RFC 6749 section 4.1.2 advises at most 10 minutes).
CODE_LIFETIME = 60
#: Requests kept waiting for the consent page's decision; the oldest are forgotten first.
MAX_PENDING = 1000
CODE_PREFIX = "sbx_ac_"
#: RFC 7636 section 4.1: 43 to 128 unreserved characters.
VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")
CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")


def s256(verifier: str) -> str:
    """BASE64URL(SHA256(ASCII(verifier))) without padding (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


@dataclass(frozen=True)
class AuthorizationRequest:
    """What a client asked for at the authorization endpoint, once checked."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str
    nonce: str | None = None


class CodeRefusedError(Exception):
    """The token endpoint refuses a code: ``error`` is the OAuth error to answer."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass
class _Code:
    request: AuthorizationRequest
    expires_at: float
    spent: bool = False
    #: What the first redemption bought, revoked if the code comes back.
    issued: list[str] = field(default_factory=list)


class CodeBook:
    """Pending authorization requests (by an unguessable id) and the codes issued for them."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: collections.OrderedDict[str, AuthorizationRequest] = (
            collections.OrderedDict()
        )
        self._codes: dict[str, _Code] = {}

    def hold(self, request: AuthorizationRequest) -> str:
        """Keep ``request`` until the person decides; returns the id the consent form carries."""
        with self._lock:
            request_id = secrets.token_urlsafe(16)
            self._pending[request_id] = request
            while len(self._pending) > MAX_PENDING:
                self._pending.popitem(last=False)
            return request_id

    def decide(self, request_id: str) -> AuthorizationRequest | None:
        """The request the consent form named, taken out (decided once); None if unknown."""
        with self._lock:
            return self._pending.pop(request_id, None)

    def issue(self, request: AuthorizationRequest) -> str:
        """A new code for an approved ``request``."""
        with self._lock:
            code = CODE_PREFIX + secrets.token_hex(32)
            self._codes[code] = _Code(request, self._clock() + CODE_LIFETIME)
            return code

    def redeem(
        self, code: str, client_id: str, redirect_uri: str, verifier: str
    ) -> AuthorizationRequest:
        """Spend ``code``: the request it was issued for; CodeRefusedError on any mismatch.

        A code presented a second time stays refused, and :meth:`reused` gives what it bought.
        """
        with self._lock:
            record = self._codes.get(code)
            if record is None:
                raise CodeRefusedError("invalid_grant", "Unknown authorization code")
            if record.spent:
                raise CodeRefusedError("invalid_grant", "The authorization code was already used")
            request = record.request
            if request.client_id != client_id:
                raise CodeRefusedError("invalid_grant", "The code was issued to another client")
            if self._clock() >= record.expires_at:
                raise CodeRefusedError("invalid_grant", "The authorization code has expired")
            if not hmac.compare_digest(request.redirect_uri, redirect_uri):
                raise CodeRefusedError("invalid_grant", "redirect_uri does not match the request")
            matches = VERIFIER.fullmatch(verifier) and hmac.compare_digest(
                s256(verifier), request.code_challenge
            )
            if not matches:
                raise CodeRefusedError(
                    "invalid_grant", "code_verifier does not match code_challenge"
                )
            record.spent = True
            return request

    def bought(self, code: str, tokens: list[str]) -> None:
        """Remember the tokens a redemption of ``code`` issued."""
        with self._lock:
            record = self._codes.get(code)
            if record is not None:
                record.issued.extend(tokens)

    def reused(self, code: str) -> list[str]:
        """The tokens a spent ``code`` bought (to revoke: it came back), once; [] otherwise."""
        with self._lock:
            record = self._codes.get(code)
            if record is None or not record.spent:
                return []
            issued, record.issued = record.issued, []
            return issued
