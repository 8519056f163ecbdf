"""Fixtures for ``skytells login --method workload``: the real executable against a sandbox in standard mode.

The sandbox signs test CI ID tokens, plays GitHub Actions' ID-token endpoint
and accepts OAuth 2.0 Token Exchange (``skytells_sandbox.exchange``). Its wall
clock stands still until a test moves it, so expiry is deterministic. When a
test ends, the canary checks that no ID token, request token or access token
appears in anything the CLI printed (the stdout of ``auth token`` excepted) or
in its log file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from skytells_sandbox.server import Sandbox

from skytells.testing import CliResult, CliRunner
from tests.fixture_loading import load_conftest

CLIENT_ID = "skytells-cli"
EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"


#: The sandbox's wall clock: real time when made, then still until the test moves it.
WallClock = load_conftest("workload_oauth_fixtures", "oauth_e2e").OAuthWallClock

class WorkloadWorld(CliRunner):
    """One test's machine: directories, environment, a sandbox, CLI runs and the canary."""

    timeout = 30.0
    forbid_tracebacks = True
    terminal_size = (40, 200)

    def start_sandbox(self, *, use: bool = True, **settings: Any) -> Sandbox:
        """A standard-mode sandbox with a still wall clock (``sandbox.config.wall_clock``)."""
        settings.setdefault("wall_clock", WallClock())
        return super().start_sandbox(use=use, **settings)

    def login(self, sandbox: Sandbox, *extra: str, env: Mapping[str, str | None] | None = None) -> CliResult:
        """``skytells login --method workload --issuer <sandbox> --client-id skytells-cli EXTRA`` (not asserted)."""
        return self.run("login", "--method", "workload", "--issuer", sandbox.url, "--client-id", CLIENT_ID,
                        *extra, env=env)

    def actions(self, sandbox: Sandbox) -> dict[str, str]:
        """The GitHub Actions variables pointing at ``sandbox``; the request token is registered as a secret."""
        env = sandbox.actions_environment
        self.secret(env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
        return env

    def id_token(self, sandbox: Sandbox, **kwargs: Any) -> str:
        """A test ID token from ``sandbox``, registered as a secret."""
        return self.secret(sandbox.issue_id_token(**kwargs))

    @staticmethod
    def seen(sandbox: Sandbox, path: str) -> list[Any]:
        """The requests ``sandbox`` saw for ``path``, oldest first."""
        return [seen for seen in sandbox.requests_seen if seen.path == path]

    @staticmethod
    def form(seen: Any) -> dict[str, list[str]]:
        """The form parameters of a request a sandbox saw."""
        return parse_qs(seen.body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(seen.body))

    def exchanges(self, sandbox: Sandbox) -> list[dict[str, list[str]]]:
        """The forms of the token-exchange requests ``sandbox`` saw, oldest first."""
        forms = [self.form(seen) for seen in self.seen(sandbox, "/oauth/token")]
        return [form for form in forms if form.get("grant_type") == [EXCHANGE_GRANT]]

    def files_text(self) -> list[tuple[str, str]]:
        """Every file the CLI wrote in its configuration and cache directories, as text (for the canary)."""
        texts = []
        for root in (self.config_dir, self.cache_dir, self.home):
            if not root.exists():
                continue
            for path in root.rglob("*"):
                if path.is_file():
                    texts.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
        return texts


@pytest.fixture
def workload_world(tmp_path: Path) -> Iterator[WorkloadWorld]:
    """An isolated machine; the test starts its sandbox. The canary runs when it ends."""
    with WorkloadWorld(tmp_path) as world:
        yield world
    world.check_canary()
