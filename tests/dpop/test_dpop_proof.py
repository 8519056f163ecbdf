"""DPoP proofs (RFC 9449 section 4), made in process: header, public JWK, claims, ath, and a valid ES256 signature."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from skytells.net.protocol.dpop import STORED_PREFIX, DPoPKey, access_token_hash, target_uri


def _decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _parts(proof: str) -> tuple[dict, dict, bytes]:
    header, claims, signature = proof.split(".")
    return json.loads(_decode(header)), json.loads(_decode(claims)), _decode(signature)


@pytest.fixture(scope="module")
def key() -> DPoPKey:
    made = DPoPKey.generate()
    made.clock = lambda: 1_750_000_000.5
    return made


def test_the_header_names_the_type_the_algorithm_and_only_the_public_key(key):
    header, _claims, _signature = _parts(key.proof("POST", "https://id.example.com/oauth/token"))

    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == "ES256"
    assert set(header["jwk"]) == {"kty", "crv", "x", "y"}, "only the public key: no 'd'"
    assert header["jwk"]["kty"] == "EC" and header["jwk"]["crv"] == "P-256"


def test_the_claims_name_the_request_without_query_or_fragment(key):
    _header, claims, _signature = _parts(key.proof("get", "https://id.example.com/userinfo?x=1#frag"))

    assert claims["htm"] == "GET"
    assert claims["htu"] == "https://id.example.com/userinfo"
    assert claims["iat"] == 1_750_000_000
    assert len(claims["jti"]) >= 16
    assert "ath" not in claims and "nonce" not in claims


def test_each_proof_is_fresh(key):
    first = _parts(key.proof("POST", "https://id.example.com/t"))[1]
    second = _parts(key.proof("POST", "https://id.example.com/t"))[1]

    assert first["jti"] != second["jti"]


def test_ath_is_the_base64url_sha256_of_the_token_and_the_nonce_is_carried(key):
    token = "sbx_at_" + "ab" * 32
    _header, claims, _signature = _parts(key.proof("GET", "https://rs.example/x", access_token=token, nonce="n-1"))

    expected = base64.urlsafe_b64encode(hashlib.sha256(token.encode("ascii")).digest()).rstrip(b"=").decode()
    assert claims["ath"] == expected == access_token_hash(token)
    assert "=" not in claims["ath"]
    assert claims["nonce"] == "n-1"


def test_the_signature_verifies_with_the_public_key_in_the_header(key):
    proof = key.proof("POST", "https://id.example.com/oauth/token")
    header, _claims, signature = _parts(proof)
    jwk = header["jwk"]
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(_decode(jwk["x"]), "big"),
                                           int.from_bytes(_decode(jwk["y"]), "big"), ec.SECP256R1()).public_key()

    assert len(signature) == 64, "ES256 signatures are r || s, 32 bytes each (RFC 7518 section 3.4)"
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, proof.rpartition(".")[0].encode("ascii"), ec.ECDSA(hashes.SHA256()))


def test_the_thumbprint_follows_rfc_7638(key):
    jwk = key.public_jwk
    canonical = json.dumps({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]},
                           separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).digest()

    assert key.thumbprint == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_the_stored_form_round_trips_and_is_printable_without_spaces(key):
    stored = key.stored()

    assert stored.startswith(STORED_PREFIX) and stored.isprintable() and " " not in stored
    again = DPoPKey.from_stored(stored)
    assert again.public_jwk == key.public_jwk and again.thumbprint == key.thumbprint


def test_the_key_is_never_in_its_repr(key):
    secret = key.stored().removeprefix(STORED_PREFIX)

    assert secret not in repr(key) and key.thumbprint in repr(key)


@pytest.mark.parametrize("text", ["", "dpop-es256:", "dpop-es256:!!!", "pem:abc"])
def test_a_damaged_stored_key_is_a_value_error_that_does_not_quote_it(text):
    with pytest.raises(ValueError) as raised:
        DPoPKey.from_stored(text)
    assert str(raised.value) == "not a stored DPoP key"


def test_target_uri_keeps_scheme_host_port_and_path():
    assert target_uri("http://127.0.0.1:8080/oauth/token?a=b") == "http://127.0.0.1:8080/oauth/token"
