"""Marked lines and spinners drawn with rich, on a terminal that can show them (see ``skytells.terminal.ui``).

Apart from ``ui`` because importing rich takes a third of the time importing
cliff.app does (0.34x, the median of 7 runs of ``-X importtime`` after cliff,
on 2 shared cores): ``ui`` imports this module only when stderr is a terminal
to animate.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import IO

from rich.console import Console
from rich.markup import escape


class Animation:
    """rich's console on ``stream`` (stderr): coloured marks, and a spinner while something happens."""

    def __init__(self, stream: IO[str]) -> None:
        self.console = Console(file=stream, highlight=False)

    def marked(self, mark: str, colour: str, text: str) -> None:
        """``text`` after ``mark`` in ``colour`` (``text`` is shown as it is, never read as markup)."""
        self.console.print(f"[{colour}]{mark}[/{colour}] {escape(text)}", highlight=False)

    @contextlib.contextmanager
    def activity(self, text: str) -> Iterator[Callable[[str], None]]:
        """A spinner with ``text`` while the block runs; yields a function that changes the text."""
        with self.console.status(escape(text), spinner="dots") as status:
            yield lambda new_text: status.update(escape(new_text))
