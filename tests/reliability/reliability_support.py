"""Machinery shared by the reliability tests and ``benchmarks/stress.py``.

- :class:`World`: a :class:`skytells.testing.InProcessRunner` whose TMPDIR is
  under its root too, that can run the CLI under a virtual clock or with stdin
  closed (those runs, and runs with a wrapper, start the executable; the
  others call its ``main`` in this process), and hands back runs that time
  out instead of failing;
- :class:`HostileServer`: a threaded HTTP server on 127.0.0.1 that answers
  each path with a scripted behaviour, from well-formed JSON to resets,
  stalls, trickled bytes and redirects, and records what it received;
- crash injection for the file store (:func:`crash_events`, :func:`run_crash_point`).

Secret scanning (:func:`leaks`) is the canary of :mod:`skytells.testing.canary`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import stat
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from http.client import responses
from pathlib import Path
from typing import Any

from skytells.testing import CliProcess, CliResult, CliTerminal, InProcessRunner, find_leaks
from skytells.testing.stores import new_project_key, new_token

PYTHON = sys.executable
TIMEOUT = 30.0
#: Per-request timeout the CLI gets in hostile tests (SKYTELLS_HTTP_TIMEOUT), so stalls end quickly.
SHORT_HTTP_TIMEOUT = "0.5"
#: Terminal controls and bidirectional overrides that server text must never carry to the terminal.
UNSAFE_OUTPUT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")

def clock_script(real_share: float = 0.0) -> str:
    """The CLI's own main() under a virtual monotonic clock: sleeping advances the clock, and waits
    ``real_share`` of the time for real (0: not at all), so a device flow that polls for 15 minutes
    ends in about a second. Everything else (sockets, files, the wall clock) is real."""
    return f"""
import sys, time
_now = [time.monotonic()]
_real_sleep = time.sleep
def _monotonic():
    return _now[0]
def _sleep(seconds):
    _now[0] += max(seconds, 0.0)
    _real_sleep(max(seconds, 0.0) * {real_share!r})
time.monotonic = _monotonic
time.sleep = _sleep
from skytells.main import main
sys.argv[0] = "skytells"
sys.exit(main(sys.argv[1:]))
"""


VIRTUAL_CLOCK = clock_script()
# Runs a command with its standard input closed altogether (not merely empty).
CLOSED_STDIN = "import os, sys; os.close(0); os.execv(sys.argv[1], sys.argv[1:])"

Run = CliResult
leaks = find_leaks
fake_pat = new_token  # a well-formed personal access token no server knows
fake_project_key = new_project_key  # a well-formed project access key no server knows


def fake_device_code() -> str:
    """A device code as a hostile server would hand one out."""
    return "dc_" + secrets.token_urlsafe(32)


def files_under(*roots: Path, skip: Iterable[Path] = ()) -> Iterator[Path]:
    """Every regular file under ``roots`` (symbolic links not followed), except ``skip``."""
    skipped = {Path(p) for p in skip}
    for root in roots:
        if not root.exists():
            continue
        for directory, _dirs, names in os.walk(root):
            for name in names:
                path = Path(directory) / name
                if path not in skipped and stat.S_ISREG(os.lstat(path).st_mode):
                    yield path


def clean_failure_problems(run: Run, code: int | Sequence[int], host: str) -> list[str]:
    """What is wrong with how a run failed; empty when it failed the documented way.

    The documented way: the expected exit code, exactly one ``error:`` line,
    last, naming the host; no traceback, no hang, and no terminal control
    character anywhere in the output.
    """
    codes = (code,) if isinstance(code, int) else tuple(code)
    problems = []
    if run.timed_out:
        return ["hang: the command did not finish"]
    if run.code not in codes:
        problems.append(f"exit code {run.code}, expected {' or '.join(map(str, codes))}")
    if "Traceback" in run.output:
        problems.append("traceback")
    errors = run.error_lines
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    if len(errors) != 1 or not lines or not lines[-1].startswith("error:"):
        problems.append(f"{len(errors)} error lines (expected one, last)")
    if host not in (errors[-1] if errors else ""):
        problems.append(f"the error does not name the host {host}")
    if UNSAFE_OUTPUT.search(run.output):
        problems.append("a terminal control character reached the output")
    return problems


class World(InProcessRunner):
    """One isolated machine (HOME, config, cache and TMPDIR under ``root``) that keeps every run.

    A run that outlives its timeout comes back with ``timed_out`` set rather than failing the test.
    """

    timeout = TIMEOUT
    fail_on_timeout = False

    def __init__(self, root: Path) -> None:
        super().__init__(root, config_dir=root / "home" / ".config" / "skytells")
        self.tmp_dir = root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        self.env["TMPDIR"] = str(self.tmp_dir)

    @staticmethod
    def _program(virtual_clock: bool) -> Sequence[str] | None:
        return (PYTHON, "-c", VIRTUAL_CLOCK) if virtual_clock else None

    def run(self, *args: str, virtual_clock: bool = False, close_stdin: bool = False, prefix: Sequence[str] = (),
            **options: Any) -> Run:
        """Run ``skytells ARGS`` to completion (see :meth:`CliRunner.run`), under a virtual clock or with
        stdin closed altogether if asked. ``prefix`` is a wrapper command (such as setpriv)."""
        if close_stdin:
            prefix = (PYTHON, "-c", CLOSED_STDIN, *prefix)
        return super().run(*args, program=self._program(virtual_clock), prefix=prefix, **options)

    def start(self, *args: str, virtual_clock: bool = False, **options: Any) -> CliProcess:
        """Start ``skytells ARGS`` in the background (see :meth:`CliRunner.start`)."""
        return super().start(*args, program=self._program(virtual_clock), **options)

    def spawn(self, *args: str, virtual_clock: bool = False, **options: Any) -> Any:
        """Start ``skytells ARGS`` on a real pseudo-terminal; the pexpect child."""
        terminal: CliTerminal = super().spawn(*args, program=self._program(virtual_clock), **options)
        return terminal.child

    def temporaries(self) -> list[str]:
        """Temporary files left in the configuration directory."""
        if not self.config_dir.is_dir():
            return []
        return sorted(p.name for p in self.config_dir.iterdir() if p.name.endswith(".tmp"))

    def stray_files(self) -> list[tuple[str, str]]:
        """Every file in HOME, the cache and TMPDIR except the store and its lock, labelled, with its text."""
        skip = {self.credentials_path, self.config_dir / ".credentials.lock", *self.log_files}
        return [(f"the file {path.relative_to(self.root)}", path.read_bytes().decode("utf-8", errors="replace"))
                for path in files_under(self.home, self.cache_dir, self.tmp_dir, skip=skip)]


# -- the hostile server -------------------------------------------------------------------------


@dataclass
class Seen:
    """A request as the hostile server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Exchange:
    """What a behaviour gets: the client's socket and the server (for its stop event and clock)."""

    sock: socket.socket
    server: HostileServer
    request: Seen

    def send(self, data: bytes) -> None:
        """Send bytes; a client that went away is not an error."""
        with contextlib.suppress(OSError):
            self.sock.sendall(data)

    def head(self, status: int, headers: Sequence[tuple[str, str | bytes]] = (), *,
             content_type: str | None = "application/json", length: int | None = None) -> bytes:
        """The status line and headers of an answer (Date, Connection: close, Content-Length if given)."""
        lines = [f"HTTP/1.1 {status} {responses.get(status, 'Unknown')}".encode()]
        lines.append(b"Date: " + formatdate(time.time() + self.server.date_offset, usegmt=True).encode())
        lines.append(b"Connection: close")
        if content_type:
            lines.append(f"Content-Type: {content_type}".encode())
        if length is not None:
            lines.append(f"Content-Length: {length}".encode())
        for name, value in headers:
            lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode("latin-1")))
        return b"\r\n".join(lines) + b"\r\n\r\n"


Behaviour = Callable[[Exchange], None]


def reply(status: int, body: bytes | str = b"", *, content_type: str | None = "application/json",
          headers: Sequence[tuple[str, str | bytes]] = ()) -> Behaviour:
    """A complete answer."""
    data = body.encode() if isinstance(body, str) else body

    def behave(exchange: Exchange) -> None:
        exchange.send(exchange.head(status, headers, content_type=content_type, length=len(data)) + data)

    return behave


def json_reply(status: int, document: Any, *, headers: Sequence[tuple[str, str | bytes]] = ()) -> Behaviour:
    """A JSON answer (NaN and Infinity written as JavaScript literals, as some servers do)."""
    return reply(status, json.dumps(document, allow_nan=True), headers=headers)


def html_reply(status: int, marker: str = "HOSTILE-PAGE") -> Behaviour:
    """An HTML page, as a captive portal or a proxy would send."""
    page = f"<!DOCTYPE html><html><head><title>Sign in</title></head><body><h1>{marker}</h1></body></html>"
    return reply(status, page, content_type="text/html; charset=utf-8")


def close_without_answer(exchange: Exchange) -> None:
    """Close the connection without a word."""


def reset(exchange: Exchange) -> None:
    """Reset the connection (RST) before answering."""
    exchange.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    exchange.sock.close()


def reset_mid_body(exchange: Exchange) -> None:
    """Announce 5000 bytes, send 100 of them, then reset the connection."""
    exchange.send(exchange.head(200, length=5000) + b'{"data": {"access_token": "' + b"x" * 70)
    time.sleep(0.05)
    reset(exchange)


def truncated_body(exchange: Exchange) -> None:
    """Announce 5000 bytes, send 100 of them, then close cleanly."""
    exchange.send(exchange.head(200, length=5000) + b'{"data": [' + b" " * 90)


def stall(exchange: Exchange) -> None:
    """Accept the request and never answer (until the server stops)."""
    exchange.server.stopping.wait(60)


def _trickle(exchange: Exchange, start: bytes, byte: bytes) -> None:
    """Send ``start``, then ``byte`` every 0.2 s until the server stops or the client goes away."""
    exchange.send(start)
    while not exchange.server.stopping.wait(0.2):
        try:
            exchange.sock.sendall(byte)
        except OSError:
            return


def trickle_body(exchange: Exchange) -> None:
    """Send the headers, then one byte of body every 0.2 s, forever: each read is quick, the whole never ends."""
    _trickle(exchange, exchange.head(200, length=10_000_000), b" ")


def trickle_headers(exchange: Exchange) -> None:
    """Send the status line, then one byte of a header every 0.2 s, forever."""
    _trickle(exchange, b"HTTP/1.1 200 OK\r\nX-Slow: ", b"x")


def not_http(exchange: Exchange) -> None:
    """Answer with something that is not HTTP at all."""
    exchange.send(b"SSH-2.0-OpenSSH_9.6\r\nProtocol mismatch.\r\n")


def too_many_headers(exchange: Exchange) -> None:
    """An answer with 500 headers."""
    extra = [(f"X-H{n}", "v") for n in range(500)]
    exchange.send(exchange.head(200, extra, length=2) + b"{}")


def redirect(status: int, location: str | bytes) -> Behaviour:
    """A redirect to ``location``."""
    return reply(status, b"", content_type=None, headers=[("Location", location)])


def oversized(status: int = 200) -> Behaviour:
    """A 2 MiB JSON body (above the CLI's 1 MiB cap)."""
    return reply(status, json.dumps({"data": {"padding": "x" * (2 * 1024 * 1024)}}))


@functools.cache
def _bomb() -> bytes:
    import gzip

    return gzip.compress(b" " * (20 * 1024 * 1024))


def gzip_bomb(exchange: Exchange) -> None:
    """About 20 KiB of gzip that inflates to 20 MiB."""
    data = _bomb()
    exchange.send(exchange.head(200, [("Content-Encoding", "gzip")], length=len(data)) + data)


def deeply_nested(depth: int = 100_000) -> Behaviour:
    """JSON nested ``depth`` levels deep (it would exhaust a naive parser's stack)."""
    return reply(200, "[" * depth + "]" * depth)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        reader = self.request.makefile("rb")
        try:
            request_line = reader.readline(65537)
            if not request_line.strip():
                return
            headers: dict[str, str] = {}
            while True:
                line = reader.readline(65537)
                if line in (b"\r\n", b"\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            body = reader.read(length) if length else b""
        except (OSError, ValueError):
            return
        parts = request_line.decode("latin-1").split()
        method, target = [*parts, "", ""][:2]
        seen = Seen(method, target.split("?", 1)[0], headers, body)
        owner = self.server.owner
        behaviour = owner.behaviour_for(seen)
        behaviour(Exchange(self.request, owner, seen))


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    owner: HostileServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that went away mid-answer is part of the game


class HostileServer:
    """A threaded HTTP server on a loopback address that answers each path with a scripted behaviour.

    ``routes`` maps a path to a behaviour or a list of behaviours (used in
    turn; the last one repeats). Unknown paths get a JSON 404. Every request
    is recorded in :attr:`seen`. ``date_offset`` shifts the Date header.
    """

    def __init__(self, routes: Mapping[str, Behaviour | Sequence[Behaviour]] | None = None, *,
                 host: str = "127.0.0.1", date_offset: float = 0.0) -> None:
        self.routes: dict[str, list[Behaviour]] = {}
        for path, behaviour in (routes or {}).items():
            self.set(path, behaviour)
        self.date_offset = date_offset
        self.seen: list[Seen] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``: what the CLI names in its messages."""
        address, port = self._server.server_address[:2]
        return f"{address}:{port}"

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://{self.host}"

    def set(self, path: str, behaviour: Behaviour | Sequence[Behaviour]) -> None:
        """Answer ``path`` with ``behaviour`` (or with each of a list in turn)."""
        self.routes[path] = list(behaviour) if isinstance(behaviour, Sequence) else [behaviour]

    def behaviour_for(self, seen: Seen) -> Behaviour:
        """Record ``seen`` and pick the behaviour for it."""
        with self._lock:
            self.seen.append(seen)
            queue = self.routes.get(seen.path)
            if not queue:
                return json_reply(404, {"error": "Not Found"})
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def requests_to(self, path: str) -> list[Seen]:
        """The requests received for ``path``."""
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def start(self) -> HostileServer:
        """Serve in a daemon thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release stalled answers."""
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def device_answer(server: HostileServer, device_code: str, **overrides: Any) -> dict[str, Any]:
    """A well-formed device authorization answer pointing at ``server``."""
    answer: dict[str, Any] = {
        "device_code": device_code,
        "user_code": "WDJB-MJHT",
        "verification_uri": f"{server.url}/device",
        "verification_uri_complete": f"{server.url}/device?code=WDJB-MJHT",
        "expires_in": 120,
        "interval": 1,
    }
    answer.update(overrides)
    return answer


# -- crash injection for the file store ---------------------------------------------------------

# A child process that runs one FileStore.update() with the os functions the store uses wrapped, and
# SIGKILLs itself at event number CRASH_AT (events are "before X" and "after X" for every wrapped call).
# CRASH_AT=0 runs to the end and writes the list of events to EVENTS_FILE.
CRASH_CHILD = r"""
import fcntl, json, os, signal, sys
from pathlib import Path

crash_at = int(os.environ["CRASH_AT"])
events = []

def event(name):
    events.append(name)
    if len(events) == crash_at:
        os.kill(os.getpid(), signal.SIGKILL)

def wrap(module, name):
    real = getattr(module, name)
    def wrapper(*args, **kwargs):
        event("before " + name)
        result = real(*args, **kwargs)
        event("after " + name)
        return result
    setattr(module, name, wrapper)

class Handle:
    def __init__(self, real):
        self._real = real
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        event("before close file")
        self._real.close()
        event("after close file")
    def __getattr__(self, name):
        attribute = getattr(self._real, name)
        if name not in ("write", "flush", "read"):
            return attribute
        def call(*args):
            event(f"before {name}")
            result = attribute(*args)
            event(f"after {name}")
            return result
        return call

real_fdopen = os.fdopen
def fdopen(*args, **kwargs):
    event("before fdopen")
    handle = Handle(real_fdopen(*args, **kwargs))
    event("after fdopen")
    return handle

for name in ("open", "fsync", "replace", "unlink", "close", "mkdir", "chmod"):
    wrap(os, name)
wrap(fcntl, "flock")
os.fdopen = fdopen

from skytells.credentials.stores.file import FileStore

change = json.loads(os.environ["CHANGE"])
def apply(record):
    for key, value in change.items():
        record.extra[key] = value

FileStore(Path(sys.argv[1])).update(apply)
if crash_at == 0:
    Path(os.environ["EVENTS_FILE"]).write_text(json.dumps(events))
"""


def prepare_store(directory: Path, old: bytes | None) -> None:
    """A private directory holding ``old`` as the credentials file (0600); no directory at all for None."""
    if old is None:
        return
    directory.mkdir(parents=True, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    fd = os.open(directory / "credentials.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(old)


def crash_events(directory: Path, old: bytes | None, change: Mapping[str, Any], events_file: Path) -> list[str]:
    """Run a complete save in a child process, prepared as a crash point is, and return its events in order."""
    prepare_store(directory, old)
    _crash_child(directory, change, 0, events_file)
    return json.loads(events_file.read_text())


def _crash_child(directory: Path, change: Mapping[str, Any], crash_at: int,
                 events_file: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "CRASH_AT": str(crash_at), "CHANGE": json.dumps(dict(change)),
           "EVENTS_FILE": str(events_file or ""), "PYTHONDONTWRITEBYTECODE": "1"}
    completed = subprocess.run([PYTHON, "-c", CRASH_CHILD, str(directory)], env=env, capture_output=True,
                               timeout=TIMEOUT, check=False)
    if crash_at == 0 and completed.returncode != 0:
        raise AssertionError(f"the save failed: {completed.stderr.decode(errors='replace')}")
    return completed


@dataclass
class CrashOutcome:
    """What one injected crash left behind."""

    event: str
    killed: bool
    state: str  # "old", "new", "absent" or "unreadable"
    temporaries_after_crash: int
    next_save_ok: bool
    temporaries_after_next_save: int
    detail: str = field(default="", repr=False)


def run_crash_point(directory: Path, old: bytes | None, change: Mapping[str, Any], crash_at: int,
                    event: str) -> CrashOutcome:
    """Prepare ``directory`` with ``old``, kill a save at event ``crash_at``, and inspect what is left.

    Then a second save (in this process) must succeed, apply on top of
    whatever survived, and leave no temporary file.
    """
    from skytells.credentials.stores.document import parse_document, render_document
    from skytells.credentials.stores.file import FileStore
    from skytells.errors import StoreError

    store = FileStore(directory)
    prepare_store(directory, old)
    expected_new = parse_document(old.decode(), "old") if old is not None else None
    if expected_new is None:
        from skytells.credentials.model import StoredCredentials

        expected_new = StoredCredentials()
    expected_new.extra.update(change)
    new = render_document(expected_new).encode()

    completed = _crash_child(directory, change, crash_at)
    killed = completed.returncode == -signal.SIGKILL
    try:
        current = store.path.read_bytes()
    except FileNotFoundError:
        current = None
    if current is None:
        state = "absent" if old is None else "unreadable"
    elif current == new:
        state = "new"
    elif current == old:
        state = "old"
    else:
        state = "unreadable"
    detail = ""
    if current is not None and state == "unreadable":
        try:
            parse_document(current.decode(), str(store.path))
            detail = "parses, but is neither the old nor the new document"
        except (StoreError, UnicodeDecodeError) as error:
            detail = str(error)
    temporaries = [p for p in directory.iterdir() if p.name.endswith(".tmp")] if directory.exists() else []
    next_ok = True
    try:
        saved = store.update(lambda record: record.extra.__setitem__("after_crash", True))
        applied = all(saved.extra.get(k) == v for k, v in change.items())
        next_ok = saved.extra.get("after_crash") is True and applied == (state == "new")
    except StoreError as error:
        next_ok = False
        detail = detail or str(error)
    left = [p for p in directory.iterdir() if p.name.endswith(".tmp")]
    return CrashOutcome(event, killed, state, len(temporaries), next_ok, len(left), detail)


# -- concurrency ------------------------------------------------------------------------------


def concurrent_writer(directory: str, number: int, updates: int, barrier: Any) -> None:
    """A worker process: ``updates`` read-modify-writes, each adding its own key."""
    from skytells.credentials.stores.file import FileStore

    store = FileStore(Path(directory))
    barrier.wait()
    for update in range(updates):
        store.update(lambda record, u=update: record.extra.__setitem__(f"w{number}-u{u}", u))


def hammer_store(directory: Path, writers: int, updates: int) -> tuple[int, int, int]:
    """``writers`` processes x ``updates`` updates while this process keeps reading the file.

    Returns (updates lost, reads that failed to parse, reads done).
    """
    import multiprocessing

    from skytells.credentials.stores.file import FileStore
    from skytells.errors import StoreError

    store = FileStore(directory)
    store.update(lambda record: record.extra.__setitem__("seed", True))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(writers)
    workers = [context.Process(target=concurrent_writer, args=(str(directory), n, updates, barrier))
               for n in range(writers)]
    for worker in workers:
        worker.start()
    bad_reads = reads = 0
    while any(worker.is_alive() for worker in workers):
        try:
            store.load()
        except StoreError:
            bad_reads += 1
        reads += 1
    for worker in workers:
        worker.join(TIMEOUT)
    failed = [w.exitcode for w in workers if w.exitcode != 0]
    if failed:
        raise AssertionError(f"{len(failed)} writers failed: exit codes {failed}")
    extra = store.load().extra
    lost = sum(1 for n in range(writers) for u in range(updates) if extra.get(f"w{n}-u{u}") != u)
    return lost, bad_reads, reads


@dataclass
class CliConcurrency:
    """How a burst of concurrent ``skytells`` processes went."""

    processes: int
    failed: list[str]
    #: Credentials a process saved (or removed) that the final file does not reflect.
    lost: list[str]
    unreadable_reads: int
    reads: int


def concurrent_cli(world: World, sandbox: Any, profiles: int) -> CliConcurrency:
    """``login --token``, ``link -`` and ``api-key set`` for ``profiles`` profiles, plus ``logout`` and ``link``
    in as many profiles that start out logged in, all at once against one credentials file.

    ``sandbox`` is a started skytells_sandbox Sandbox the world points at (console and inference API).
    """
    document: dict[str, Any] = {"token": sandbox.issue_token(), "created_at": 1, "kept": "yes", "profiles": {}}
    jobs: list[tuple[tuple[str, ...], str | None, str, str, bool]] = []  # args, stdin, profile, field, present after
    for n in range(profiles):
        profile = f"p{n}"
        jobs.append((("--profile", profile, "login", "--token"), sandbox.issue_token(), profile, "token", True))
        jobs.append((("--profile", profile, "link", "-"), sandbox.issue_project_key(), profile, "access_key", True))
        jobs.append((("--profile", profile, "api-key", "set"), sandbox.issue_api_key(), profile, "api_key", True))
        leaving = f"q{n}"
        document["profiles"][leaving] = {"token": sandbox.issue_token(), "api_key": sandbox.issue_api_key()}
        jobs.append((("--profile", leaving, "logout", "--force"), None, leaving, "token", False))
        jobs.append((("--profile", leaving, "link", "-"), sandbox.issue_project_key(), leaving, "access_key", True))
    world.write_credentials(document)

    counts = {"bad": 0, "reads": 0}
    stop = threading.Event()

    def watch() -> None:  # reads the file as fast as it can while the processes run
        while not stop.is_set():
            counts["reads"] += 1
            try:
                json.loads(world.credentials_path.read_text())
            except (ValueError, OSError):
                counts["bad"] += 1

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        processes = [world.start(*args, stdin_pipe=True) for args, *_rest in jobs]
        for process, (_args, stdin, *_rest) in zip(processes, jobs, strict=True):
            process.write(stdin + "\n" if stdin else "")
        runs = [process.finish(timeout=60) for process in processes]
    finally:
        stop.set()
        watcher.join()
    failed = [str(run) for run in runs if run.code != 0]
    saved = world.read_credentials()
    lost = [f"{field} of {profile}" for _args, stdin, profile, field, present in jobs
            if (saved.get("profiles", {}).get(profile, {}).get(field) == (stdin if present else None)) is False]
    lost += [f"api_key of q{n}" for n in range(profiles)
             if saved["profiles"][f"q{n}"].get("api_key") != document["profiles"][f"q{n}"]["api_key"]]
    if saved.get("kept") != "yes" or saved.get("token") != document["token"]:
        lost.append("the default profile")
    return CliConcurrency(len(jobs), failed, lost, counts["bad"], counts["reads"])
