"""End-to-end fixtures for standard OAuth: ``skytells`` against sandboxes in standard mode
(RFC 8414 metadata, device grant, refresh with rotation, revocation, userinfo). Runs call the
CLI's ``main`` in the test's process; ``start`` and ``run_together`` start real processes.

The fixture ``oauth_world`` gives each test an :class:`OAuthWorld`: a
:class:`skytells.testing.InProcessRunner` (temporary home, configuration and cache
directories, no Skytells credential in the environment) that starts sandboxes
on 127.0.0.1 whose wall clock the test moves. Everything the CLI prints is
kept; when the test ends, the canary checks that no token, refresh token, key
or device code appears in it (the stdout of ``auth token`` excepted: printing
the token is its job).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from skytells_sandbox.server import Sandbox

from skytells.testing import CliProcess, CliResult, InProcessRunner

TIMEOUT = 30.0
CLIENT_ID = "skytells-cli"


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


class OAuthWorld(InProcessRunner):
    """One test's machine: directories, environment, sandboxes, CLI runs and the canary."""

    timeout = TIMEOUT
    forbid_tracebacks = True
    terminal_size = (40, 200)
    # Long enough that no secret's piece appears by chance in a table; short enough to catch a partial leak.
    canary_window = 16

    def start_sandbox(self, *, use: bool = True, **settings: Any) -> Sandbox:
        """A sandbox in standard mode on a free port: auto-approve, interval 1 s, a still wall clock.

        ``use`` points the CLI at it (console and inference URLs). The clock is ``sandbox.config.wall_clock``.
        """
        settings.setdefault("interval", 1)
        settings.setdefault("auto_approve", True)
        settings.setdefault("wall_clock", OAuthWallClock())
        return super().start_sandbox(use=use, **settings)

    def run_together(self, *commands: tuple[str, ...]) -> list[CliResult]:
        """Start every command at the same moment and wait for all of them."""
        ready = threading.Barrier(len(commands))
        processes: list[CliProcess | None] = [None] * len(commands)

        def one(index: int, args: tuple[str, ...]) -> None:
            ready.wait()
            processes[index] = self.start(*args)

        threads = [threading.Thread(target=one, args=(i, args)) for i, args in enumerate(commands)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        started = [process for process in processes if process is not None]
        assert len(started) == len(commands), "a process did not start"
        return [process.finish() for process in started]

    def login(self, sandbox: Sandbox, *extra: str, env: Mapping[str, str | None] | None = None) -> CliResult:
        """``skytells [extra] login --issuer <sandbox> --client-id skytells-cli``; asserts success."""
        result = self.run(*extra, "login", "--issuer", sandbox.url, "--client-id", CLIENT_ID,
                          "--no-browser", env=env)
        assert result.code == 0, str(result)
        return result

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


@pytest.fixture
def oauth_world(tmp_path: Path) -> Iterator[OAuthWorld]:
    """An isolated machine; the test starts its sandboxes. The canary runs when it ends."""
    with OAuthWorld(tmp_path) as world:
        yield world
    world.check_canary()
