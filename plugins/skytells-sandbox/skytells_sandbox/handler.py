"""HTTP plumbing: the listening server and the per-connection request handler."""

from __future__ import annotations

import contextlib
import io
import json
import selectors
import socket
import sys
import threading
import time
import urllib.parse
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO

from skytells_sandbox import __version__, routes
from skytells_sandbox.context import Context
from skytells_sandbox.messages import JSON_TYPE, Request, Response, error_response
from skytells_sandbox.state import SeenRequest

MAX_BODY_BYTES = 1024 * 1024
#: Errors that only mean the client went away or stalled; the connection is dropped silently.
DISCONNECTS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that counts accepted connections and can drop open ones.

    Stopping is bounded: handler threads are daemons that nothing joins
    implicitly, :meth:`drop_open_connections` wakes every handler blocked on
    its socket, and :meth:`wait_for_handlers` waits for them with a deadline.
    """

    daemon_threads = True
    context: Context

    def __init__(self, address: tuple[str, int], ipv6: bool) -> None:
        if ipv6:
            self.address_family = socket.AF_INET6
        self._lock = threading.Lock()
        self._accepted = 0
        self._open: set[socket.socket] = set()
        self._handlers: set[threading.Thread] = set()
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
        """Make :meth:`serve_until_stopped` return soon and handlers answer nothing more.

        Does not wait for either.
        """
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    @property
    def stopping(self) -> bool:
        """Whether :meth:`request_stop` was called."""
        return self._stopping.is_set()

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
        if self.stopping:  # drop_open_connections may have run already: never serve it
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        return connection, address

    def process_request(self, request: Any, client_address: Any) -> None:
        """Handle ``request`` in a daemon thread that :meth:`wait_for_handlers` can wait for."""
        thread = threading.Thread(
            target=self._handle_in_thread,
            args=(request, client_address),
            name=f"skytells-sandbox-connection-{client_address[1]}",
            daemon=True,
        )
        with self._lock:
            self._handlers.add(thread)
        thread.start()

    def _handle_in_thread(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._handlers.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Report an unexpected failure in one line; a client that went away is not an error."""
        error = sys.exc_info()[1]
        if isinstance(error, DISCONNECTS) or (isinstance(error, OSError) and self.stopping):
            return
        peer = ":".join(str(part) for part in client_address[:2])
        with contextlib.suppress(Exception):  # a broken stderr must not kill the handler
            print(
                f"skytells-sandbox: error: connection from {peer} failed: "
                f"{type(error).__name__}: {error}",
                file=sys.stderr,
                flush=True,
            )

    def shutdown_request(self, request: Any) -> None:
        with self._lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_open_connections(self) -> None:
        """Shut every open connection down so that no request is answered after a stop.

        A handler blocked reading or writing its socket wakes up at once and
        finds the connection closed.
        """
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def wait_for_handlers(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds in all for handler threads; whether all ended."""
        deadline = time.monotonic() + timeout
        with self._lock:
            handlers = list(self._handlers)
        for thread in handlers:
            thread.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            return not self._handlers


class ArrivalReader:
    """Reads a connection's bytes and notes when they stopped short of what was asked.

    A line without its newline, or a body shorter than asked for, means the
    client stopped sending (it closed, or the server shut the connection on
    stop): such a request is never answered, as it never fully arrived.
    """

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.cut_short = False

    def readline(self, limit: int = -1) -> bytes:
        """Read a line; a line missing its newline without hitting ``limit`` is cut short."""
        line = self._raw.readline(limit)
        if not line.endswith(b"\n") and (limit < 0 or len(line) < limit):
            self.cut_short = True
        return line

    def read(self, size: int = -1) -> bytes:
        """Read ``size`` bytes; fewer means the request was cut short."""
        data = self._raw.read(size)
        if 0 <= size != len(data):
            self.cut_short = True
        return data

    def close(self) -> None:
        """Close the underlying stream."""
        self._raw.close()

    @property
    def closed(self) -> bool:
        """Whether the underlying stream is closed."""
        return self._raw.closed


class SandboxRequestHandler(BaseHTTPRequestHandler):
    """Reads one request at a time off a kept-alive connection and answers it.

    A request is answered only once it has fully arrived and while the
    server is not stopping; a client that leaves or stalls midway is dropped
    without an answer, a log line or a traceback.
    """

    protocol_version = "HTTP/1.1"
    server_version = f"SkytellsSandbox/{__version__}"
    sys_version = ""
    # Idle kept-alive connections are closed after this many seconds.
    timeout = 60
    # Buffer writes so that headers and body leave in one segment; the base
    # class flushes after every request.
    wbufsize = io.DEFAULT_BUFFER_SIZE
    server: SandboxHTTPServer
    rfile: ArrivalReader  # type: ignore[assignment]

    def setup(self) -> None:
        """Wrap the read stream so that a request cut short is noticed."""
        super().setup()
        self.rfile = ArrivalReader(self.rfile)  # type: ignore[arg-type]

    def handle(self) -> None:
        """Answer requests until the connection closes; a peer that leaves ends it quietly."""
        try:
            super().handle()
        except DISCONNECTS:
            self.close_connection = True

    def finish(self) -> None:
        """Flush and close the streams; a peer that left takes the unsent rest with it."""
        try:
            super().finish()
        except OSError:
            with contextlib.suppress(OSError):
                self.rfile.close()

    def parse_request(self) -> bool:
        """Parse the request line and headers; drop the connection if either was cut short."""
        if not self.raw_requestline.endswith(b"\n"):
            self.close_connection = True
            return False
        if not super().parse_request():
            return False
        if self.rfile.cut_short:
            self.close_connection = True
            return False
        return True

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

    def _read_body(self) -> bytes | Response | None:
        """The body; an error answer for an unusable length; ``None`` if it was cut short."""
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
        body = self.rfile.read(length)
        return None if self.rfile.cut_short else body

    def _handle(self) -> None:
        context = self.server.context
        target = urllib.parse.urlsplit(self.path)
        path = target.path or "/"
        body = self._read_body()
        if body is None or self.server.stopping:
            self.close_connection = True
            return
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
