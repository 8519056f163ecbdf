"""Clients that leave midway: nothing is answered or printed for them, and stopping stays prompt."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest
import requests

from skytells_sandbox.handler import SandboxRequestHandler

TIMEOUT = 5.0
# Requests that stop partway: in the request line, in a header line, before the blank
# line that ends the headers, and in a body shorter than its Content-Length.
CUT_SHORT = {
    "request line": b"GET /api/v1/hea",
    "header line": b"GET /api/v1/health HTTP/1.1\r\nHo",
    "headers": b"GET /api/v1/health HTTP/1.1\r\nHost: sandbox\r\n",
    "body": b'POST /_sandbox/tokens HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"scopes"',
    "nothing": b"",
}
HEALTH = b"GET /api/v1/health HTTP/1.1\r\nHost: sandbox\r\n\r\n"


def connect(port: int, payload: bytes = b"") -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    connection.sendall(payload)
    return connection


def port_of(sandbox) -> int:
    return int(sandbox.url.rsplit(":", 1)[1])


def read_to_end(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    try:
        while chunk := connection.recv(65536):
            received += chunk
    except ConnectionResetError:
        pass
    return received


def reset(connection: socket.socket) -> None:
    """Close with a TCP reset, as a client that crashes does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def answered(sandbox, http) -> bool:
    return http.get(f"{sandbox.url}/api/v1/health", timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("payload", CUT_SHORT.values(), ids=CUT_SHORT.keys())
def test_a_request_cut_short_is_not_answered(sandbox_server, payload, capfd):
    with connect(port_of(sandbox_server), payload) as connection:
        connection.shutdown(socket.SHUT_WR)  # the client sends nothing more

        assert read_to_end(connection) == b""
    sandbox_server.stop()

    assert sandbox_server.requests_seen == []
    assert capfd.readouterr().err == ""


def test_a_whole_request_is_answered_after_the_client_stops_sending(sandbox_server):
    with connect(port_of(sandbox_server), HEALTH) as connection:
        connection.shutdown(socket.SHUT_WR)

        assert read_to_end(connection).startswith(b"HTTP/1.1 200 ")


def test_stop_is_prompt_with_abandoned_connections(sandbox_server, sandbox_http, capfd):
    port = port_of(sandbox_server)
    abandoned = [connect(port, payload) for payload in CUT_SHORT.values()]
    # A client that sends requests and never reads the answers.
    abandoned.append(connect(port, HEALTH * 2000))
    assert answered(sandbox_server, sandbox_http)  # so every connection above was accepted

    started = time.monotonic()
    sandbox_server.stop()
    elapsed = time.monotonic() - started

    try:
        assert elapsed < 1.5  # well under STOP_TIMEOUT: no handler was waited out
        for connection in abandoned:
            connection.settimeout(TIMEOUT)
            read_to_end(connection)  # returns: the server closed every one of them
        paths = [seen.path for seen in sandbox_server.requests_seen]
        assert "/_sandbox/tokens" not in paths and "/api/v1/hea" not in paths
        assert capfd.readouterr().err == ""
    finally:
        for connection in abandoned:
            connection.close()


def test_a_client_that_resets_leaves_no_trace(sandbox_server, sandbox_http, capfd):
    port = port_of(sandbox_server)
    for _ in range(3):
        connection = connect(port, b"GET /device HTTP/1.1\r\nHost: sandbox\r\n\r\n" * 200)
        connection.recv(1)  # the server is writing the answers
        reset(connection)

    assert answered(sandbox_server, sandbox_http)  # it goes on serving
    sandbox_server.stop()
    assert capfd.readouterr().err == ""


def test_an_idle_connection_times_out_silently(sandbox_factory, monkeypatch, capfd):
    monkeypatch.setattr(SandboxRequestHandler, "timeout", 0.2)
    sandbox = sandbox_factory()

    with connect(port_of(sandbox), b"GET /api/v1/health HTTP/1.1\r\n") as connection:
        started = time.monotonic()
        assert read_to_end(connection) == b""
        assert time.monotonic() - started < TIMEOUT
    sandbox.stop()

    assert sandbox.requests_seen == []
    assert capfd.readouterr().err == ""


def test_an_unexpected_failure_is_one_line_without_traceback(
    sandbox_server, sandbox_http, monkeypatch, capfd
):
    def fail(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(SandboxRequestHandler, "_read_body", fail)

    with pytest.raises(requests.ConnectionError):
        sandbox_http.get(f"{sandbox_server.url}/api/v1/health", timeout=TIMEOUT)
    sandbox_server.stop()

    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert re.fullmatch(
        r"skytells-sandbox: error: connection from 127\.0\.0\.1:\d+ failed: RuntimeError: boom\n",
        err,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
@pytest.mark.parametrize("program", ["command", "module"])
def test_a_signal_stops_the_process_promptly_and_quietly(program, stop_signal, sandbox_process):
    server = sandbox_process(program, "--port", "0")
    abandoned = [connect(server.port, payload) for payload in CUT_SHORT.values()]
    crashed = connect(server.port, b"GET /device HTTP/1.1\r\nHost: sandbox\r\n\r\n" * 200)
    crashed.recv(1)
    reset(crashed)
    try:
        assert requests.get(f"{server.url}/api/v1/health", timeout=TIMEOUT).status_code == 200

        started = time.monotonic()
        rest = server.stop(stop_signal, timeout=TIMEOUT)
        elapsed = time.monotonic() - started
    finally:
        for connection in abandoned:
            connection.close()

    assert server.process.returncode == 0
    assert elapsed < 3.0
    assert "Traceback" not in rest and "Error" not in rest
    assert rest.count("stopped") == 1 and rest.endswith("Skytells sandbox stopped.\n")
    assert "GET /api/v1/health 200" in rest
    assert "POST /_sandbox/tokens" not in rest and "/api/v1/hea " not in rest


def read_url(stream, timeout: float = 10.0) -> str:
    """Read the start lines up to the exported URL, and not a byte more."""
    text = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        while (match := re.search(rb"export SKYTELLS_API_URL=(\S+)\n", text)) is None:
            assert selector.select(max(0.0, deadline - time.monotonic())), text
            chunk = os.read(stream.fileno(), 1)
            assert chunk, text
            text += chunk
    return match.group(1).decode()


def test_the_process_exits_when_nobody_reads_its_stderr():
    # Whatever it would print about these clients fills the pipe and would block it.
    process = subprocess.Popen(
        [sys.executable, "-m", "skytells_sandbox", "--port", "0", "--quiet"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        port = int(read_url(process.stderr).rsplit(":", 1)[1])
        for _ in range(40):
            crashed = connect(port, b"GET /device HTTP/1.1\r\nHost: sandbox\r\n\r\n" * 100)
            crashed.recv(1)
            reset(crashed)
        with connect(port, HEALTH) as connection:
            assert connection.recv(12) == b"HTTP/1.1 200"

        process.send_signal(signal.SIGTERM)

        assert process.wait(timeout=TIMEOUT) == 0
        rest = process.stderr.read().decode()
        assert rest.endswith("Press Ctrl-C to stop.\nSkytells sandbox stopped.\n"), rest
        assert "Traceback" not in rest
    finally:
        process.kill()
        process.wait()
        process.stderr.close()
