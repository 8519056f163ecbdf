"""HTTP plumbing: the listening server and the per-connection request handler."""

from __future__ import annotations

import contextlib
import io
import json
import selectors
import socket
import threading
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from skytells_sandbox import __version__, routes
from skytells_sandbox.context import Context
from skytells_sandbox.messages import JSON_TYPE, Request, Response, error_response
from skytells_sandbox.state import SeenRequest

MAX_BODY_BYTES = 1024 * 1024


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that counts accepted connections and can drop idle ones."""

    daemon_threads = True
    context: Context

    def __init__(self, address: tuple[str, int], ipv6: bool) -> None:
        if ipv6:
            self.address_family = socket.AF_INET6
        self._lock = threading.Lock()
        self._accepted = 0
        self._open: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()
        try:
            super().__init__(address, SandboxRequestHandler)
        except BaseException:
            self._wake_reader.close()
            self._wake_writer.close()
            raise

    def serve_until_stopped(self) -> None:
        """Accept connections until :meth:`request_stop`.

        Unlike ``serve_forever`` this wakes at once on a stop instead of
        polling, which keeps stopping (and so every test) fast.
        """
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _events in selector.select():
                    if key.fileobj is self and not self._stopping.is_set():
                        self._handle_request_noblock()

    def request_stop(self) -> None:
        """Make :meth:`serve_until_stopped` return soon; does not wait for it."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    def server_close(self) -> None:
        """Release the listening socket and the wake-up pair."""
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    @property
    def connections_accepted(self) -> int:
        """How many TCP connections have been accepted."""
        with self._lock:
            return self._accepted

    def get_request(self) -> tuple[Any, Any]:
        connection, address = super().get_request()
        if self.address_family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._accepted += 1
            self._open.add(connection)
        return connection, address

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_open_connections(self) -> None:
        """Close kept-alive connections so that no request is answered after a stop."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    """Reads one request at a time off a kept-alive connection and answers it."""

    protocol_version = "HTTP/1.1"
    server_version = f"SkytellsSandbox/{__version__}"
    sys_version = ""
    # Idle kept-alive connections are closed after this many seconds.
    timeout = 60
    # Buffer writes so that headers and body leave in one segment; the base
    # class flushes after every request.
    wbufsize = io.DEFAULT_BUFFER_SIZE
    server: SandboxHTTPServer

    def version_string(self) -> str:
        """The ``Server`` header, without the Python version."""
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Stay silent: the default log line has the full path, query string included."""

    def do_GET(self) -> None:
        self._handle()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET  # noqa: N815

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer protocol errors (bad request line, unknown method) with JSON, then close."""
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        body = json.dumps({"error": phrase}).encode("utf-8")
        self.send_response(code, message)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD" and code >= 200 and code not in (204, 304):
            self.wfile.write(body)

    def _read_body(self) -> bytes | Response:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return error_response(411, "Length Required", "Send a Content-Length header")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            return error_response(400, "invalid_request", "Invalid Content-Length")
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            return error_response(413, "Payload Too Large")
        return self.rfile.read(length)

    def _handle(self) -> None:
        context = self.server.context
        target = urllib.parse.urlsplit(self.path)
        path = target.path or "/"
        body = self._read_body()
        request = Request(
            self.command,
            path,
            target.query,
            dict(self.headers.items()),
            body if isinstance(body, bytes) else b"",
        )
        context.state.record(
            SeenRequest(
                method=request.method,
                path=request.path,
                query=request.query,
                headers=request.headers,
                body=request.body,
                time=context.state.now(),
            )
        )
        if isinstance(body, Response):
            response = body
        else:
            try:
                response = routes.dispatch(context, request)
            except Exception:  # keep serving; the client gets a plain 500
                response = error_response(500, "Internal Server Error")
        self._write(response)
        log = context.config.access_log
        if log is not None:
            log.write(f"{self.command} {path} {response.status}\n")
            log.flush()

    def _write(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
