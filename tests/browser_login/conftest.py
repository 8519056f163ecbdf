"""End-to-end fixtures for ``skytells login --method browser``: the real executable, a sandbox playing
a standard OAuth server (authorization endpoint, PKCE, ``iss``), and a stand-in browser given by
``BROWSER``.

``browser_world`` is an :class:`~oauth_e2e` ``OAuthWorld`` (temporary home, sandboxes with a still wall
clock, the secret canary when the test ends) that can also write a :class:`FakeBrowser`: a copy of
``fake_browser.py`` in the test's directory with a plan saying what it does.
"""

from __future__ import annotations

import json
import shlex
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skytells.testing import CliResult
from tests.fixture_loading import load_conftest

_oauth = load_conftest("browser_login_oauth_fixtures", "oauth_e2e")

CLIENT_ID = _oauth.CLIENT_ID
HERE = Path(__file__).resolve().parent


class FakeBrowser:
    """The ``BROWSER`` of a run: what it does (its plan) and what it saw (its log)."""

    def __init__(self, directory: Path, **plan: Any) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.script = directory / "fake_browser.py"
        shutil.copy(HERE / "fake_browser.py", self.script)
        self.log = directory / "browser-log.jsonl"
        self.plan_path = directory / "plan.json"
        self.plan_path.write_text(json.dumps({"log": str(self.log), "mode": "approve", **plan}), encoding="utf-8")

    @property
    def command(self) -> str:
        """The value of ``BROWSER``: webbrowser replaces ``%s`` with the URL."""
        return " ".join(shlex.quote(word) for word in (sys.executable, str(self.script), str(self.plan_path))) + " %s"

    def seen(self, timeout: float = 15.0) -> dict[str, Any]:
        """What the browser saw, once it wrote it down (it may finish just after the CLI)."""
        deadline = time.monotonic() + timeout
        while not self.log.exists() or not self.log.read_text(encoding="utf-8").endswith("\n"):
            assert time.monotonic() < deadline, "the stand-in browser wrote nothing"
            time.sleep(0.02)
        lines = self.log.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 1, f"the browser was opened {len(lines)} times"
        found: dict[str, Any] = json.loads(lines[0])
        assert "failure" not in found, found["failure"]
        return found


class BrowserWorld(_oauth.OAuthWorld):  # type: ignore[misc,name-defined]
    """An OAuthWorld whose runs may use a stand-in browser."""

    def browser(self, name: str = "browser", **plan: Any) -> FakeBrowser:
        """A stand-in browser in the test's directory, doing what ``plan`` says."""
        return FakeBrowser(self.root / name, **plan)

    def browser_login(self, sandbox: Any, browser: FakeBrowser | None, *extra: str,
                      env: dict[str, str | None] | None = None, before: tuple[str, ...] = (),
                      timeout: float | None = None) -> CliResult:
        """``skytells [before] login --method browser --issuer <sandbox> --client-id skytells-cli [extra]``."""
        changes: dict[str, str | None] = {"SSH_CONNECTION": None, "SSH_TTY": None, "DISPLAY": None,
                                          "WAYLAND_DISPLAY": None}
        if browser is not None:
            changes["BROWSER"] = browser.command
        changes.update(env or {})
        return self.run(*before, "login", "--method", "browser", "--issuer", sandbox.url, "--client-id", CLIENT_ID,
                        *extra, env=changes, timeout=timeout)


@pytest.fixture
def browser_world(tmp_path: Path) -> Iterator[BrowserWorld]:
    """An isolated machine; the test starts its sandboxes and browsers. The canary runs when it ends."""
    with BrowserWorld(tmp_path) as world:
        yield world
    world.check_canary()
