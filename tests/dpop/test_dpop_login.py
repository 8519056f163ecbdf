"""DPoP-bound device logins end to end: binding, proofs on every use, nonces, --no-dpop, auth token, logout."""

from __future__ import annotations

import base64
import json
from typing import Any

from skytells.net.protocol.dpop import DPoPKey, access_token_hash
from skytells.testing import find_leaks

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def _part(proof: str, index: int) -> dict[str, Any]:
    part = proof.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def header(proof: str) -> dict[str, Any]:
    """The JOSE header of a DPoP proof."""
    return _part(proof, 0)


def claims(proof: str) -> dict[str, Any]:
    """The claims of a DPoP proof (the sandbox verified it)."""
    return _part(proof, 1)


def _stored_key(world) -> DPoPKey:
    return DPoPKey.from_stored(world.credentials()["dpop_key"])


def test_a_device_login_binds_the_tokens_to_a_key_kept_in_the_store(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox()

    result = world.login(sandbox)

    stored = world.credentials()
    assert stored["meta"]["token"]["token_type"] == "DPoP"
    key = _stored_key(world)
    assert sandbox.token_binding(stored["token"]) == key.thumbprint
    assert sandbox.token_binding(stored["refresh_token"]) == key.thumbprint
    polls = world.token_requests(sandbox, DEVICE_GRANT)
    assert polls and all(seen.header("DPoP") for seen in polls)
    proof = polls[-1].header("DPoP")
    assert header(proof)["jwk"] == key.public_jwk and "d" not in header(proof)["jwk"]
    assert claims(proof)["htm"] == "POST" and claims(proof)["htu"] == sandbox.url + "/oauth/token"
    assert "ath" not in claims(proof)
    # The private key is in the credential store, nowhere else.
    assert find_leaks([("login output", result.output)], [stored["dpop_key"]]) == []
    assert find_leaks(world.files_text(but=(world.credentials_path,)), [stored["dpop_key"]]) == []


def test_whoami_presents_the_bound_token_with_a_fresh_proof_and_its_hash(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox()
    world.login(sandbox)
    token = world.credentials()["token"]

    first = world.run("whoami", "-f", "json")
    second = world.run("whoami", "-f", "json")

    for result in (first, second):
        assert result.code == 0, str(result)
        shown = json.loads(result.stdout)
        assert shown["token_status"].startswith("valid") and shown["subject"] == "user_sandbox"
    calls = world.seen(sandbox, "/oauth/userinfo")
    assert len(calls) == 2
    for seen in calls:
        assert seen.header("Authorization") == f"DPoP {token}"
        proof = claims(seen.header("DPoP"))
        assert proof["htm"] == "GET" and proof["htu"] == sandbox.url + "/oauth/userinfo"
        assert proof["ath"] == access_token_hash(token)
    assert claims(calls[0].header("DPoP"))["jti"] != claims(calls[1].header("DPoP"))["jti"]


def test_refresh_carries_a_proof_and_the_new_tokens_stay_bound_to_the_same_key(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox(token_lifetime=2)
    world.login(sandbox)
    before = world.credentials()
    sandbox.config.wall_clock.advance(3)

    result = world.run("whoami", "-f", "json")

    assert result.code == 0, str(result)
    after = world.credentials()
    assert after["token"] != before["token"] and after["dpop_key"] == before["dpop_key"]
    assert after["meta"]["token"]["token_type"] == "DPoP"
    key = _stored_key(world)
    assert sandbox.token_binding(after["token"]) == key.thumbprint
    [refresh] = world.token_requests(sandbox, "refresh_token")
    assert claims(refresh.header("DPoP"))["htu"] == sandbox.url + "/oauth/token"
    assert header(refresh.header("DPoP"))["jwk"] == key.public_jwk


def test_a_server_that_wants_a_nonce_gets_the_request_again_with_it(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox(dpop_nonce=True)

    world.login(sandbox)
    shown = world.run("whoami", "-f", "json")

    assert shown.code == 0, str(shown)
    assert json.loads(shown.stdout)["token_status"].startswith("valid")
    polls = world.token_requests(sandbox, DEVICE_GRANT)
    assert "nonce" not in claims(polls[0].header("DPoP"))
    assert all(claims(seen.header("DPoP")).get("nonce") == sandbox.dpop_nonce for seen in polls[1:])
    userinfo = world.seen(sandbox, "/oauth/userinfo")
    assert len(userinfo) == 2, "a new process learns the resource's nonce from its first refusal"
    assert claims(userinfo[1].header("DPoP"))["nonce"] == sandbox.dpop_nonce


def test_no_dpop_opts_out_and_auth_token_prints_the_bearer_token(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox()

    world.login(sandbox, "--no-dpop")

    stored = world.credentials()
    assert stored["meta"]["token"]["token_type"] == "Bearer" and "dpop_key" not in stored
    assert sandbox.token_binding(stored["token"]) is None
    assert not any(seen.header("DPoP") for seen in world.seen(sandbox, "/oauth/token"))
    printed = world.run("auth", "token")
    assert printed.code == 0 and printed.stdout == stored["token"] + "\n"


def test_auth_token_refuses_to_hand_out_a_bound_token(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox()
    world.login(sandbox)

    result = world.run("auth", "token")

    assert result.code == 2
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "bound to a key (DPoP" in errors[0] and "--no-dpop" in errors[0]


def test_a_two_step_login_keeps_the_key_in_the_pending_login(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox()

    started = world.run("login", "--issuer", sandbox.url, "--client-id", "skytells-cli", "--request")
    assert started.code == 0, str(started)
    pending_key = world.credentials()["pending_login"]["state"]["dpop_key"]
    world.secret(pending_key)
    done = world.run("login", "--check", "--wait")

    assert done.code == 0, str(done)
    stored = world.credentials()
    assert stored["dpop_key"] == pending_key and "pending_login" not in stored
    assert sandbox.token_binding(stored["token"]) == _stored_key(world).thumbprint


def test_logout_revokes_with_proofs_and_removes_the_key(dpop_world):
    world = dpop_world
    sandbox = world.start_sandbox()
    world.login(sandbox)
    stored = world.credentials()

    result = world.run("logout", "--force")

    assert result.code == 0, str(result)
    assert "confirmed the token is revoked" in result.stderr
    assert not sandbox.token_is_active(stored["token"])
    assert not sandbox.refresh_token_is_active(stored["refresh_token"])
    revocations = world.seen(sandbox, "/oauth/revoke")
    assert len(revocations) == 2
    for seen in revocations:
        proof = claims(seen.header("DPoP"))
        assert proof["htu"] == sandbox.url + "/oauth/revoke" and "ath" not in proof
    after = world.credentials()
    assert "token" not in after and "refresh_token" not in after and "dpop_key" not in after


def test_skytells_api_presents_a_bound_token_with_a_fresh_proof(dpop_world):
    """``skytells api --issuer`` (and every plugin command's client) cannot use a bound token without its key."""
    world = dpop_world
    sandbox = world.start_sandbox()
    world.login(sandbox)
    token = world.credentials()["token"]

    result = world.run("api", "--issuer", "/oauth/userinfo")

    assert result.code == 0, str(result)
    assert json.loads(result.stdout)["sub"] == "user_sandbox"
    (seen,) = world.seen(sandbox, "/oauth/userinfo")
    assert seen.header("Authorization") == f"DPoP {token}"
    proof = claims(seen.header("DPoP"))
    assert proof["htm"] == "GET" and proof["htu"] == sandbox.url + "/oauth/userinfo"
    assert proof["ath"] == access_token_hash(token)
    assert find_leaks([("api output", result.stderr)], [world.credentials()["dpop_key"]]) == []
