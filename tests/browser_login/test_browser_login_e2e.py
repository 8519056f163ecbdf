"""``skytells login --method browser`` end to end: the real executable, a sandbox playing a standard
OAuth server, and a stand-in browser given by ``BROWSER``.

A login that works stores what a device login with an issuer stores, so whoami, auth token (refresh),
auth status and logout (revocation) work the same; every refusal is one line, stores nothing and
closes the listener.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import stat
import urllib.parse
from typing import Any

import pytest

from skytells.testing import find_leaks

RFC_ISS_MESSAGE = "RFC 9207"


def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def events(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def listener_port(seen: dict[str, Any]) -> int:
    return int(urllib.parse.urlsplit(query_of(seen["opened"])["redirect_uri"]).port or 0)


def assert_closed(port: int) -> None:
    """Nothing listens on 127.0.0.1:port any more."""
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0, f"127.0.0.1:{port} still listens"


def assert_nothing_stored(world: Any) -> None:
    assert "token" not in world.credentials()
    assert "refresh_token" not in world.credentials()


def assert_one_line_error(result: Any, code: int) -> None:
    assert result.code == code, str(result)
    assert len(result.error_lines) == 1, result.stderr
    assert "Traceback" not in result.output


# -- it works ----------------------------------------------------------------------------------------------


def test_a_browser_login_stores_the_tokens_of_a_device_login_with_an_issuer(browser_world):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser()

    result = browser_world.browser_login(sandbox, browser, "--json")

    assert result.code == 0, str(result)
    stored = browser_world.profile()
    meta = stored["meta"]["token"]
    assert meta["method"] == "browser"
    assert (meta["issuer"], meta["client_id"]) == (sandbox.url, "skytells-cli")
    assert meta["expires_at"] and stored["refresh_token"]
    assert sandbox.token_is_active(stored["token"])
    assert os.stat(browser_world.credentials_path).st_mode & 0o077 == 0
    seen = browser.seen()
    assert seen["callback_status"] == 200
    assert "Signed in" in seen["page"] and "the terminal can be used again" in seen["page"]
    names = [event["event"] for event in events(result)]
    assert names == ["authorization_url", "browser_opened", "authenticated"]
    opened = events(result)[0]
    assert opened["url"] == seen["opened"] == events(result)[1]["url"]
    assert opened["redirect_uri"] == f"http://127.0.0.1:{listener_port(seen)}/callback"
    assert events(result)[2]["method"] == "browser"
    assert_closed(listener_port(seen))


def test_the_authorization_request_uses_pkce_s256_state_and_a_loopback_redirect(browser_world):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser()

    assert browser_world.browser_login(sandbox, browser).code == 0

    query = query_of(browser.seen()["opened"])
    assert query["response_type"] == "code" and query["client_id"] == "skytells-cli"
    assert query["code_challenge_method"] == "S256"
    assert len(query["state"]) >= 32 and "nonce" not in query  # no OpenID Connect here
    redirect = urllib.parse.urlsplit(query["redirect_uri"])
    assert (redirect.scheme, redirect.hostname, redirect.path) == ("http", "127.0.0.1", "/callback")
    (token_request,) = [browser_world.form(seen) for seen in browser_world.seen(sandbox, "/oauth/token")]
    assert token_request["grant_type"] == ["authorization_code"]
    assert token_request["redirect_uri"] == [query["redirect_uri"]]
    verifier = token_request["code_verifier"][0]
    digest = hashlib.sha256(verifier.encode()).digest()
    assert base64.urlsafe_b64encode(digest).decode().rstrip("=") == query["code_challenge"]
    assert verifier not in browser.seen()["opened"]


def test_openid_connect_adds_a_nonce_and_whoami_shows_the_user(browser_world):
    sandbox = browser_world.start_sandbox(oidc=True)
    browser = browser_world.browser()

    assert browser_world.browser_login(sandbox, browser).code == 0
    whoami = browser_world.run("whoami")

    query = query_of(browser.seen()["opened"])
    assert "openid" in query["scope"].split() and len(query["nonce"]) >= 32
    assert whoami.code == 0, str(whoami)
    assert "sandbox-user@example.com" in whoami.output


def test_refresh_status_and_logout_work_as_after_a_device_login(browser_world):
    sandbox = browser_world.start_sandbox(token_lifetime=2)  # due for refresh at once, for the CLI
    assert browser_world.browser_login(sandbox, browser_world.browser()).code == 0
    first = browser_world.profile()

    sandbox.config.wall_clock.advance(3)
    token = browser_world.run("auth", "token")
    status = browser_world.run("auth", "status")
    logout = browser_world.run("logout", "--force")

    assert token.code == 0, str(token)
    assert token.stdout.strip() != first["token"]
    assert len(browser_world.refresh_forms(sandbox)) == 1
    assert status.code == 0, str(status)
    assert "browser" in status.stdout
    assert logout.code == 0 and "confirmed the token is revoked" in logout.stderr
    assert not sandbox.refresh_token_is_active(first["refresh_token"])


def test_a_port_can_be_chosen(browser_world):
    sandbox = browser_world.start_sandbox()
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    browser = browser_world.browser()

    assert browser_world.browser_login(sandbox, browser, "--port", str(port)).code == 0
    assert query_of(browser.seen()["opened"])["redirect_uri"] == f"http://127.0.0.1:{port}/callback"


def test_stray_requests_get_a_404_and_the_login_goes_on(browser_world):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser(strays=True)

    result = browser_world.browser_login(sandbox, browser)

    assert result.code == 0, str(result)
    assert browser.seen()["strays"] == [404, 404, 404, 404]


def test_the_consent_page_approves(browser_world):
    sandbox = browser_world.start_sandbox(auto_approve=False)
    browser = browser_world.browser(mode="consent")

    assert browser_world.browser_login(sandbox, browser).code == 0
    assert browser.seen()["authorize_status"] == 200


# -- refusals: one line, nothing stored, the listener closed -------------------------------------------------


def test_a_denial_is_access_denied(browser_world):
    sandbox = browser_world.start_sandbox(auto_approve=False)
    browser = browser_world.browser(mode="deny")

    result = browser_world.browser_login(sandbox, browser, "--json")

    assert_one_line_error(result, 4)
    assert events(result)[-1]["reason"] == "access_denied"
    assert "not allowed" in result.stderr
    assert_nothing_stored(browser_world)
    seen = browser.seen()
    assert "cancelled" in seen["page"] and "the terminal can be used again" in seen["page"]
    assert_closed(listener_port(seen))


def test_a_wrong_state_is_refused(browser_world):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser(state="wrong", twice=True)

    result = browser_world.browser_login(sandbox, browser)

    assert_one_line_error(result, 4)
    assert "state" in result.stderr
    assert_nothing_stored(browser_world)
    seen = browser.seen()
    assert seen["callback_status"] == 400 and "does not belong" in seen["page"]
    assert seen["second_callback_status"] == "URLError"  # the listener is gone
    assert browser_world.seen(sandbox, "/oauth/token") == []  # the code was never used


@pytest.mark.parametrize("iss", ["drop", "other"])
def test_a_missing_or_wrong_iss_is_refused(browser_world, iss):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser(iss=iss)

    result = browser_world.browser_login(sandbox, browser)

    assert_one_line_error(result, 1)
    assert RFC_ISS_MESSAGE in result.stderr
    assert_nothing_stored(browser_world)
    assert browser_world.seen(sandbox, "/oauth/token") == []
    assert "Sign-in failed" in browser.seen()["page"]


def test_an_error_from_the_server_is_refused(browser_world):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser(mode="error")

    result = browser_world.browser_login(sandbox, browser)

    assert_one_line_error(result, 4)
    assert "server_error" in result.stderr
    assert_nothing_stored(browser_world)


def test_a_browser_that_never_comes_back_times_out(browser_world):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser(mode="nothing")

    result = browser_world.browser_login(sandbox, browser, "--timeout", "1", "--json")

    assert_one_line_error(result, 4)
    assert "did not come back within 0:01" in result.stderr
    assert events(result)[-1]["reason"] == "expired_token"
    assert_nothing_stored(browser_world)
    assert_closed(listener_port(browser.seen()))


def test_a_port_in_use_is_a_usage_error(browser_world):
    sandbox = browser_world.start_sandbox()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = browser_world.browser_login(sandbox, browser_world.browser(), "--port", str(port))

    assert_one_line_error(result, 2)
    assert f"Port {port} on 127.0.0.1 is in use" in result.stderr
    assert_nothing_stored(browser_world)


def test_ctrl_c_stops_the_wait(browser_world):
    sandbox = browser_world.start_sandbox()
    browser = browser_world.browser(mode="nothing")
    process = browser_world.start("login", "--method", "browser", "--issuer", sandbox.url, "--client-id",
                                  "skytells-cli", "--json", default_sigint=True,
                                  env={"BROWSER": browser.command, "SSH_CONNECTION": None, "SSH_TTY": None})
    process.wait_for_text('"browser_opened"', name="stdout")
    process.interrupt()
    result = process.finish()

    assert result.code == 130, str(result)
    assert result.stderr.rstrip().endswith("Interrupted.") and "Traceback" not in result.output
    assert events(result)[-1]["exit_code"] == 130
    assert_nothing_stored(browser_world)
    assert_closed(listener_port(browser.seen()))


def test_without_an_issuer_it_names_the_device_method(browser_world):
    browser_world.start_sandbox()

    result = browser_world.run("login", "--method", "browser", env={"BROWSER": "true"})

    assert_one_line_error(result, 2)
    assert "documents only the device flow" in result.stderr
    assert "skytells login --method device" in result.stderr


@pytest.mark.parametrize(("env", "why"), [
    ({}, "no display"),
    ({"SSH_CONNECTION": "10.0.0.2 51234 10.0.0.1 22"}, "SSH session without a display"),
])
def test_without_a_local_browser_it_names_the_device_method(browser_world, env, why):
    sandbox = browser_world.start_sandbox()

    result = browser_world.browser_login(sandbox, None, env=env)

    assert_one_line_error(result, 2)
    assert why in result.stderr and "skytells login --method device" in result.stderr
    assert browser_world.seen(sandbox, "/.well-known/oauth-authorization-server") == []


def test_no_browser_prints_the_url_and_says_it_only_works_on_this_machine(browser_world):
    sandbox = browser_world.start_sandbox()
    process = browser_world.start("login", "--method", "browser", "--issuer", sandbox.url, "--client-id",
                                  "skytells-cli", "--no-browser", "--timeout", "30",
                                  env={"SSH_CONNECTION": "10.0.0.2 51234 10.0.0.1 22"})
    process.wait_for_text("only a browser on this machine can reach")
    url = next(line.strip() for line in process.text().splitlines() if "/oauth/authorize?" in line)
    planned = browser_world.browser(name="elsewhere")
    os.system(f"{planned.command.replace('%s', repr(url))}")  # noqa: S605 - the "person" opens it by hand

    result = process.finish()
    assert result.code == 0, str(result)
    assert browser_world.profile()["meta"]["token"]["method"] == "browser"


@pytest.mark.parametrize("step", [("--request",), ("--check",)])
def test_request_and_check_are_refused_and_say_why(browser_world, step):
    sandbox = browser_world.start_sandbox()

    result = browser_world.browser_login(sandbox, browser_world.browser(), *step)

    assert_one_line_error(result, 2)
    assert f"The 'browser' login method logs in in one step: it has no {step[0]}." in result.stderr
    assert "a listener for the browser" in result.stderr and "lives only as long as the process" in result.stderr


def test_a_non_interactive_run_is_refused(browser_world):
    sandbox = browser_world.start_sandbox()

    result = browser_world.browser_login(sandbox, browser_world.browser(), before=("--non-interactive",))

    assert_one_line_error(result, 2)
    assert "--method device --request" in result.stderr


# -- secrets -------------------------------------------------------------------------------------------------


def test_no_secret_in_any_output_log_page_url_or_file(browser_world):
    sandbox = browser_world.start_sandbox(oidc=True)
    browser = browser_world.browser()
    log = browser_world.root / "skytells.log"
    browser_world.log_files.append(log)

    result = browser_world.browser_login(sandbox, browser, "--json", before=("-v", "--log-file", str(log)))

    assert result.code == 0, str(result)
    browser_world.canary.collect_sandbox(sandbox)  # the code and the verifier it received, and the tokens
    token_form = browser_world.form(browser_world.seen(sandbox, "/oauth/token")[0])
    assert token_form["code"][0] in browser_world.canary.secrets
    assert token_form["code_verifier"][0] in browser_world.canary.secrets
    seen = browser.seen()
    files = [(str(path), path.read_text(encoding="utf-8", errors="replace"))
             for path in browser_world.root.rglob("*") if path.is_file() and path != browser_world.credentials_path
             and path.parent != browser.log.parent]
    texts = [("the URL given to the browser", seen["opened"]), ("the page", seen["page"]), *files]
    assert find_leaks(texts, browser_world.canary.secrets, browser_world.canary_window) == []
    for path in browser_world.config_dir.rglob("*"):
        assert path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO) == 0, f"{path} is readable by others"


# -- tokens bound to a key (DPoP), as the device login binds them --------------------------------------------


@pytest.mark.parametrize("opt_out", [False, True], ids=["bound", "--no-dpop"])
def test_a_server_that_binds_tokens_gets_a_proof_with_the_code_and_binds_them(browser_world, opt_out):
    sandbox = browser_world.start_sandbox(dpop=True, oidc=True)
    browser = browser_world.browser()

    result = browser_world.browser_login(sandbox, browser, *(["--no-dpop"] if opt_out else []))

    assert result.code == 0, result
    stored = browser_world.credentials()
    exchanges = [seen for seen in sandbox.requests_seen if seen.path == "/oauth/token"]
    assert exchanges and all(bool(seen.header("DPoP")) is not opt_out for seen in exchanges)
    if opt_out:
        assert "dpop_key" not in stored and stored["meta"]["token"].get("token_type", "Bearer") != "DPoP"
        return
    assert stored["meta"]["token"]["token_type"] == "DPoP" and stored["dpop_key"]
    assert sandbox.token_binding(stored["token"]) is not None
    assert find_leaks([("login output", result.output)], [stored["dpop_key"]]) == []
    whoami = browser_world.run("whoami")  # userinfo with a fresh proof for the bound token
    assert whoami.code == 0, whoami
