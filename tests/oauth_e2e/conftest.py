"""End-to-end fixtures for standard OAuth: the real ``skytells`` executable against sandboxes
in standard mode (RFC 8414 metadata, device grant, refresh with rotation, revocation, userinfo).

The fixture ``oauth_world`` gives each test an isolated machine (temporary
home, configuration and cache directories, no Skytells credential in the
environment), sandboxes on 127.0.0.1 whose wall clock the test moves, and
helpers that run the CLI (to completion, in the background, or on a
pseudo-terminal). Everything the CLI prints is kept; when the test ends, the
canary checks that no token, refresh token, key or device code appears in it
(the stdout of ``auth token`` excepted: printing the token is its job).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pexpect
import pytest
from skytells_sandbox.server import Sandbox

CLI = Path(sys.executable).parent / "skytells"
TIMEOUT = 30.0
CLIENT_ID = "skytells-cli"
DROPPED = ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER", "XDG_CONFIG_HOME", "DBUS_SESSION_BUS_ADDRESS",
           "http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
SECRET_FIELDS = ("token", "refresh_token", "access_key", "api_key")
SECRET_PARAMETERS = ("device_code", "refresh_token", "token")
# Long enough that no secret's piece appears by chance in a table; short enough to catch a partial leak.
CANARY_WINDOW = 16


class OAuthWallClock:
    """The sandbox's wall clock: real time when made, then still until the test moves it."""

    def __init__(self) -> None:
        self.now = time.time()
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass for the sandbox (access tokens expire by this clock)."""
        with self._lock:
            self.now += seconds


@dataclass
class OAuthResult:
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
        return f"skytells {' '.join(self.args)} -> {self.code}\n--- stdout\n{self.stdout}--- stderr\n{self.stderr}"


class OAuthPty:
    """``skytells`` on a pseudo-terminal (pexpect); the transcript is kept for the canary."""

    def __init__(self, world: OAuthWorld, args: tuple[str, ...], child: pexpect.spawn) -> None:
        self.world = world
        self.args = args
        self.child = child
        self.transcript = io.StringIO()
        child.logfile_read = self.transcript

    def expect(self, text: str) -> None:
        """Wait for ``text`` on the terminal."""
        try:
            self.child.expect_exact(text, timeout=TIMEOUT)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self.child.terminate(force=True)
            self.world.record(self.args, self.transcript.getvalue(), "")
            pytest.fail(f"{text!r} never appeared on the terminal:\n{self.transcript.getvalue()}")

    def sendline(self, text: str) -> None:
        """Type ``text`` and Enter."""
        self.child.sendline(text)

    def wait(self) -> int:
        """Wait for the end; return the exit status."""
        self.child.expect(pexpect.EOF, timeout=TIMEOUT)
        self.child.close()
        self.world.record(self.args, self.transcript.getvalue(), "")
        assert self.child.exitstatus is not None, f"killed by signal {self.child.signalstatus}"
        return self.child.exitstatus

    @property
    def plain(self) -> str:
        """The transcript without ANSI sequences and carriage returns."""
        return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", self.transcript.getvalue())


class OAuthWorld:
    """One test's machine: directories, environment, sandboxes, CLI runs and the canary."""

    def __init__(self, root: Path) -> None:
        self.home = root / "home"
        self.config_dir = root / "config"
        self.home.mkdir(parents=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("SKYTELLS_") and k not in DROPPED}
        self.env.update({
            "HOME": str(self.home),
            "SKYTELLS_CONFIG_DIR": str(self.config_dir),
            "XDG_CACHE_HOME": str(root / "cache"),
            "NO_PROXY": "127.0.0.1,localhost",
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        self.env.pop("TERM", None)
        self.sandboxes: list[Sandbox] = []
        self.secrets: set[str] = set()
        # (command line, text that must hold no secret)
        self.recorded: list[tuple[str, str]] = []

    # -- sandboxes -------------------------------------------------------

    def start_sandbox(self, *, use: bool = True, **settings: Any) -> Sandbox:
        """A sandbox in standard mode on a free port: auto-approve, interval 1 s, a still wall clock.

        ``use`` points the CLI at it (console and inference URLs). The clock is ``sandbox.config.wall_clock``.
        """
        settings.setdefault("interval", 1)
        settings.setdefault("auto_approve", True)
        settings.setdefault("wall_clock", OAuthWallClock())
        sandbox = Sandbox(port=0, **settings).start()
        self.sandboxes.append(sandbox)
        if use:
            self.env["SKYTELLS_API_URL"] = sandbox.url
            self.env["SKYTELLS_AI_API_URL"] = sandbox.url + "/v1"
        return sandbox

    def secret(self, value: str) -> str:
        """Register ``value`` with the canary; return it."""
        self.secrets.add(value)
        return value

    # -- running the CLI -------------------------------------------------

    def environment(self, env: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The test environment with ``env`` applied (None removes a variable)."""
        merged = dict(self.env)
        for key, value in (env or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        return merged

    def record(self, args: tuple[str, ...], checked: str, unchecked: str) -> None:
        """Keep ``checked`` for the canary; snapshot the stored secrets (tokens rotate)."""
        self.recorded.append(("skytells " + " ".join(args), checked))
        if "--debug" not in args:
            assert "Traceback" not in checked + unchecked, f"traceback from skytells {' '.join(args)}"
        self._collect_stored_secrets()

    def _finished(self, args: tuple[str, ...], code: int, stdout: bytes, stderr: bytes) -> OAuthResult:
        result = OAuthResult(args, code, stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"))
        prints_token = args[-2:] == ("auth", "token") or args[:2] == ("auth", "token")
        if prints_token:
            self.record(args, result.stderr, result.stdout)
        else:
            self.record(args, result.output, "")
        return result

    def run(self, *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None) -> OAuthResult:
        """Run ``skytells ARGS`` with pipes (no terminal); stdin is ``input`` or empty."""
        completed = subprocess.run(
            [str(CLI), *args], env=self.environment(env), capture_output=True, timeout=TIMEOUT, check=False,
            input=input.encode() if input is not None else None,
            stdin=subprocess.DEVNULL if input is None else None,
        )
        return self._finished(args, completed.returncode, completed.stdout, completed.stderr)

    def run_together(self, *commands: tuple[str, ...]) -> list[OAuthResult]:
        """Start every command at the same moment and wait for all of them."""
        ready = threading.Barrier(len(commands))
        outcomes: list[Any] = [None] * len(commands)
        environment = self.environment()

        def one(index: int, args: tuple[str, ...]) -> None:
            ready.wait()
            process = subprocess.Popen([str(CLI), *args], env=environment, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            stdout, stderr = process.communicate(timeout=TIMEOUT)
            outcomes[index] = (process.returncode, stdout, stderr)

        threads = [threading.Thread(target=one, args=(i, args)) for i, args in enumerate(commands)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT + 5)
        assert all(outcomes), "a process did not finish"
        return [self._finished(args, *outcome) for args, outcome in zip(commands, outcomes, strict=True)]

    def spawn(self, *args: str, env: Mapping[str, str | None] | None = None) -> OAuthPty:
        """Start ``skytells ARGS`` on a pseudo-terminal."""
        child = pexpect.spawn(str(CLI), list(args), env=self.environment({"TERM": "xterm", **(env or {})}),
                              encoding="utf-8", codec_errors="replace", timeout=TIMEOUT, dimensions=(40, 200))
        return OAuthPty(self, args, child)

    def login(self, sandbox: Sandbox, *extra: str, env: Mapping[str, str | None] | None = None) -> OAuthResult:
        """``skytells [extra] login --issuer <sandbox> --client-id skytells-cli``; asserts success."""
        result = self.run(*extra, "login", "--issuer", sandbox.url, "--client-id", CLIENT_ID,
                          "--no-browser", env=env)
        assert result.code == 0, str(result)
        return result

    # -- the credentials file ----------------------------------------------

    @property
    def credentials_path(self) -> Path:
        """``credentials.json``."""
        return self.config_dir / "credentials.json"

    def credentials(self) -> dict[str, Any]:
        """The parsed credentials file ({} when there is none)."""
        try:
            return json.loads(self.credentials_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def profile(self, name: str | None = None) -> dict[str, Any]:
        """The stored fields of profile ``name`` (None: the top-level, default profile)."""
        data = self.credentials()
        return data if name is None else data.get("profiles", {}).get(name, {})

    # -- what a sandbox saw -------------------------------------------------

    @staticmethod
    def form(seen: Any) -> dict[str, list[str]]:
        """The form parameters of a request a sandbox saw (strict: the body must be a form)."""
        return parse_qs(seen.body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(seen.body))

    @staticmethod
    def seen(sandbox: Sandbox, path: str) -> list[Any]:
        """The requests ``sandbox`` saw for ``path``, oldest first."""
        return [seen for seen in sandbox.requests_seen if seen.path == path]

    def refresh_forms(self, sandbox: Sandbox) -> list[dict[str, list[str]]]:
        """The forms of the refresh-grant requests ``sandbox`` saw, oldest first."""
        forms = [self.form(seen) for seen in self.seen(sandbox, "/oauth/token")]
        return [form for form in forms if form.get("grant_type") == ["refresh_token"]]

    # -- the canary --------------------------------------------------------

    def _collect_stored_secrets(self) -> None:
        data = self.credentials()
        for profile in (data, *data.get("profiles", {}).values()):
            for name in SECRET_FIELDS:
                if isinstance(profile.get(name), str) and profile[name]:
                    self.secrets.add(profile[name])

    def _collect_sandbox_secrets(self) -> None:
        for sandbox in self.sandboxes:
            for seen in sandbox.requests_seen:
                authorization = seen.header("Authorization") or ""
                if authorization.lower().startswith("bearer "):
                    self.secrets.add(authorization[7:].strip())
                if seen.header("x-api-key"):
                    self.secrets.add(str(seen.header("x-api-key")))
                with contextlib.suppress(UnicodeDecodeError, ValueError):
                    form = parse_qs(seen.body.decode())
                    for name in SECRET_PARAMETERS:
                        self.secrets.update(form.get(name, []))

    def check_canary(self) -> None:
        """Fail when any recorded output holds a secret or a piece of one."""
        self._collect_sandbox_secrets()
        self._collect_stored_secrets()
        for secret in self.secrets:
            if len(secret) < CANARY_WINDOW:
                continue
            body = re.sub(r"^(sk_pat_|sk_proj_|sbx_at_|sbx_rt_|sbx_key_)", "", secret)
            pieces = {secret} | {body[i:i + CANARY_WINDOW] for i in range(len(body) - CANARY_WINDOW + 1)}
            for label, text in self.recorded:
                assert not any(piece in text for piece in pieces), \
                    f"a secret ({secret[:8]}...) appears in the output of {label}"

    def close(self) -> None:
        """Collect what the sandboxes saw, then stop them."""
        self._collect_sandbox_secrets()
        for sandbox in self.sandboxes:
            sandbox.stop()


@pytest.fixture
def oauth_world(tmp_path: Path) -> Iterator[OAuthWorld]:
    """An isolated machine; the test starts its sandboxes. The canary runs when it ends."""
    world = OAuthWorld(tmp_path)
    try:
        yield world
    finally:
        world.close()
    world.check_canary()
