"""HttpClient: no redirects, a body cap, https only (but loopback), one-line errors naming the host."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
import urllib3

from skytells.errors import NetworkError, ServerError, UsageError
from skytells.exitcodes import ExitCode
from skytells.net.http import MAX_BODY_BYTES, USER_AGENT, HttpClient, Response

BASE = "https://console.example.test"
HOST = "console.example.test"
SECRET = "sk_pat_" + "c" * 64


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_are_never_followed(requests_mock: Any, unit_http: HttpClient, status: int) -> None:
    requests_mock.get(f"{BASE}/api/v1/cli/projects", status_code=status,
                      headers={"Location": "https://evil.example/collect"})
    stolen = requests_mock.get("https://evil.example/collect", json={})
    with pytest.raises(ServerError) as caught:
        unit_http.request("GET", "/api/v1/cli/projects", bearer=SECRET)
    message = str(caught.value)
    assert f"redirect (HTTP {status}) to evil.example;" in message
    assert "/collect" not in message  # only the host: a path could echo a secret
    assert HOST in message
    assert SECRET not in message
    assert stolen.call_count == 0
    sent = [(r.hostname, r.headers.get("Authorization")) for r in requests_mock.request_history]
    assert sent == [(HOST, f"Bearer {SECRET}")]


def test_a_redirect_location_cannot_inject_terminal_controls(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.get(f"{BASE}/x", status_code=302, headers={"Location": "https://e.example/\x1b[2J\r\x07"})
    with pytest.raises(ServerError, match="redirect") as caught:
        unit_http.request("GET", "/x")
    for character in "\x1b\r\x07":
        assert character not in str(caught.value)


def test_a_redirect_location_that_is_not_utf8_is_a_server_error(requests_mock: Any, unit_http: HttpClient) -> None:
    # requests decodes the Location of every redirect, even when it will not follow it.
    requests_mock.get(f"{BASE}/x", status_code=302, headers={"Location": "https://e.example/\x9b1m\xff"})
    with pytest.raises(ServerError) as caught:
        unit_http.request("GET", "/x", bearer=SECRET)
    assert HOST in str(caught.value)
    assert caught.value.__suppress_context__
    assert len(requests_mock.request_history) == 1


def test_the_body_is_capped(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.get(f"{BASE}/big", content=b" " * (MAX_BODY_BYTES + 1))
    with pytest.raises(ServerError, match=f"{HOST} sent an answer larger than 1024 KiB"):
        unit_http.request("GET", "/big")


def test_a_body_at_the_cap_is_read(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.get(f"{BASE}/big", content=b'"' + b"a" * (MAX_BODY_BYTES - 2) + b'"')
    response = unit_http.request("GET", "/big")
    assert response.kind == "json"
    assert len(response.data) == MAX_BODY_BYTES - 2


@pytest.mark.parametrize(("content", "kind", "data"), [
    (b'{"a": 1}', "json", {"a": 1}),
    (b"  \n", "empty", None),
    (b"", "empty", None),
    (b"\n  <!DOCTYPE html><html><body>Log in to the wifi</body></html>", "html", None),
    (b"Service Unavailable", "other", None),
    (b"\xff\xfe{not utf-8", "other", None),
    (b"[" * 100_000, "other", None),  # nesting too deep for the JSON parser
])
def test_body_kinds(requests_mock: Any, unit_http: HttpClient, content: bytes, kind: str, data: Any) -> None:
    requests_mock.get(f"{BASE}/x", content=content, status_code=502)
    response = unit_http.request("GET", "/x")
    assert (response.status, response.kind, response.data) == (502, kind, data)


def test_an_html_page_is_described_as_html_not_echoed(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.get(f"{BASE}/x", status_code=503, text="<html><script>alert('x')</script>Gateway</html>")
    description = unit_http.request("GET", "/x").describe()
    assert description == "HTTP 503 with an HTML page instead of JSON (a proxy or captive portal?)"


@pytest.mark.parametrize("url", [
    "http://console.skytells.ai",
    "http://127.0.0.1.evil.example:8080",
    "http://0.0.0.0:8080",
    "http://10.0.0.1",
    "ftp://console.skytells.ai",
    "console.skytells.ai",
    "https://",
    "file:///etc/passwd",
])
def test_plain_http_to_another_host_and_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        HttpClient(url)
    assert caught.value.exit_code == ExitCode.USAGE
    assert "SKYTELLS_API_URL" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("url", "host"), [
    ("https://console.skytells.ai", "console.skytells.ai"),
    ("https://console.example.test:8443/", "console.example.test"),
    ("http://127.0.0.1:8765", "127.0.0.1"),
    ("http://127.8.9.10", "127.8.9.10"),
    ("http://localhost:8765", "localhost"),
    ("http://[::1]:8765", "::1"),
])
def test_https_and_loopback_http_are_allowed(url: str, host: str) -> None:
    client = HttpClient(url)
    assert client.url.host == host
    assert client.url.text == url.rstrip("/")


def test_the_setting_named_in_errors_is_the_one_given() -> None:
    with pytest.raises(UsageError, match="SKYTELLS_AI_API_URL"):
        HttpClient("http://api.skytells.ai/v1", setting="SKYTELLS_AI_API_URL")


def test_requests_carry_identity_timeout_and_bearer(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.post(f"{BASE}/api/oauth/device", json={"ok": True})
    response = unit_http.request("POST", "/api/oauth/device", json_body={"a": 1}, bearer="tok")
    request = requests_mock.last_request
    assert response.data == {"ok": True}
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Authorization"] == "Bearer tok"
    assert request.json() == {"a": 1}
    assert request.timeout == (10.0, 30.0)
    requests_mock.get(f"{BASE}/api/v1/health", json={})
    unit_http.request("GET", "/api/v1/health")
    assert "Authorization" not in requests_mock.last_request.headers


@pytest.mark.parametrize(("error", "message"), [
    (requests.exceptions.ConnectionError("HTTPSConnectionPool: Failed to establish a new connection: "
                                         "[Errno 111] Connection refused"),
     f"Could not connect to {HOST} (connection refused)."),
    (requests.exceptions.ConnectTimeout("connect timed out"), f"{HOST} did not answer in time."),
    (requests.exceptions.ReadTimeout("read timed out"), f"{HOST} did not answer in time."),
    (requests.exceptions.SSLError("certificate verify failed"), f"TLS error talking to {HOST}"),
    (requests.exceptions.ProxyError("Cannot connect to proxy"),
     f"The proxy refused or failed the connection to {HOST}"),
    (requests.exceptions.ConnectionError("NameResolutionError: Failed to resolve"), f"Could not resolve {HOST}"),
    (requests.exceptions.ConnectionError("[Errno -2] Name or service not known"), f"Could not resolve {HOST}"),
    (requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104, 'Connection reset by "
                                         "peer'))"), f"The connection to {HOST} was reset."),
    (requests.exceptions.ConnectionError("something else"), f"Could not connect to {HOST}."),
    (requests.exceptions.TooManyRedirects("x"), f"Request to {HOST} failed (TooManyRedirects)."),
])
def test_connection_failures_are_one_line_naming_the_host(requests_mock: Any, unit_http: HttpClient,
                                                          error: Exception, message: str) -> None:
    requests_mock.get(f"{BASE}/x", exc=error)
    with pytest.raises(NetworkError) as caught:
        unit_http.request("GET", "/x", bearer=SECRET)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == ExitCode.FAILURE
    assert caught.value.__suppress_context__  # no chained traceback to print
    assert SECRET not in str(caught.value)


class _BrokenStream(io.RawIOBase):
    """A body that breaks off after a few bytes, as a reset connection does."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.sent:
            self.sent = True
            buffer[:2] = b'{"'
            return 2
        raise urllib3.exceptions.ProtocolError("Connection broken: ConnectionResetError(104, 'reset')")


def test_a_connection_broken_while_reading_is_a_network_error(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.get(f"{BASE}/x", body=_BrokenStream())
    with pytest.raises(NetworkError, match=f"The connection to {HOST} was reset"):
        unit_http.request("GET", "/x")


# -- Response ---------------------------------------------------------------------------


def test_body_unwraps_only_a_lone_data_field() -> None:
    assert Response(200, {}, {"data": {"id": 1}}).body() == {"id": 1}
    assert Response(200, {}, {"data": [1], "meta": {}}).body() == {"data": [1], "meta": {}}
    assert Response(200, {}, [1, 2]).body() == [1, 2]
    assert Response(200, {}, None, kind="html").body() is None


def test_error_code_is_a_short_string_or_none() -> None:
    assert Response(400, {}, {"error": "slow_down"}).error_code() == "slow_down"
    assert Response(400, {}, {"error": "x" * 101}).error_code() is None
    assert Response(400, {}, {"error": {"code": "slow_down"}}).error_code() is None
    assert Response(400, {}, ["slow_down"]).error_code() is None


def test_describe_prefers_the_description_and_is_terminal_safe() -> None:
    body = {"error": "invalid_grant", "message": "msg", "error_description": "Bad \x1b[31mcode\r\n\u202e"}
    assert Response(400, {}, body).describe() == "HTTP 400: Bad \ufffd[31mcode\ufffd\ufffd\ufffd"
    assert Response(400, {}, {"message": "  ", "error": "e"}).describe() == "HTTP 400: e"
    assert Response(500, {}, {"message": 5}).describe() == "HTTP 500"
    assert len(Response(500, {}, {"message": "m" * 5000}).describe()) == len("HTTP 500: ") + 200


def test_a_secret_sent_is_masked_in_a_description_even_where_the_text_is_cut(unit_http: HttpClient,
                                                                             requests_mock: Any) -> None:
    from skytells.safety import redaction

    secret = "dc-" + "9" * 40
    requests_mock.post(BASE + "/token", status_code=400,
                       json={"error_description": "x" * 180 + secret})
    redaction.reset()
    described = unit_http.request("POST", "/token", json_body={"device_code": secret}).describe()
    assert described.startswith("HTTP 400: " + "x" * 180)
    assert "9" * 10 not in described


@pytest.mark.parametrize("url", ["https://user:hunter2@console.example.test:8443",
                                 "https://hunter2@console.example.test", "https://:hunter2@console.example.test"])
def test_credentials_in_the_base_url_are_refused_without_showing_them(requests_mock: Any, url: str) -> None:
    with pytest.raises(UsageError) as caught:
        HttpClient(url)
    assert "hunter2" not in str(caught.value) and "hunter2" not in (caught.value.hint or "")
    assert "console.example.test" in str(caught.value)
    assert requests_mock.request_history == []


def test_the_prepared_request_goes_to_the_checked_host(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.get(f"{BASE}/api/v1/health", json={})
    unit_http.request("GET", "/api/v1/health")
    sent = requests_mock.last_request
    assert (sent.scheme, sent.hostname, sent.port, sent.path) == ("https", HOST, 443, "/api/v1/health")


@pytest.mark.parametrize("path", ["api", "/a b", "/a\\b", "/@evil.example", "/a?b", "/a#b"])
def test_a_path_that_is_not_plain_never_becomes_a_request(requests_mock: Any, unit_http: HttpClient,
                                                           path: str) -> None:
    with pytest.raises(ValueError, match="not a plain path"):
        unit_http.request("GET", path)
    assert requests_mock.request_history == []


def test_a_redirect_to_a_url_with_userinfo_names_only_its_host(requests_mock: Any, unit_http: HttpClient) -> None:
    requests_mock.get(f"{BASE}/x", status_code=302, headers={"Location": "https://bob:hunter2@e.example/c"})
    with pytest.raises(ServerError) as caught:
        unit_http.request("GET", "/x")
    assert "to e.example;" in str(caught.value)
    assert "hunter2" not in str(caught.value) and "bob" not in str(caught.value)


PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:8765", "http://[::1]:8765",
                                 "https://localhost:8443"])
def test_a_loopback_server_is_reached_directly_whatever_the_proxy_settings(
        requests_mock: Any, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.setenv(name, "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    requests_mock.get(f"{url}/x", json={})
    HttpClient(url).request("GET", "/x", bearer=SECRET)
    assert requests_mock.last_request.proxies == {}


def test_an_https_server_keeps_the_proxy_and_ca_bundle_from_the_environment(
        requests_mock: Any, monkeypatch: pytest.MonkeyPatch, unit_http: HttpClient, tmp_path: Any) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    requests_mock.get(f"{BASE}/x", json={})
    unit_http.request("GET", "/x")
    assert requests_mock.last_request.proxies.get("https") == "http://proxy.example:3128"
    assert requests_mock.last_request.verify == str(bundle)
