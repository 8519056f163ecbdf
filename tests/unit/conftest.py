"""Fixtures for the unit tests (all prefixed ``unit_`` so no other test directory's fixtures clash)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from skytells.net.console_api import ConsoleClient
from skytells.net.http import HttpClient
from skytells.terminal.ui import Terminal

UNIT_BASE_URL = "https://console.example.test"


class UnitFakeClock:
    """A monotonic clock that only moves when ``sleep`` is called; every sleep is recorded."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0, f"sleep({seconds}) would spin without waiting"
        self.sleeps.append(seconds)
        self.now += seconds


class UnitTerminal(Terminal):
    """A Terminal on in-memory streams; ``tty=True`` pretends a person is at a terminal."""

    def __init__(self, stdin_text: str = "", *, tty: bool = False) -> None:
        super().__init__(stdin=io.StringIO(stdin_text), stderr=io.StringIO())
        self.can_prompt = tty
        self.animate = tty
        #: What is typed at each hidden prompt, in turn (None: the input ends, as with Ctrl-D).
        self.secret_answers: list[str | None] = []
        self.secret_prompts: list[str] = []

    @property
    def output(self) -> str:
        """Everything written to stderr so far."""
        assert isinstance(self.stderr, io.StringIO)
        return self.stderr.getvalue()

    def _read_hidden(self, prompt: str) -> str | None:  # the typing; ask_secret's checks still apply
        self.secret_prompts.append(prompt.removesuffix(": "))
        return self.secret_answers.pop(0)


@pytest.fixture
def unit_clock() -> UnitFakeClock:
    """A fake clock whose ``sleep`` advances it."""
    return UnitFakeClock()


@pytest.fixture
def unit_http() -> Iterator[HttpClient]:
    """An HttpClient for the test console (pair it with the ``requests_mock`` fixture)."""
    client = HttpClient(UNIT_BASE_URL)
    yield client
    client.close()


@pytest.fixture
def unit_api(unit_http: HttpClient) -> ConsoleClient:
    """A ConsoleClient for the test console."""
    return ConsoleClient(unit_http)


@pytest.fixture
def unit_terminal_factory() -> Any:
    """Build a UnitTerminal: ``unit_terminal_factory(stdin_text, tty=False)``."""
    return UnitTerminal
