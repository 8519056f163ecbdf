"""End-to-end fixtures: the installed ``skytells`` executable against a real sandbox on 127.0.0.1.

Every test gets an :class:`E2EWorld` (fixture ``e2e``): a temporary home,
configuration and cache directory, an environment without any Skytells
credential, helpers to run the CLI (plain subprocess, background process, or
a pseudo-terminal through pexpect) and sandboxes that answer it. Everything
the CLI prints is recorded; when the test ends, the secret canary checks that
no token, project key or device code the test handled appears in any of it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pexpect
import pytest
from skytells_sandbox.server import Sandbox

CLI = Path(sys.executable).parent / "skytells"
TIMEOUT = 30.0
DROPPED_VARIABLES = (
    "DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "XDG_CONFIG_HOME", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
    "http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
)
# Runs the CLI with the default SIGINT disposition even if the test runner ignores SIGINT
# (an ignored signal is inherited across exec; Python then never raises KeyboardInterrupt).
_SIGINT_WRAPPER = ("-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                         "os.execv(sys.argv[1], sys.argv[1:])")
CANARY_WINDOW = 12


def shown(args: tuple[str, ...]) -> str:
    """A command line for messages, credentials replaced so a failure report does not spread them."""
    return "skytells " + re.sub(r"sk_[A-Za-z]+_[A-Za-z0-9_-]+", "<credential>", " ".join(args))


@dataclass
class E2EResult:
    """A finished ``skytells`` run."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout and stderr together."""
        return self.stdout + self.stderr

    def __str__(self) -> str:
        return f"{shown(self.args)} -> {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class E2EProcess:
    """``skytells`` running in the background, its output collected by reader threads."""

    def __init__(self, world: E2EWorld, args: tuple[str, ...], popen: subprocess.Popen[bytes]) -> None:
        self.world = world
        self.args = args
        self.popen = popen
        self._chunks: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
        self._readers = [threading.Thread(target=self._read, args=(name,), daemon=True)
                         for name in ("stdout", "stderr")]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str) -> None:
        stream = getattr(self.popen, name)
        while True:
            chunk = stream.read1(4096)
            if not chunk:
                return
            self._chunks[name].append(chunk)

    def text(self, name: str = "stderr") -> str:
        """What the process has written to ``name`` so far."""
        return b"".join(self._chunks[name]).decode("utf-8", errors="replace")

    def wait_for_text(self, text: str, name: str = "stderr", timeout: float = TIMEOUT) -> None:
        """Block until ``text`` appears on ``name``; fail if the process ends or time runs out first."""
        deadline = time.monotonic() + timeout
        while text not in self.text(name):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.finish(timeout=5)
                pytest.fail(f"{text!r} never appeared on {name} of {shown(self.args)}:\n"
                            f"{self.text('stderr')}")
            time.sleep(0.02)

    def interrupt(self) -> None:
        """Send SIGINT, as Ctrl-C would."""
        self.popen.send_signal(signal.SIGINT)

    def finish(self, timeout: float = TIMEOUT) -> E2EResult:
        """Wait for the process to end and record its output."""
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            for reader in self._readers:
                reader.join(5)
            self.world.record(self.args, self.text("stdout") + self.text("stderr"))
            pytest.fail(f"{shown(self.args)} did not finish within {timeout} s:\n{self.text('stderr')}")
        for reader in self._readers:
            reader.join(5)
        for stream in (self.popen.stdout, self.popen.stderr):
            if stream is not None:
                stream.close()
        result = E2EResult(self.args, code, self.text("stdout"), self.text("stderr"))
        self.world.record(self.args, result.output)
        return result


class E2EWorld:
    """One test's isolated machine: directories, environment, sandboxes and recorded output."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.config_dir = self.home / ".config" / "skytells"
        self.cache_dir = root / "cache"
        self.home.mkdir(parents=True)
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("SKYTELLS_") and k not in DROPPED_VARIABLES}
        self.env.update({
            "HOME": str(self.home),
            "SKYTELLS_CONFIG_DIR": str(self.config_dir),
            "XDG_CACHE_HOME": str(self.cache_dir),
            "NO_PROXY": "127.0.0.1,localhost",
            "TZ": "UTC",
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        self.env.pop("TERM", None)
        self.sandboxes: list[Sandbox] = []
        self.sandbox: Sandbox | None = None
        self.secrets: set[str] = set()
        self.recorded: list[tuple[str, str]] = []
        self.log_files: list[Path] = []
        self.credential_files: set[Path] = {self.credentials_path}

    # -- sandboxes -------------------------------------------------------

    def start_sandbox(self, *, use: bool = True, **overrides: Any) -> Sandbox:
        """Start a sandbox on a free port (interval 1 s unless overridden); ``use`` points the CLI at it."""
        overrides.setdefault("interval", 1)
        sandbox = Sandbox(port=0, **overrides).start()
        self.sandboxes.append(sandbox)
        if use:
            self.sandbox = sandbox
            self.env["SKYTELLS_API_URL"] = sandbox.url
        return sandbox

    def _sandbox(self, sandbox: Sandbox | None) -> Sandbox:
        chosen = sandbox or self.sandbox
        assert chosen is not None, "start a sandbox first"
        return chosen

    def issue_token(self, scopes: tuple[str, ...] | None = None, sandbox: Sandbox | None = None) -> str:
        """A valid personal access token from the sandbox, registered with the canary."""
        target = self._sandbox(sandbox)
        token = target.issue_token() if scopes is None else target.issue_token(scopes)
        return self.secret(token)

    def issue_project_key(self, name: str = "Demo Project", sandbox: Sandbox | None = None) -> str:
        """A valid project access key from the sandbox, registered with the canary."""
        return self.secret(self._sandbox(sandbox).issue_project_key(name))

    def wait_for_code(self, sandbox: Sandbox | None = None) -> str:
        """The user code of the next device request; its device code is registered with the canary."""
        target = self._sandbox(sandbox)
        user_code = target.wait_for_device_request(timeout=TIMEOUT)
        self.secret(target.device_request(user_code).device_code)
        return user_code

    def wait_for_polls(self, user_code: str, polls: int, sandbox: Sandbox | None = None) -> None:
        """Block until the CLI has polled the token endpoint ``polls`` times for ``user_code``."""
        target = self._sandbox(sandbox)
        deadline = time.monotonic() + TIMEOUT
        while target.device_request(user_code).polls < polls:
            assert time.monotonic() < deadline, f"the CLI never polled {polls} time(s)"
            time.sleep(0.02)

    def secret(self, value: str) -> str:
        """Register ``value`` as a secret that must never appear in any output; return it."""
        self.secrets.add(value)
        return value

    # -- running the CLI -----------------------------------------------

    def environment(self, env: Mapping[str, str | None] | None) -> dict[str, str]:
        """The test environment with ``env`` applied (None removes a variable)."""
        merged = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    def record(self, args: tuple[str, ...], text: str) -> None:
        """Keep ``text`` for the canary; fail at once on a traceback without --debug."""
        self.recorded.append((shown(args), text))
        if "--debug" not in args:
            assert "Traceback" not in text, f"traceback without --debug from {shown(args)}:\n{text}"

    def run(self, *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None,
            timeout: float = TIMEOUT, umask: int = -1) -> E2EResult:
        """Run ``skytells ARGS`` to completion with pipes (no terminal); stdin is ``input`` or empty."""
        try:
            completed = subprocess.run(
                [str(CLI), *args], env=self.environment(env), capture_output=True, timeout=timeout,
                input=(input or "").encode() if input is not None else None,
                stdin=subprocess.DEVNULL if input is None else None, check=False, umask=umask,
            )
        except subprocess.TimeoutExpired as error:
            self.record(args, (error.stdout or b"").decode() + (error.stderr or b"").decode())
            pytest.fail(f"{shown(args)} did not finish within {timeout} s (waiting for input?)")
        result = E2EResult(args, completed.returncode, completed.stdout.decode("utf-8", errors="replace"),
                           completed.stderr.decode("utf-8", errors="replace"))
        self.record(args, result.output)
        return result

    def start(self, *args: str, env: Mapping[str, str | None] | None = None,
              default_sigint: bool = False) -> E2EProcess:
        """Start ``skytells ARGS`` in the background (stdin empty, no terminal)."""
        command = [str(CLI), *args]
        if default_sigint:
            command = [sys.executable, *_SIGINT_WRAPPER, *command]
        popen = subprocess.Popen(command, env=self.environment(env), stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        return E2EProcess(self, args, popen)

    def spawn(self, *args: str, env: Mapping[str, str | None] | None = None,
              default_sigint: bool = False) -> E2EPty:
        """Start ``skytells ARGS`` on a real pseudo-terminal (TERM=xterm, 120 columns)."""
        environment = self.environment({"TERM": "xterm", **(env or {})})
        program, arguments = str(CLI), list(args)
        if default_sigint:
            program, arguments = sys.executable, [*_SIGINT_WRAPPER, str(CLI), *args]
        child = pexpect.spawn(program, arguments, env=environment, encoding="utf-8", codec_errors="replace",
                              timeout=TIMEOUT, dimensions=(24, 120))
        return E2EPty(self, args, child)

    # -- the credentials file --------------------------------------------

    @property
    def credentials_path(self) -> Path:
        """``credentials.json`` in the test's configuration directory."""
        return self.config_dir / "credentials.json"

    def read_credentials(self) -> dict[str, Any]:
        """The parsed credentials file."""
        return json.loads(self.credentials_path.read_text(encoding="utf-8"))

    def write_credentials(self, document: Mapping[str, Any] | str | bytes) -> bytes:
        """Write the credentials file as another tool would (0700 directory, 0600 file); return its bytes."""
        if isinstance(document, Mapping):
            for name in ("token", "access_key", "api_key"):
                if isinstance(document.get(name), str):
                    self.secret(document[name])
            document = json.dumps(document, indent=2)
        data = document.encode() if isinstance(document, str) else document
        self.config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.credentials_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return data

    def credentials_bytes(self) -> bytes | None:
        """The file's exact bytes, or None when it does not exist."""
        try:
            return self.credentials_path.read_bytes()
        except FileNotFoundError:
            return None

    def assert_private_file(self) -> None:
        """The credentials file is 0600 in a 0700 directory."""
        assert stat.S_IMODE(self.credentials_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(self.config_dir.stat().st_mode) == 0o700

    # -- the canary ------------------------------------------------------

    def _collect_secrets(self) -> None:
        for sandbox in self.sandboxes:
            for seen in sandbox.requests_seen:
                authorization = seen.header("Authorization") or ""
                if authorization.lower().startswith("bearer ") and authorization[7:].strip():
                    self.secrets.add(authorization[7:].strip())
                if seen.path == "/api/oauth/token":
                    with contextlib.suppress(ValueError, AttributeError):
                        code = json.loads(seen.body).get("device_code")
                        if isinstance(code, str):
                            self.secrets.add(code)
        for path in self.credential_files:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                data = json.loads(path.read_text(encoding="utf-8"))
                for name in ("token", "access_key", "api_key"):
                    if isinstance(data.get(name), str) and data[name]:
                        self.secrets.add(data[name])

    def check_canary(self) -> None:
        """Fail if any recorded output or log file contains a secret, or a piece of one."""
        self._collect_secrets()
        texts = list(self.recorded)
        for path in self.log_files:
            if path.exists():
                texts.append((f"log file {path.name}", path.read_text(encoding="utf-8", errors="replace")))
        for secret in self.secrets:
            if len(secret) < CANARY_WINDOW:
                continue
            body = re.sub(r"^sk_(pat|proj)_", "", secret)
            pieces = {secret} | {body[i:i + CANARY_WINDOW] for i in range(len(body) - CANARY_WINDOW + 1)}
            for label, text in texts:
                leaked = any(piece in text for piece in pieces)
                assert not leaked, f"a secret ({secret[:7]}...) appears in the output of: {label}"

    def close(self) -> None:
        """Stop every sandbox (after collecting what they saw)."""
        self._collect_secrets()
        for sandbox in self.sandboxes:
            sandbox.stop()


class E2EPty:
    """``skytells`` on a pseudo-terminal; everything it shows is recorded for the canary."""

    def __init__(self, world: E2EWorld, args: tuple[str, ...], child: pexpect.spawn) -> None:
        self.world = world
        self.args = args
        self.child = child
        self.transcript = io.StringIO()
        child.logfile_read = self.transcript

    def expect(self, pattern: str, timeout: float = TIMEOUT) -> None:
        """Wait for ``pattern`` (a literal string) in the terminal output."""
        try:
            self.child.expect_exact(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self.close()
            pytest.fail(f"{pattern!r} never appeared on the terminal of {shown(self.args)}:\n"
                        f"{self.transcript.getvalue()}")

    def expect_regex(self, pattern: str, timeout: float = TIMEOUT) -> None:
        """Wait for the regular expression ``pattern`` in the terminal output."""
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self.close()
            pytest.fail(f"/{pattern}/ never appeared on the terminal of {shown(self.args)}:\n"
                        f"{self.transcript.getvalue()}")

    def sendline(self, text: str) -> None:
        """Type ``text`` and Enter."""
        self.child.sendline(text)

    def sendintr(self) -> None:
        """Press Ctrl-C."""
        self.child.sendintr()

    def wait(self, timeout: float = TIMEOUT) -> int:
        """Wait for the program to end; return its exit status and record the transcript."""
        try:
            self.child.expect(pexpect.EOF, timeout=timeout)
        except pexpect.TIMEOUT:
            self.close()
            pytest.fail(f"{shown(self.args)} did not end on the terminal:\n{self.transcript.getvalue()}")
        self.child.close()
        self.world.record(self.args, self.output)
        status = self.child.exitstatus
        if status is None and self.child.signalstatus is not None:
            return 128 + self.child.signalstatus
        assert status is not None
        return status

    def close(self) -> None:
        """Kill the program if it still runs; record what it showed."""
        if self.child.isalive():
            self.child.terminate(force=True)
        self.world.record(self.args, self.output)

    @property
    def output(self) -> str:
        """Everything the program showed on the terminal, ANSI sequences included."""
        return self.transcript.getvalue()

    @property
    def plain(self) -> str:
        """The terminal output without ANSI escape sequences or carriage returns."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", self.output)


@pytest.fixture
def e2e(tmp_path: Path) -> Iterator[E2EWorld]:
    """An isolated machine with a started sandbox (console dialect, interval 1 s) the CLI points at.

    When the test ends the sandboxes stop and the secret canary runs.
    """
    world = E2EWorld(tmp_path)
    world.start_sandbox()
    try:
        yield world
    finally:
        world.close()
    world.check_canary()


@pytest.fixture
def e2e_closed_url() -> str:
    """An http://127.0.0.1 URL where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def e2e_logged_in(e2e: E2EWorld) -> str:
    """Log in with a sandbox token through ``login --token`` on stdin; return the token."""
    token = e2e.issue_token()
    result = e2e.run("login", "--token", input=token + "\n")
    assert result.code == 0, str(result)
    return token
