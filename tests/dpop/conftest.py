"""Fixtures for DPoP-bound logins: the real executable against a sandbox that binds tokens to keys (RFC 9449).

The sandbox (``skytells_sandbox.dpop``) lists ES256 in its metadata, checks
every proof (signature, ``htm``, ``htu``, ``iat``, ``jti`` replay, nonce,
``ath``, the key's thumbprint) and refuses a bound token without a proof by
its key. Its wall clock stands still until a test moves it. When a test ends,
the canary checks that no token, refresh token, device code or private key
appears in anything the CLI printed (the stdout of ``auth token`` excepted).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from skytells_sandbox.server import Sandbox

from skytells.testing import CliResult, CliRunner
from tests.fixture_loading import load_conftest

CLIENT_ID = "skytells-cli"


#: The sandbox's wall clock: real time when made, then still until the test moves it.
WallClock = load_conftest("dpop_oauth_fixtures", "oauth_e2e").OAuthWallClock

class DpopWorld(CliRunner):
    """One test's machine: directories, environment, a DPoP sandbox, CLI runs and the canary."""

    timeout = 30.0
    forbid_tracebacks = True
    terminal_size = (40, 200)
    canary_window = 16

    def start_sandbox(self, *, use: bool = True, **settings: Any) -> Sandbox:
        """A standard-mode OpenID Connect sandbox doing DPoP: auto-approve, interval 1 s, a still wall clock."""
        for name, value in (("dpop", True), ("oidc", True), ("auto_approve", True), ("interval", 1),
                            ("wall_clock", WallClock())):
            settings.setdefault(name, value)
        return super().start_sandbox(use=use, **settings)

    def login(self, sandbox: Sandbox, *extra: str) -> CliResult:
        """``skytells login --issuer <sandbox> --client-id skytells-cli --no-browser EXTRA``; asserts success."""
        result = self.run("login", "--issuer", sandbox.url, "--client-id", CLIENT_ID, "--no-browser", *extra)
        assert result.code == 0, str(result)
        return result

    @staticmethod
    def seen(sandbox: Sandbox, path: str) -> list[Any]:
        """The requests ``sandbox`` saw for ``path``, oldest first."""
        return [seen for seen in sandbox.requests_seen if seen.path == path]

    @staticmethod
    def form(seen: Any) -> dict[str, list[str]]:
        """The form parameters of a request a sandbox saw."""
        return parse_qs(seen.body.decode("ascii"), keep_blank_values=True)

    def token_requests(self, sandbox: Sandbox, grant: str) -> list[Any]:
        """The requests to the token endpoint with ``grant_type`` ``grant``, oldest first."""
        return [seen for seen in self.seen(sandbox, "/oauth/token") if self.form(seen).get("grant_type") == [grant]]

    def files_text(self, *, but: tuple[Path, ...] = ()) -> list[tuple[str, str]]:
        """Every file under the run's home, configuration and cache directories (except ``but``), as text."""
        texts = []
        for root in (self.home, self.config_dir, self.cache_dir):
            for path in root.rglob("*") if root.exists() else ():
                if path.is_file() and path not in but:
                    texts.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
        return texts


@pytest.fixture
def dpop_world(tmp_path: Path) -> Iterator[DpopWorld]:
    """An isolated machine; the test starts its sandbox. The canary runs when it ends."""
    with DpopWorld(tmp_path) as world:
        yield world
    world.check_canary()
