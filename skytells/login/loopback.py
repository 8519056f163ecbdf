"""A one-shot HTTP listener on 127.0.0.1 for a browser login's redirect (RFC 8252 section 7.3).

:class:`LoopbackListener` binds ``127.0.0.1`` only (never ``localhost``, which
may resolve elsewhere, and never every interface), on a port the system picks
or the one asked for. :meth:`LoopbackListener.poll` never blocks: it accepts
what has arrived, answers every request that is not a ``GET`` of the callback
path on this very address (a favicon, a scan, a page on another name
rebound to 127.0.0.1) with a 404 and forgets it, and returns the first callback
as a :class:`Callback`, whose browser waits until :meth:`Callback.answer`.
Connections that send no whole request in time, or too much, are dropped.
"""

from __future__ import annotations

import contextlib
import errno
import html
import os
import select
import socket
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

from skytells.errors import SkytellsError, UsageError

#: The only address listened on: an IPv4 literal, as RFC 8252 section 8.3 advises.
LOOPBACK = "127.0.0.1"
CALLBACK_PATH = "/callback"
#: The most a request's line and headers may take.
MAX_REQUEST = 16384
#: Connections kept open at once, waiting for their request; the oldest goes first.
MAX_CONNECTIONS = 16
#: Seconds a connection may take to send its request (on the listener's clock).
IDLE_LIMIT = 10.0
#: Seconds an answer may take to be written, in real time.
SEND_TIMEOUT = 2.0

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 431: "Request Header Fields Too Large"}
_STYLE = ("body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:4em auto;padding:0 1em;color:#1d2330}"
          "h1{font-size:1.4em}")


@dataclass(frozen=True)
class Page:
    """What the browser is shown: a status, a title and one sentence. Never a secret."""

    status: int
    title: str
    message: str

    def render(self) -> bytes:
        """The whole HTTP response: a small page that loads nothing and is never cached or framed."""
        body = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{_STYLE}</style></head>"
                f"<body><h1>{html.escape(self.title)}</h1><p>{html.escape(self.message)}</p></body></html>\n"
                ).encode()
        head = (f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Error')}\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'\r\n"
                "X-Frame-Options: DENY\r\n"
                "Connection: close\r\n\r\n").encode("ascii")
        return head + body


NOT_HERE = Page(404, "Not found", "This address only takes the answer of a sign-in the terminal is waiting for.")
BAD_REQUEST = Page(400, "Bad request", "This address only takes the answer of a sign-in the terminal is waiting for.")


def _send(connection: socket.socket, page: Page) -> None:
    """Write ``page`` and close; a browser that went away is no failure."""
    with contextlib.suppress(OSError):
        connection.setblocking(True)
        connection.settimeout(SEND_TIMEOUT)
        connection.sendall(page.render())
        connection.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        connection.close()


class Callback:
    """One request to the callback path: its query parameters, and the browser that waits for a page."""

    def __init__(self, query: str, connection: socket.socket) -> None:
        #: Every query parameter with each value it was given, in order.
        self.parameters: dict[str, list[str]] = {}
        for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
            self.parameters.setdefault(name, []).append(value)
        self._connection: socket.socket | None = connection

    def value(self, name: str) -> str | None:
        """The value of parameter ``name``; None when it is absent."""
        values = self.parameters.get(name)
        return values[0] if values else None

    def repeated(self) -> str | None:
        """The name of a parameter given more than once (RFC 6749 section 3.1 forbids it), or None."""
        return next((name for name, values in self.parameters.items() if len(values) > 1), None)

    @property
    def answered(self) -> bool:
        """True once the browser got its page."""
        return self._connection is None

    def answer(self, page: Page) -> None:
        """Show ``page`` to the browser that came back, once; later calls do nothing."""
        if self._connection is not None:
            connection, self._connection = self._connection, None
            _send(connection, page)


@dataclass
class _Connection:
    socket: socket.socket
    opened_at: float
    received: bytearray = field(default_factory=bytearray)


class LoopbackListener:
    """Listens on ``127.0.0.1:port`` (0: the system picks) until closed; use it as a context manager.

    ``clock`` (monotonic seconds) times how long a connection may stay
    silent. UsageError when the port asked for is taken or not allowed.
    """

    def __init__(self, port: int = 0, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._connections: list[_Connection] = []
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if os.name == "posix":  # a port left in TIME_WAIT by the last login is free again (never shared)
                listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind((LOOPBACK, port))
            listening.listen(MAX_CONNECTIONS)
            listening.setblocking(False)
        except OSError as error:
            listening.close()
            raise self._bind_error(port, error) from None
        self._socket: socket.socket | None = listening
        self.port: int = listening.getsockname()[1]

    @staticmethod
    def _bind_error(port: int, error: OSError) -> SkytellsError:
        if port and error.errno == errno.EADDRINUSE:
            return UsageError(f"Port {port} on {LOOPBACK} is in use; the browser login cannot listen there.",
                              hint="Choose another --port, or leave --port out and the system picks a free one.")
        if port and error.errno == errno.EACCES:
            return UsageError(f"Port {port} on {LOOPBACK} is not allowed for this user.",
                              hint="Choose a port from 1024 up, or leave --port out.")
        return SkytellsError(f"Could not listen on {LOOPBACK} for the browser's return "
                             f"({error.strerror or 'unknown error'}).")

    @property
    def redirect_uri(self) -> str:
        """Where the browser is sent back: ``http://127.0.0.1:PORT/callback``."""
        return f"http://{LOOPBACK}:{self.port}{CALLBACK_PATH}"

    def __enter__(self) -> LoopbackListener:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and drop every connection still open (their browsers get nothing more)."""
        for connection in self._connections:
            with contextlib.suppress(OSError):
                connection.socket.close()
        self._connections.clear()
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()
            self._socket = None

    @property
    def closed(self) -> bool:
        """True once :meth:`close` ran."""
        return self._socket is None

    def poll(self) -> Callback | None:
        """Handle what has arrived, without waiting; the first callback request, or None."""
        if self._socket is None:
            raise RuntimeError("the listener is closed")
        sockets = [self._socket, *(connection.socket for connection in self._connections)]
        readable, _writable, _failed = select.select(sockets, [], [], 0)
        if self._socket in readable:
            self._accept()
        found = None
        for connection in list(self._connections):
            if connection.socket in readable and found is None:
                found = self._read(connection)
            elif self._clock() - connection.opened_at > IDLE_LIMIT:
                self._drop(connection)
        return found

    def _accept(self) -> None:
        assert self._socket is not None
        while True:
            try:
                accepted, _address = self._socket.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of descriptors, a connection reset before it was taken: try again later
                return
            accepted.setblocking(False)
            if len(self._connections) >= MAX_CONNECTIONS:
                self._drop(self._connections[0])
            self._connections.append(_Connection(accepted, self._clock()))

    def _drop(self, connection: _Connection) -> None:
        self._connections.remove(connection)
        with contextlib.suppress(OSError):
            connection.socket.close()

    def _read(self, connection: _Connection) -> Callback | None:
        try:
            data = connection.socket.recv(4096)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            self._drop(connection)
            return None
        if not data:
            self._drop(connection)
            return None
        connection.received += data
        end = connection.received.find(b"\r\n\r\n")
        if end < 0:
            if len(connection.received) > MAX_REQUEST:
                self._connections.remove(connection)
                _send(connection.socket, Page(431, "Request too large", NOT_HERE.message))
            return None
        self._connections.remove(connection)
        return self._request(connection.socket, bytes(connection.received[:end]))

    def _request(self, connection: socket.socket, head: bytes) -> Callback | None:
        """The callback in ``head``, or None after answering anything else."""
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            _send(connection, BAD_REQUEST)
            return None
        method, target, _version = parts
        path, _question, query = target.partition("?")
        hosts = [line.partition(":")[2].strip().lower() for line in lines[1:]
                 if line.partition(":")[0].strip().lower() == "host"]
        # A page on another name rebound to 127.0.0.1 sends its own Host: it is not the browser coming back.
        if method != "GET" or path != CALLBACK_PATH or hosts != [f"{LOOPBACK}:{self.port}"]:
            _send(connection, NOT_HERE)
            return None
        return Callback(query, connection)
