"""Server behaviour: loopback only, keep-alive, routing, headers, logging and lifecycle."""

from __future__ import annotations

import email.utils
import io
import re
import socket

import pytest
import requests

from skytells_sandbox import routes
from skytells_sandbox.config import DEVICE_GRANT_TYPE, SandboxConfig
from skytells_sandbox.messages import error_response
from skytells_sandbox.server import Sandbox


def raw_exchange(sandbox: Sandbox, data: bytes) -> bytes:
    """Send raw bytes on a new connection and read until the server closes it."""
    host, port = sandbox.url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(data)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


# Loopback only --------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "192.168.1.10", "10.0.0.1", "::", "localhost", "example.com"]
)
def test_non_loopback_hosts_are_refused(host):
    with pytest.raises(ValueError):
        SandboxConfig(host=host)
    with pytest.raises(ValueError):
        Sandbox(host=host)


def test_url_is_the_bound_loopback_address(sandbox_server):
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", sandbox_server.url)

    assert match and int(match.group(1)) > 0


def test_other_loopback_addresses_are_allowed(sandbox_factory):
    sandbox = sandbox_factory(host="127.0.0.2")

    assert sandbox.url.startswith("http://127.0.0.2:")
    assert requests.get(f"{sandbox.url}/api/v1/health", timeout=5).status_code == 200


def test_ipv6_loopback_url_is_bracketed(sandbox_factory):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        sandbox = sandbox_factory(host="::1")
    except OSError:
        pytest.skip("cannot bind ::1 on this machine")

    assert re.fullmatch(r"http://\[::1\]:\d+", sandbox.url)
    assert requests.get(f"{sandbox.url}/api/v1/health", timeout=5).json() == {"status": "ok"}


# Keep-alive -------------------------------------------------------------------------


def test_session_requests_share_one_connection(sandbox_server, sandbox_http):
    first = sandbox_http.get(f"{sandbox_server.url}/api/v1/health")
    second = sandbox_http.post(f"{sandbox_server.url}/api/oauth/device", json={})

    assert (first.status_code, second.status_code) == (200, 200)
    assert sandbox_server.connections_accepted == 1


def test_whole_device_login_uses_one_connection(sandbox_server, sandbox_http):
    url = sandbox_server.url
    flow = sandbox_http.post(f"{url}/api/oauth/device", json={"client_name": "x"}).json()
    poll = {"device_code": flow["device_code"], "grant_type": DEVICE_GRANT_TYPE}
    statuses = [sandbox_http.post(f"{url}/api/oauth/token", json=poll).status_code]
    sandbox_server.approve(flow["user_code"])
    answer = sandbox_http.post(f"{url}/api/oauth/token", json=poll)
    statuses.append(answer.status_code)
    token = answer.json()["access_token"]
    statuses.append(
        sandbox_http.get(
            f"{url}/api/v1/cli/projects", headers={"Authorization": f"Bearer {token}"}
        ).status_code
    )
    # Error answers must keep the connection open as well.
    statuses.append(sandbox_http.get(f"{url}/nowhere").status_code)
    statuses.append(sandbox_http.get(f"{url}/api/v1/health").status_code)

    assert statuses == [428, 200, 200, 404, 200]
    assert sandbox_server.connections_accepted == 1


def test_separate_connections_are_counted(sandbox_server):
    for _ in range(3):
        requests.get(f"{sandbox_server.url}/api/v1/health", timeout=5)

    assert sandbox_server.connections_accepted == 3


def test_connection_close_is_honoured(sandbox_server):
    reply = raw_exchange(
        sandbox_server,
        b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )

    assert reply.startswith(b"HTTP/1.1 200 ")
    assert reply.endswith(b'{"status":"ok"}')
    assert b"Connection: close" in reply


# Routing and headers ------------------------------------------------------------------


def test_health(sandbox_server, sandbox_http):
    response = sandbox_http.get(f"{sandbox_server.url}/api/v1/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert email.utils.parsedate_to_datetime(response.headers["Date"]) is not None


@pytest.mark.parametrize("path", ["/", "/api/v1/health/", "/api/v1/nothing", "/_sandbox/"])
def test_unknown_paths_are_json_404(sandbox_server, sandbox_http, path):
    response = sandbox_http.get(f"{sandbox_server.url}{path}")

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"error": "Not Found"}


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/api/oauth/device", "POST"),
        ("PUT", "/api/oauth/token", "POST"),
        ("POST", "/api/v1/health", "GET, HEAD"),
        ("DELETE", "/device", "GET, POST, HEAD"),
        ("GET", "/_sandbox/tokens", "POST"),
    ],
)
def test_wrong_method_is_405(sandbox_server, sandbox_http, method, path, allow):
    response = sandbox_http.request(method, f"{sandbox_server.url}{path}")

    assert response.status_code == 405
    assert response.json() == {"error": "Method Not Allowed"}
    assert response.headers["Allow"] == allow


def test_head_has_headers_but_no_body(sandbox_server, sandbox_http):
    response = sandbox_http.head(f"{sandbox_server.url}/api/v1/health")
    after = sandbox_http.get(f"{sandbox_server.url}/api/v1/health")

    assert response.status_code == 200
    assert response.content == b""
    assert int(response.headers["Content-Length"]) == len(b'{"status":"ok"}')
    assert after.json() == {"status": "ok"}
    assert sandbox_server.connections_accepted == 1


def test_unsupported_method_gets_a_json_error(sandbox_server):
    reply = raw_exchange(sandbox_server, b"BREW /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")

    assert reply.startswith(b"HTTP/1.1 501 ")
    assert reply.endswith(b'{"error": "Not Implemented"}')


def test_malformed_headers_get_a_json_error(sandbox_server):
    reply = raw_exchange(
        sandbox_server, b"GET /api/v1/health HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n"
    )

    assert reply.startswith(b"HTTP/1.1 431 ")
    assert b"Content-Type: application/json" in reply
    assert reply.endswith(b'{"error": "Request Header Fields Too Large"}')


def test_chunked_bodies_are_refused(sandbox_server):
    reply = raw_exchange(
        sandbox_server,
        b"POST /api/oauth/device HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"2\r\n{}\r\n0\r\n\r\n",
    )

    assert reply.startswith(b"HTTP/1.1 411 ")
    assert sandbox_server.pending_user_codes() == []


def test_oversized_bodies_are_refused(sandbox_server):
    reply = raw_exchange(
        sandbox_server,
        b"POST /api/oauth/device HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n{}",
    )

    assert reply.startswith(b"HTTP/1.1 413 ")


def test_endpoint_failure_is_a_json_500(sandbox_server, sandbox_http, monkeypatch):
    def broken(ctx, request):
        raise RuntimeError("boom")

    monkeypatch.setitem(routes.ROUTES["/api/v1/health"], "GET", broken)

    response = sandbox_http.get(f"{sandbox_server.url}/api/v1/health")
    monkeypatch.undo()
    recovered = sandbox_http.get(f"{sandbox_server.url}/api/v1/health")

    assert response.status_code == 500
    assert response.json() == {"error": "Internal Server Error"}
    assert recovered.status_code == 200


def test_error_response_helper_shape():
    response = error_response(401, "Unauthorized", "Token is invalid or expired")

    assert response.body == b'{"error":"Unauthorized","message":"Token is invalid or expired"}'


# What the sandbox records and logs -----------------------------------------------------


def test_requests_seen_keeps_method_path_raw_authorization_and_body(sandbox_server, sandbox_http):
    token = sandbox_server.issue_token()
    sandbox_http.get(
        f"{sandbox_server.url}/api/v1/cli/projects?verbose=1",
        headers={"Authorization": f"Bearer {token}"},
    )
    sandbox_http.post(f"{sandbox_server.url}/api/oauth/device", json={"client_name": "probe"})

    seen = sandbox_server.requests_seen

    assert [(r.method, r.path) for r in seen] == [
        ("GET", "/api/v1/cli/projects"),
        ("POST", "/api/oauth/device"),
    ]
    assert seen[0].query == "verbose=1"
    assert seen[0].header("authorization") == f"Bearer {token}"
    assert seen[1].body == b'{"client_name": "probe"}'
    sandbox_server.clear_requests()
    assert sandbox_server.requests_seen == []


def test_server_writes_nothing_by_default(sandbox_server, sandbox_http, capfd):
    token = sandbox_server.issue_token()
    flow = sandbox_http.post(f"{sandbox_server.url}/api/oauth/device", json={}).json()
    sandbox_http.get(f"{sandbox_server.url}/device", params={"code": flow["user_code"]})
    sandbox_http.get(
        f"{sandbox_server.url}/api/v1/cli/projects", headers={"Authorization": f"Bearer {token}"}
    )
    raw_exchange(sandbox_server, b"NONSENSE\r\n\r\n")

    captured = capfd.readouterr()

    assert captured.out == "" and captured.err == ""


def test_access_log_has_no_query_strings_or_credentials(sandbox_factory):
    log = io.StringIO()
    sandbox = sandbox_factory(access_log=log)
    token = sandbox.issue_token()
    with requests.Session() as http:
        flow = http.post(f"{sandbox.url}/api/oauth/device", json={}).json()
        http.get(flow["verification_uri_complete"])
        http.get(f"{sandbox.url}/api/v1/cli/projects", headers={"Authorization": f"Bearer {token}"})

    lines = log.getvalue().splitlines()

    assert lines == [
        "POST /api/oauth/device 200",
        "GET /device 200",
        "GET /api/v1/cli/projects 200",
    ]
    assert flow["user_code"] not in log.getvalue() and token not in log.getvalue()


# Lifecycle ---------------------------------------------------------------------------


def test_context_manager_starts_and_stops():
    with Sandbox() as sandbox:
        url = sandbox.url
        assert requests.get(f"{url}/api/v1/health", timeout=5).status_code == 200

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/api/v1/health", timeout=5)


def test_stop_closes_kept_alive_connections(sandbox_http):
    sandbox = Sandbox().start()
    assert sandbox_http.get(f"{sandbox.url}/api/v1/health").status_code == 200

    sandbox.stop()
    sandbox.stop()  # stopping twice is harmless

    with pytest.raises(requests.ConnectionError):
        sandbox_http.get(f"{sandbox.url}/api/v1/health")
    with pytest.raises(RuntimeError):
        sandbox.start()


def test_keyword_overrides_apply_to_the_config():
    sandbox = Sandbox(SandboxConfig(interval=3), dialect="rfc8628", slow_down_polls=2)
    try:
        assert (
            sandbox.config.interval,
            sandbox.config.dialect,
            sandbox.config.slow_down_polls,
        ) == (
            3,
            "rfc8628",
            2,
        )
    finally:
        sandbox.stop()


@pytest.mark.parametrize(
    "fields",
    [
        {"dialect": "oauth"},
        {"slow_down_polls": 1},
        {"interval": -1},
        {"expires_in": 0},
        {"port": 70000},
    ],
)
def test_invalid_configs_are_refused(fields):
    with pytest.raises(ValueError):
        SandboxConfig(**fields)
