"""The sandbox's DPoP checks, each refusal on its own, with proofs made by the CLI's DPoPKey (in process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from skytells_sandbox.server import Sandbox

from skytells.net.protocol.dpop import DPoPKey

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT = "skytells-cli"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(dpop=True, oidc=True, auto_approve=True, interval=0) as started:
        yield started


@pytest.fixture(scope="module")
def key() -> DPoPKey:
    return DPoPKey.generate()


def _device_code(sandbox: Sandbox) -> str:
    answer = requests.post(sandbox.url + "/oauth/device_authorization",
                           data={"client_id": CLIENT, "scope": "openid offline_access"}, timeout=5)
    return str(answer.json()["device_code"])


def _token(sandbox: Sandbox, proof: str | None) -> requests.Response:
    headers = {"DPoP": proof} if proof is not None else {}
    return requests.post(sandbox.url + "/oauth/token", headers=headers, timeout=5,
                         data={"grant_type": DEVICE_GRANT, "device_code": _device_code(sandbox), "client_id": CLIENT})


def _bound(sandbox: Sandbox, key: DPoPKey) -> dict[str, str]:
    answer = _token(sandbox, key.proof("POST", sandbox.url + "/oauth/token"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "DPoP"
    return dict(answer.json())


def _userinfo(sandbox: Sandbox, scheme: str, token: str, proof: str | None = None) -> requests.Response:
    headers = {"Authorization": f"{scheme} {token}"}
    if proof is not None:
        headers["DPoP"] = proof
    return requests.get(sandbox.url + "/oauth/userinfo", headers=headers, timeout=5)


def test_the_metadata_lists_es256(sandbox):
    metadata = requests.get(sandbox.url + "/.well-known/oauth-authorization-server", timeout=5).json()
    assert metadata["dpop_signing_alg_values_supported"] == ["ES256"]


def test_without_a_proof_the_tokens_are_bearer_tokens(sandbox):
    answer = _token(sandbox, None)
    assert answer.json()["token_type"] == "Bearer"
    assert sandbox.token_binding(answer.json()["access_token"]) is None


def test_a_bound_token_is_bound_to_the_keys_thumbprint(sandbox, key):
    tokens = _bound(sandbox, key)
    assert sandbox.token_binding(tokens["access_token"]) == key.thumbprint


@pytest.mark.parametrize(("method", "url_path"), [("GET", "/oauth/token"), ("POST", "/oauth/revoke")])
def test_a_proof_for_another_request_is_refused(sandbox, key, method, url_path):
    answer = _token(sandbox, key.proof(method, sandbox.url + url_path))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_dpop_proof"


def test_a_replayed_proof_is_refused(sandbox, key):
    proof = key.proof("POST", sandbox.url + "/oauth/token")
    assert _token(sandbox, proof).status_code == 200
    again = _token(sandbox, proof)
    assert again.status_code == 400 and "jti" in again.json()["error_description"]


def test_an_old_proof_is_refused(sandbox):
    old = DPoPKey.generate()
    old.clock = lambda: 1_000_000_000.0
    answer = _token(sandbox, old.proof("POST", sandbox.url + "/oauth/token"))
    assert answer.status_code == 400 and "iat" in answer.json()["error_description"]


def test_a_tampered_proof_is_refused(sandbox, key):
    proof = key.proof("POST", sandbox.url + "/oauth/token")
    body, _, signature = proof.rpartition(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    answer = _token(sandbox, f"{body}.{flipped}")
    assert answer.status_code == 400 and "signature" in answer.json()["error_description"]


def test_a_nonce_is_asked_for_then_accepted():
    with Sandbox(dpop=True, dpop_nonce=True, oidc=True, auto_approve=True, interval=0) as strict:
        key = DPoPKey.generate()
        asked = _token(strict, key.proof("POST", strict.url + "/oauth/token"))
        assert asked.status_code == 400 and asked.json()["error"] == "use_dpop_nonce"
        assert asked.headers["DPoP-Nonce"] == strict.dpop_nonce
        answer = _token(strict, key.proof("POST", strict.url + "/oauth/token", nonce=asked.headers["DPoP-Nonce"]))
        assert answer.status_code == 200 and answer.json()["token_type"] == "DPoP"


def test_userinfo_wants_the_dpop_scheme_a_proof_with_ath_and_the_bound_key(sandbox, key):
    token = _bound(sandbox, key)["access_token"]
    url = sandbox.url + "/oauth/userinfo"

    assert _userinfo(sandbox, "DPoP", token, key.proof("GET", url, access_token=token)).status_code == 200
    as_bearer = _userinfo(sandbox, "Bearer", token)
    assert as_bearer.status_code == 401 and as_bearer.json()["error"] == "invalid_token"
    assert _userinfo(sandbox, "DPoP", token).status_code == 401  # no proof
    no_ath = _userinfo(sandbox, "DPoP", token, key.proof("GET", url))
    assert no_ath.status_code == 401 and "ath" in no_ath.json()["error_description"]
    other = DPoPKey.generate()
    stolen = _userinfo(sandbox, "DPoP", token, other.proof("GET", url, access_token=token))
    assert stolen.status_code == 401 and stolen.json()["error"] == "invalid_token"
    assert 'DPoP error="invalid_token"' in stolen.headers["WWW-Authenticate"]


def test_refresh_and_revocation_want_a_proof_by_the_bound_key(sandbox, key):
    tokens = _bound(sandbox, key)
    token_url = sandbox.url + "/oauth/token"
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"], "client_id": CLIENT}

    other = DPoPKey.generate()
    refused = requests.post(token_url, data=refresh, headers={"DPoP": other.proof("POST", token_url)}, timeout=5)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_dpop_proof"
    unproven = requests.post(token_url, data=refresh, timeout=5)
    assert unproven.status_code == 400
    fresh = requests.post(token_url, data=refresh, headers={"DPoP": key.proof("POST", token_url)}, timeout=5)
    assert fresh.status_code == 200 and fresh.json()["token_type"] == "DPoP"

    revoke_url = sandbox.url + "/oauth/revoke"
    revoke = {"token": fresh.json()["access_token"], "client_id": CLIENT}
    assert requests.post(revoke_url, data=revoke, timeout=5).status_code == 400
    done = requests.post(revoke_url, data=revoke, headers={"DPoP": key.proof("POST", revoke_url)}, timeout=5)
    assert done.status_code == 200
    assert not sandbox.token_is_active(fresh.json()["access_token"])
