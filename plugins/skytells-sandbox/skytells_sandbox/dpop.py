"""DPoP (RFC 9449): tokens bound to the client's key, and the checks of every proof.

With ``SandboxConfig(dpop=True)`` the metadata lists
``dpop_signing_alg_values_supported: ["ES256"]`` and the standard endpoints
check the ``DPoP`` header of each request that carries one:

* the proof is a JWT with ``typ: dpop+jwt``, ``alg: ES256`` and a public
  P-256 ``jwk`` (a private ``d`` is refused), whose signature verifies;
* ``htm`` and ``htu`` are this request's method and URL (no query);
* ``iat`` is within :data:`IAT_WINDOW` seconds of real time;
* ``jti`` was never seen before (a replayed proof is refused);
* with ``dpop_nonce=True``, ``nonce`` is the server's current nonce (else
  ``use_dpop_nonce`` with a ``DPoP-Nonce`` header);
* when a token is presented, ``ath`` is its base64url SHA-256 and the key's
  thumbprint (RFC 7638) is the one the token is bound to (``cnf.jkt``).

A token request with a valid proof gets tokens bound to the key's thumbprint
(``token_type: DPoP``); refreshing a bound refresh token, revoking a bound
token and presenting a bound access token all need a proof by the same key.
A bound access token presented as a Bearer token is refused.
"""

from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import json
import secrets
import threading
import time
from typing import Any

from skytells_sandbox.messages import RefusedError, Request, Response, json_response

ES256 = "ES256"
# As api.NO_STORE (not imported: the state imports this module, and api imports the state).
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
#: How far a proof's ``iat`` may be from real time, in seconds.
IAT_WINDOW = 300
#: How many proof ids are remembered for replay detection.
MAX_JTIS = 10_000


class ProofError(Exception):
    """A proof that fails a check: ``error`` is ``invalid_dpop_proof`` or ``use_dpop_nonce``."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class DpopBook:
    """Which tokens are bound to which key, the proof ids seen, and the current nonce."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bound: dict[str, str] = {}
        self._jtis: collections.OrderedDict[str, None] = collections.OrderedDict()
        self.nonce = secrets.token_urlsafe(16)

    def bind(self, jkt: str, *tokens: str | None) -> None:
        """Bind each token to the key thumbprint ``jkt``."""
        with self._lock:
            for token in tokens:
                if token is not None:
                    self._bound[token] = jkt

    def binding(self, token: str) -> str | None:
        """The thumbprint ``token`` is bound to, or ``None`` for a Bearer token."""
        with self._lock:
            return self._bound.get(token)

    def first_use(self, jti: str) -> bool:
        """Record ``jti``; ``False`` when it was seen before (a replay)."""
        with self._lock:
            if jti in self._jtis:
                return False
            self._jtis[jti] = None
            while len(self._jtis) > MAX_JTIS:
                self._jtis.popitem(last=False)
            return True


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def thumbprint(jwk: dict[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of an EC public JWK."""
    members = {name: jwk[name] for name in ("crv", "kty", "x", "y")}
    canonical = json.dumps(members, separators=(",", ":"))
    return _b64(hashlib.sha256(canonical.encode("ascii")).digest())


def _check_signature(jwk: dict[str, Any], signing_input: str, signature: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    try:
        x = int.from_bytes(_unb64(jwk["x"]), "big")
        y = int.from_bytes(_unb64(jwk["y"]), "big")
        public = ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
    except (KeyError, TypeError, ValueError, binascii.Error):
        problem = "The proof's jwk is not a P-256 public key"
        raise ProofError("invalid_dpop_proof", problem) from None
    if len(signature) != 64:
        raise ProofError("invalid_dpop_proof", "The proof's signature is not an ES256 signature")
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    try:
        public.verify(der, signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise ProofError("invalid_dpop_proof", "The proof's signature does not verify") from None


def verify_proof(
    book: DpopBook,
    request: Request,
    url: str,
    *,
    require_nonce: bool,
    access_token: str | None = None,
) -> str:
    """Check the request's ``DPoP`` proof; return the key's thumbprint, or raise ProofError."""
    proof = request.header("DPoP") or ""
    parts = proof.split(".")
    if len(parts) != 3:
        raise ProofError("invalid_dpop_proof", "The DPoP header is not a JWT")
    try:
        header = json.loads(_unb64(parts[0]))
        claims = json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except (ValueError, binascii.Error):
        raise ProofError("invalid_dpop_proof", "The DPoP header is not a JWT") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ProofError("invalid_dpop_proof", "The DPoP header is not a JWT")
    if header.get("typ") != "dpop+jwt" or header.get("alg") != ES256:
        raise ProofError("invalid_dpop_proof", "The proof must have typ dpop+jwt and alg ES256")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict) or jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ProofError("invalid_dpop_proof", "The proof's jwk is not a P-256 public key")
    if "d" in jwk:
        raise ProofError("invalid_dpop_proof", "The proof's jwk holds a private key")
    _check_signature(jwk, f"{parts[0]}.{parts[1]}", signature)
    if claims.get("htm") != request.method:
        raise ProofError("invalid_dpop_proof", "The proof's htm is not this request's method")
    if claims.get("htu") != url + request.path:
        raise ProofError("invalid_dpop_proof", "The proof's htu is not this request's URL")
    iat = claims.get("iat")
    if not isinstance(iat, int) or abs(time.time() - iat) > IAT_WINDOW:
        raise ProofError("invalid_dpop_proof", "The proof's iat is missing or too far from now")
    if require_nonce and claims.get("nonce") != book.nonce:
        raise ProofError("use_dpop_nonce", "Use the DPoP-Nonce the server gave")
    if access_token is not None:
        expected = _b64(hashlib.sha256(access_token.encode("ascii")).digest())
        if claims.get("ath") != expected:
            raise ProofError("invalid_dpop_proof", "The proof's ath is not the token's hash")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or not book.first_use(jti):
        raise ProofError("invalid_dpop_proof", "The proof's jti is missing or was used before")
    return thumbprint(jwk)


def refusal(book: DpopBook, error: ProofError) -> RefusedError:
    """A token- or revocation-endpoint answer (HTTP 400) for a failed proof, with the nonce."""
    payload = {"error": error.error, "error_description": error.description}
    headers = (*NO_STORE, ("DPoP-Nonce", book.nonce))
    return RefusedError(json_response(400, payload, headers))


def resource_refusal(book: DpopBook, error: str, description: str) -> Response:
    """A resource's answer (HTTP 401) for a bound token used wrongly: challenge and nonce."""
    payload = {"error": error, "error_description": description}
    challenge = f'DPoP error="{error}", algs="{ES256}"'
    headers = (*NO_STORE, ("WWW-Authenticate", challenge), ("DPoP-Nonce", book.nonce))
    return json_response(401, payload, headers)
