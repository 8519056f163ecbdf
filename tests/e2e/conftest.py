"""End-to-end fixtures: ``skytells`` against a real sandbox on 127.0.0.1.

Every test gets an :class:`E2EWorld` (fixture ``e2e``): a
:class:`skytells.testing.InProcessRunner` (temporary home, configuration and
cache directory, no Skytells credential in the environment) with a started
sandbox the CLI talks to. ``run`` calls the CLI's ``main`` in the test's
process with the world's environment, stdin, stdout and stderr, which is all
most checks need; ``start`` (in the background, for signals and concurrency)
and ``spawn`` (on a pseudo-terminal) start the real executable. Everything the
CLI prints is kept; when the test ends, the secret canary checks that no
token, project key or device code the test handled appears in any of it, and
a traceback without --debug fails the test at once."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from skytells_sandbox.server import Sandbox

from skytells.testing import InProcessRunner, wait_for_polls

TIMEOUT = 30.0


class E2EWorld(InProcessRunner):
    """One test's isolated machine, its sandboxes, and shortcuts that register secrets with the canary."""

    timeout = TIMEOUT
    forbid_tracebacks = True

    def __init__(self, root: Path) -> None:
        super().__init__(root, config_dir=root / "home" / ".config" / "skytells")

    def start_sandbox(self, *, use: bool = True, **settings: Any) -> Sandbox:
        """Start a sandbox on a free port (interval 1 s unless overridden); ``use`` points the CLI at it."""
        settings.setdefault("interval", 1)
        return super().start_sandbox(use=use, **settings)

    def _sandbox(self, sandbox: Sandbox | None) -> Sandbox:
        chosen = sandbox or self.sandbox
        assert chosen is not None, "start a sandbox first"
        return chosen

    def issue_token(self, scopes: tuple[str, ...] | None = None, sandbox: Sandbox | None = None) -> str:
        """A valid personal access token from the sandbox, registered with the canary."""
        target = self._sandbox(sandbox)
        return self.secret(target.issue_token() if scopes is None else target.issue_token(scopes))

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
        assert wait_for_polls(self._sandbox(sandbox), user_code, polls, TIMEOUT), \
            f"the CLI never polled {polls} time(s)"

    def assert_private_file(self) -> None:
        """The credentials file is 0600 in a 0700 directory."""
        assert stat.S_IMODE(self.credentials_path.stat().st_mode) == 0o600
        assert stat.S_IMODE(self.config_dir.stat().st_mode) == 0o700


@pytest.fixture
def e2e(tmp_path: Path) -> Iterator[E2EWorld]:
    """An isolated machine with a started sandbox (console dialect, interval 1 s) the CLI points at.

    When the test ends the sandboxes stop and the secret canary runs.
    """
    with E2EWorld(tmp_path) as world:
        world.start_sandbox()
        yield world
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
