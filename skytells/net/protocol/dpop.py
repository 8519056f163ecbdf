"""DPoP (RFC 9449): tokens bound to a key pair that this CLI holds, proven with a fresh signed JWT per request.

A :class:`DPoPKey` holds a P-256 private key. Each request that obtains or
uses a bound token carries a ``DPoP`` header: a JWT (header ``typ: dpop+jwt``,
``alg: ES256`` and the public ``jwk``) whose claims name the request
(``htm`` the method, ``htu`` the URL without query or fragment), when it was
made (``iat``), a unique ``jti``, the server's ``nonce`` when it asked for one,
and, when a token is presented, ``ath``: the base64url SHA-256 of that token.
A server binds the token to the key's thumbprint (``cnf.jkt``, RFC 7638), so a
stolen token is useless without the key.

The ``cryptography`` library does the keys and signatures; it is imported
only when a key is made, read or used, so commands that never meet a bound
token do not load it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

#: The only signing algorithm this CLI uses (and asks a server to accept).
ES256 = "ES256"
#: How a :class:`DPoPKey` is kept in a store: this prefix, then the private scalar in base64url.
STORED_PREFIX = "dpop-es256:"
#: The error with which a server asks for a nonce (RFC 9449 sections 8 and 9).
USE_DPOP_NONCE = "use_dpop_nonce"
NONCE_HEADER = "dpop-nonce"


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def access_token_hash(access_token: str) -> str:
    """``ath``: the base64url SHA-256 of the access token's ASCII bytes (RFC 9449 section 4.2)."""
    return b64url(hashlib.sha256(access_token.encode("ascii")).digest())


def target_uri(url: str) -> str:
    """``htu``: the request's URL without its query and fragment (RFC 9449 section 4.2)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class DPoPKey:
    """A P-256 key pair that DPoP-bound tokens are bound to; never shown (``repr`` names its thumbprint only)."""

    def __init__(self, private_key: Any, clock: Callable[[], float] = time.time) -> None:
        """Wrap a ``cryptography`` EC private key on P-256 (use :meth:`generate` or :meth:`from_stored`)."""
        self._key = private_key
        self.clock = clock
        numbers = private_key.public_key().public_numbers()
        #: The public key as a JWK (RFC 7517): what goes in every proof's header.
        self.public_jwk: dict[str, str] = {"kty": "EC", "crv": "P-256", "x": b64url(numbers.x.to_bytes(32, "big")),
                                           "y": b64url(numbers.y.to_bytes(32, "big"))}

    @classmethod
    def generate(cls) -> DPoPKey:
        """A new key pair."""
        # cryptography loads only when a key is made or used: a login or refresh without DPoP never pays it.
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_stored(cls, text: str) -> DPoPKey:
        """The key :meth:`stored` wrote; ValueError (without the text) when it is not one."""
        if not text.startswith(STORED_PREFIX):
            raise ValueError("not a stored DPoP key")
        # cryptography loads only when a key is made or used: a login or refresh without DPoP never pays it.
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415

        try:
            scalar = int.from_bytes(_unb64url(text.removeprefix(STORED_PREFIX)), "big")
            return cls(ec.derive_private_key(scalar, ec.SECP256R1()))
        except ValueError:
            raise ValueError("not a stored DPoP key") from None

    def stored(self) -> str:
        """The private key as a store keeps it: printable ASCII without spaces, a secret."""
        scalar = self._key.private_numbers().private_value
        return STORED_PREFIX + b64url(scalar.to_bytes(32, "big"))

    @property
    def thumbprint(self) -> str:
        """The JWK thumbprint (RFC 7638, SHA-256): the ``cnf.jkt`` a server binds tokens to."""
        canonical = json.dumps({name: self.public_jwk[name] for name in ("crv", "kty", "x", "y")},
                               separators=(",", ":"), sort_keys=True)
        return b64url(hashlib.sha256(canonical.encode("ascii")).digest())

    def __repr__(self) -> str:
        return f"DPoPKey(jkt={self.thumbprint!r})"

    def proof(self, method: str, url: str, *, access_token: str | None = None, nonce: str | None = None) -> str:
        """A fresh DPoP proof JWT for one ``method`` request to ``url`` (``ath`` when presenting ``access_token``)."""
        # cryptography loads only when a key is made or used: a login or refresh without DPoP never pays it.
        from cryptography.hazmat.primitives import hashes  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature  # noqa: PLC0415

        header = {"typ": "dpop+jwt", "alg": ES256, "jwk": dict(self.public_jwk)}
        claims: dict[str, Any] = {"jti": secrets.token_urlsafe(16), "htm": method.upper(), "htu": target_uri(url),
                                  "iat": int(self.clock())}
        if nonce is not None:
            claims["nonce"] = nonce
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode("utf-8"))
                                 for part in (header, claims))
        der = self._key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
