"""The origin rule, the bounds and the secrets of ``skytells api``: what another host receives (nothing),
how long and how much the CLI takes, and that no credential is shown anywhere, --debug and log files included.

A second server on 127.0.0.1 (another origin: another port) records every request it gets.
"""

from __future__ import annotations

import time

import pytest

from .conftest import answer, endless, redirect, stall, trickle

TOKEN = "sk_pat_" + "5e" * 32


@pytest.fixture
def two(e2e, api_server):
    """(console, elsewhere): the console is an observing server reached with SKYTELLS_TOKEN."""
    console, elsewhere = api_server(), api_server()
    e2e.point_at(console.url)
    e2e.env["SKYTELLS_TOKEN"] = e2e.secret(TOKEN)
    return console, elsewhere


def test_an_absolute_url_to_another_origin_is_refused_before_any_request(e2e, two):
    console, elsewhere = two
    for url in (elsewhere.url + "/steal", "https://example.com/x", "http://localhost:1/x"):
        result = e2e.run("api", url)
        assert result.code == 2, result
        assert "no credential is sent there" in result.stderr
    assert elsewhere.received == [] and console.received == []


@pytest.mark.parametrize("flag", ["--inference", "--project"])
def test_an_absolute_url_elsewhere_is_refused_with_a_target_too(e2e, two, flag):
    console, elsewhere = two
    result = e2e.run("api", flag, elsewhere.url + "/x", env={"SKYTELLS_AI_API_URL": console.url + "/v1",
                                                          "SKYTELLS_API_KEY": e2e.secret("sbx_key_" + "1" * 48),
                                                          "SKYTELLS_ACCESS_KEY": e2e.secret("sk_proj_" + "2" * 48)})
    assert result.code == 2, result
    assert "the credential is only ever sent to its own origin" in result.stderr
    assert elsewhere.received == [] and console.received == []


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http://user:pw@127.0.0.1/x", "http://127.0.0.1:0/x",
                                 "http://evil.example/x"])
def test_a_url_the_url_rule_refuses_exits_2(e2e, two, url):
    result = e2e.run("api", url)
    assert result.code == 2, result
    assert "pw" not in result.stderr


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_origin_is_not_followed(e2e, two, status):
    console, elsewhere = two
    console.on("/moved", redirect(elsewhere.url + "/landing?token=" + TOKEN, status))
    result = e2e.run("api", "/moved")
    assert result.code == 1, result
    (line,) = result.error_lines
    assert f"redirect (HTTP {status}) to 127.0.0.1:" in line and "not followed" in line
    assert elsewhere.received == []
    assert len(console.received) == 1


def test_a_redirect_on_the_same_origin_is_followed_with_the_credential(e2e, two):
    console, _elsewhere = two
    console.on("/old", redirect("/new", 301))
    result = e2e.run("api", "/old")
    assert result.code == 0, result
    first, second = console.received
    assert (first.path, second.path) == ("/old", "/new")
    assert second.header("Authorization") == f"Bearer {TOKEN}"


def test_a_post_redirected_with_303_becomes_a_get_without_the_body(e2e, two):
    console, _elsewhere = two
    console.on("/create", redirect("/created", 303))
    assert e2e.run("api", "/create", "-F", "a=1").code == 0
    first, second = console.received
    assert (first.method, second.method, second.body) == ("POST", "GET", b"")


def test_endless_redirects_on_the_same_origin_stop(e2e, two):
    console, _elsewhere = two
    console.on("/loop", redirect("/loop", 302))
    result = e2e.run("api", "/loop")
    assert result.code == 1
    assert "redirected more than 5 times" in result.stderr
    assert len(console.received) == 6


def test_a_stored_token_is_not_sent_to_another_console(e2e, e2e_logged_in, api_server):
    elsewhere = api_server()
    result = e2e.run("api", "/api/v1/cli/projects", env={"SKYTELLS_API_URL": elsewhere.url})
    assert result.code == 4, result
    assert "it is only ever sent to its own server" in result.stderr
    assert elsewhere.received == []


def test_a_stored_api_key_is_not_sent_to_another_inference_api(e2e, api_server):
    key = e2e.secret(e2e.sandbox.issue_api_key())
    assert e2e.run("api-key", "set", input=key + "\n").code == 0
    elsewhere = api_server()
    result = e2e.run("api", "--inference", "models", env={"SKYTELLS_AI_API_URL": elsewhere.url + "/v1"})
    assert result.code == 4, result
    assert "The stored API key (********) was saved for" in result.stderr
    assert elsewhere.received == []


def test_a_linked_project_key_is_not_sent_to_another_console(e2e, api_server):
    key = e2e.issue_project_key()
    assert e2e.run("link", "-", input=key + "\n").code == 0
    elsewhere = api_server()
    result = e2e.run("api", "--project", "/api/v1/cli/project", env={"SKYTELLS_API_URL": elsewhere.url})
    assert result.code == 4, result
    assert "only ever sent to its own server" in result.stderr
    assert elsewhere.received == []


# -- bounds ------------------------------------------------------------------------------------------------

def test_an_endless_body_stops_at_the_limit(e2e, two):
    console, _elsewhere = two
    console.on("/endless", endless)
    started = time.monotonic()
    result = e2e.run("api", "/endless")
    assert result.code == 1, result
    assert result.error_lines == [f"error: {console.url[7:]} sent an answer larger than 8 MiB (HTTP 200); giving up."]
    assert result.stdout == ""
    assert time.monotonic() - started < 20


def test_a_huge_body_stops_at_the_limit(e2e, two):
    console, _elsewhere = two
    console.on("/huge", answer(200, raw=b"x" * (9 * 1024 * 1024), content_type="text/plain"))
    result = e2e.run("api", "/huge")
    assert result.code == 1
    assert "larger than 8 MiB" in result.stderr


@pytest.mark.parametrize("behaviour", [stall, trickle], ids=["silent", "trickling"])
def test_a_slow_server_is_given_up_on(e2e, two, behaviour):
    console, _elsewhere = two
    console.on("/slow", behaviour)
    started = time.monotonic()
    result = e2e.run("api", "/slow", env={"SKYTELLS_HTTP_TIMEOUT": "0.5"})
    assert result.code == 1, result
    assert result.error_lines == [f"error: {console.url[7:]} did not answer in time."]
    assert time.monotonic() - started < 10


def test_binary_bodies_pass_through_a_pipe_unchanged(e2e, two):
    console, _elsewhere = two
    data = bytes(range(256)) * 4
    console.on("/bin", answer(200, raw=data, content_type="application/octet-stream"))
    result = e2e.run("api", "/bin")
    assert result.code == 0
    # CliResult decodes with "replace"; compare through the same decoding
    assert result.stdout == data.decode("utf-8", errors="replace")


# -- secrets -----------------------------------------------------------------------------------------------

def test_a_server_echoing_the_credential_is_masked_everywhere(e2e, two, tmp_path):
    console, _elsewhere = two
    echoed = {"error": {"message": f"bad token {TOKEN}", "details": f"you sent Bearer {TOKEN}"}}
    console.on("/echo", answer(401, echoed))
    log = tmp_path / "api.log"
    e2e.log_files.append(log)
    for args in (("api", "/echo"), ("api", "-i", "/echo"), ("api", "--json", "/echo"),
                 ("--debug", "-vv", "--log-file", str(log), "api", "-i", "/echo")):
        result = e2e.run(*args)
        assert result.code == 4, result
        assert "sk_pat_********" in result.stderr
        assert ("Traceback" in result.stderr) == ("--debug" in args)
    # the canary (when the test ends) searches every output and the log file for the token


def test_debug_shows_the_request_but_no_secret(e2e, e2e_logged_in, tmp_path):
    log = tmp_path / "debug.log"
    e2e.log_files.append(log)
    result = e2e.run("--debug", "-vv", "--log-file", str(log), "api", "/api/v1/cli/projects")
    assert result.code == 0, result
    assert "GET http://127.0.0.1" in log.read_text()
