"""Fixtures for ``skytells api`` and the API client: the end-to-end worlds, and a server that tells what it got.

``e2e`` (the installed ``skytells`` against a console sandbox; the secret
canary runs when the test ends) and ``oauth_world`` (sandboxes in standard
OAuth mode with a wall clock the test moves) are those of ``tests/e2e`` and
``tests/oauth_e2e``. ``api_server`` starts :class:`ObservingServer`s on
127.0.0.1: each records every request it receives, whole, and answers with
what the test told it to, so that a test can see what reached a host, and
what did not.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fixture_loading import load_conftest

_e2e = load_conftest("api_e2e_fixtures", "e2e")
_oauth = load_conftest("api_oauth_e2e_fixtures", "oauth_e2e")

e2e = _e2e.e2e
e2e_logged_in = _e2e.e2e_logged_in
e2e_closed_url = _e2e.e2e_closed_url
oauth_world = _oauth.oauth_world


@dataclass
class Received:
    """One request as the server got it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


Behaviour = Callable[[BaseHTTPRequestHandler, Received], None]


def answer(status: int = 200, body: Any = None, *, headers: tuple[tuple[str, str], ...] = (),
           raw: bytes | None = None, content_type: str = "application/json") -> Behaviour:
    """Answer with ``status`` and a JSON ``body`` (or the bytes ``raw``)."""
    data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())

    def behave(handler: BaseHTTPRequestHandler, _request: Received) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    return behave


def echo(handler: BaseHTTPRequestHandler, request: Received) -> None:
    """Answer 200 with what was received: method, path with query, headers and body."""
    document = {"method": request.method, "path": request.path, "headers": request.headers,
                "body": request.body.decode("utf-8", errors="replace")}
    answer(200, document)(handler, request)


def redirect(location: str, status: int = 302) -> Behaviour:
    return answer(status, {"moved": True}, headers=(("Location", location),))


def endless(handler: BaseHTTPRequestHandler, _request: Received) -> None:
    """A chunked body that never ends (until the client goes away)."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"[" * 65536
    try:
        while True:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        return


def stall(handler: BaseHTTPRequestHandler, _request: Received) -> None:
    """Never answer (for 30 s): the client's timeout must end it."""
    time.sleep(30)


def trickle(handler: BaseHTTPRequestHandler, _request: Received) -> None:
    """Announce a body, then send it one byte every 0.1 s."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "1000")
    handler.end_headers()
    try:
        for _ in range(1000):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)
    except OSError:
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Received(self.command, self.path, dict(self.headers.items()), body)
        with self.server.lock:
            self.server.received.append(request)
            behaviour = self.server.routes.get(self.path.split("?", 1)[0], self.server.default)
        behaviour(self, request)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.routes: dict[str, Behaviour] = {}
        self.default: Behaviour = echo


class ObservingServer:
    """A server on 127.0.0.1 that records every request and answers as told (``echo`` by default)."""

    def __init__(self) -> None:
        self._server = _Server()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def on(self, path: str, behaviour: Behaviour) -> None:
        """Answer requests for ``path`` (without query) with ``behaviour``."""
        with self._server.lock:
            self._server.routes[path] = behaviour

    @property
    def received(self) -> list[Received]:
        with self._server.lock:
            return list(self._server.received)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def api_server() -> Iterator[Callable[[], ObservingServer]]:
    """Start observing servers on 127.0.0.1 (``api_server()``); all stop after the test."""
    started: list[ObservingServer] = []

    def start() -> ObservingServer:
        server = ObservingServer()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
