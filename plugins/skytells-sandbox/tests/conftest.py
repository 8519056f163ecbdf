"""Fixtures for the sandbox tests; every name is prefixed ``sandbox_`` to avoid clashes."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

import pytest
import requests

from skytells_sandbox.server import Sandbox


class SandboxFakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sandbox_clock() -> SandboxFakeClock:
    """A fake clock shared by every sandbox the test starts."""
    return SandboxFakeClock()


@pytest.fixture
def sandbox_wall_clock() -> SandboxFakeClock:
    """A fake wall clock (for access-token expiry) shared by every sandbox the test starts."""
    return SandboxFakeClock(start=1_750_000_000.0)


@pytest.fixture
def sandbox_factory(
    sandbox_clock: SandboxFakeClock, sandbox_wall_clock: SandboxFakeClock
) -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes on free ports with the fake clocks; all are stopped afterwards."""
    started: list[Sandbox] = []

    def make(**overrides: Any) -> Sandbox:
        overrides.setdefault("clock", sandbox_clock)
        overrides.setdefault("wall_clock", sandbox_wall_clock)
        sandbox = Sandbox(port=0, **overrides).start()
        started.append(sandbox)
        return sandbox

    yield make
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def sandbox_server(sandbox_factory: Callable[..., Sandbox]) -> Sandbox:
    """A started sandbox with default settings (console dialect, interval 5)."""
    return sandbox_factory()


@pytest.fixture
def sandbox_http() -> Iterator[requests.Session]:
    """An HTTP session closed after the test."""
    with requests.Session() as session:
        yield session


class SandboxOAuthClient:
    """Speaks the standard endpoints of a sandbox the way a public OAuth client would."""

    def __init__(self, http: requests.Session) -> None:
        self.http = http

    def post(
        self, sandbox: Sandbox, path: str, client_id: str | None = "skytells-cli", **fields: str
    ) -> requests.Response:
        """POST a form to ``path``; ``client_id=None`` leaves it out."""
        if client_id is not None:
            fields["client_id"] = client_id
        return self.http.post(f"{sandbox.url}{path}", data=fields)

    def start(self, sandbox: Sandbox, scope: str | None = None, **fields: str) -> dict[str, Any]:
        """Start a device flow and return its answer; fails the test unless it is 200."""
        if scope is not None:
            fields["scope"] = scope
        response = self.post(sandbox, "/oauth/device_authorization", **fields)
        assert response.status_code == 200, response.text
        return response.json()

    def poll(self, sandbox: Sandbox, device_code: str, **fields: str) -> requests.Response:
        """Poll the token endpoint with the device-code grant."""
        grant = "urn:ietf:params:oauth:grant-type:device_code"
        return self.post(
            sandbox, "/oauth/token", grant_type=grant, device_code=device_code, **fields
        )

    def login(
        self, sandbox: Sandbox, scope: str = "projects.read offline_access"
    ) -> dict[str, Any]:
        """A whole device login, approved from Python; returns the token answer."""
        flow = self.start(sandbox, scope)
        sandbox.approve(flow["user_code"])
        response = self.poll(sandbox, flow["device_code"])
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, sandbox: Sandbox, refresh_token: str, **fields: str) -> requests.Response:
        """Use the refresh-token grant."""
        return self.post(
            sandbox,
            "/oauth/token",
            grant_type="refresh_token",
            refresh_token=refresh_token,
            **fields,
        )

    def revoke(self, sandbox: Sandbox, token: str, **fields: str) -> requests.Response:
        """Revoke a token (RFC 7009)."""
        return self.post(sandbox, "/oauth/revoke", token=token, **fields)

    def projects(self, sandbox: Sandbox, token: str) -> requests.Response:
        """The console CLI endpoint that ``skytells whoami`` calls."""
        headers = {"Authorization": f"Bearer {token}"}
        return self.http.get(f"{sandbox.url}/api/v1/cli/projects", headers=headers)

    def userinfo(self, sandbox: Sandbox, token: str) -> requests.Response:
        """The OpenID Connect userinfo endpoint."""
        headers = {"Authorization": f"Bearer {token}"}
        return self.http.get(f"{sandbox.url}/oauth/userinfo", headers=headers)


@pytest.fixture
def sandbox_oauth(sandbox_http: requests.Session) -> SandboxOAuthClient:
    """A standard OAuth client for the sandbox under test."""
    return SandboxOAuthClient(sandbox_http)


# How the server is started as a process: as a module, and as the CLI's command;
# "skytells" is the CLI itself, for options placed before the command's name.
SANDBOX_PROGRAMS = {
    "module": [sys.executable, "-m", "skytells_sandbox"],
    "command": [sys.executable, "-m", "skytells", "sandbox"],
    "skytells": [sys.executable, "-m", "skytells"],
}


class SandboxLineReader:
    """Reads a process stream in a thread so that waits can time out."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put("")

    def until(self, pattern: str, timeout: float = 10.0) -> list[str]:
        """Lines up to and including the first one matching ``pattern``."""
        seen = []
        while True:
            line = self._lines.get(timeout=timeout)
            if not line:
                raise AssertionError(f"stream ended before {pattern!r}: {seen}")
            seen.append(line)
            if re.search(pattern, line):
                return seen

    def rest(self, timeout: float = 10.0) -> str:
        """Everything else, once the stream has ended."""
        self._thread.join(timeout)
        lines = []
        while not self._lines.empty():
            lines.append(self._lines.get())
        return "".join(lines)


class SandboxProcess:
    """A foreground sandbox server in its own process; its stderr is read in a thread."""

    def __init__(self, argv: list[str], **popen: Any) -> None:
        self.process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **popen,
        )
        assert self.process.stderr is not None
        self.stderr = SandboxLineReader(self.process.stderr)
        self.banner: list[str] = []
        self.url = ""
        self.port = 0

    def read_banner(self, timeout: float = 10.0) -> None:
        """Wait for the start lines, up to "Press Ctrl-C to stop."; set ``url`` and ``port``."""
        self.banner = self.stderr.until(r"^Press Ctrl-C to stop\.", timeout)
        (export,) = [line for line in self.banner if line.startswith("export SKYTELLS_API_URL=")]
        self.url = export.strip().split("=", 1)[1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self, signum: int, timeout: float = 10.0) -> str:
        """Send ``signum``, wait up to ``timeout`` seconds for the exit; the rest of stderr."""
        self.process.send_signal(signum)
        self.process.wait(timeout=timeout)
        return self.stderr.rest()

    def close(self) -> None:
        """Kill the process if it still runs and close its pipes."""
        self.process.kill()
        self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def sandbox_process() -> Iterator[Callable[..., SandboxProcess]]:
    """Start ``SANDBOX_PROGRAMS[program]`` with extra arguments; every process is killed after."""
    started: list[SandboxProcess] = []

    def start(program: str, *args: str, **popen: Any) -> SandboxProcess:
        process = SandboxProcess([*SANDBOX_PROGRAMS[program], *args], **popen)
        started.append(process)
        process.read_banner()
        return process

    yield start
    for process in started:
        process.close()
