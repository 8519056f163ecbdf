"""Fixtures for the sandbox tests; every name is prefixed ``sandbox_`` to avoid clashes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

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
def sandbox_factory(sandbox_clock: SandboxFakeClock) -> Iterator[Callable[..., Sandbox]]:
    """Start sandboxes on free ports with the fake clock; all are stopped afterwards."""
    started: list[Sandbox] = []

    def make(**overrides: Any) -> Sandbox:
        overrides.setdefault("clock", sandbox_clock)
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
