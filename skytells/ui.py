"""Talking to the person at the terminal: messages, spinners and prompts on stderr.

stdout is kept for command output that scripts read. Animation happens only
when stderr is a terminal; without one, each activity is one plain line.
rich is imported only when there is a terminal to animate.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

from skytells.errors import UsageError
from skytells.redaction import registered


def _is_tty(stream: IO[Any]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Terminal:
    """The person's side of the conversation: stderr for messages, stdin for answers."""

    def __init__(self, stdin: IO[str] | None = None, stderr: IO[str] | None = None) -> None:
        # With file descriptor 0 closed (``cmd <&-``) sys.stdin is None: read it as empty.
        self.stdin = stdin or sys.stdin or io.StringIO()
        self.stderr = stderr if stderr is not None else sys.stderr
        #: A person can answer prompts (stdin is a terminal).
        self.can_prompt = _is_tty(self.stdin)
        #: Spinners and colour are wanted (stderr is a terminal that is not "dumb").
        self.animate = _is_tty(self.stderr) and os.environ.get("TERM") != "dumb"
        self._rich: Any = None

    # -- messages ------------------------------------------------------

    def line(self, text: str = "") -> None:
        """Write one plain line."""
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def success(self, text: str) -> None:
        """A line marked as success (a green check mark on a terminal)."""
        self._marked("\N{HEAVY CHECK MARK}", "green", text)

    def warning(self, text: str) -> None:
        """A line marked as a warning."""
        self._marked("!", "yellow", text)

    def _marked(self, mark: str, colour: str, text: str) -> None:
        if self.animate:
            from rich.markup import escape

            self._console().print(f"[{colour}]{mark}[/{colour}] {escape(text)}", highlight=False)
            return
        encoding = getattr(self.stderr, "encoding", None) or "ascii"
        try:
            mark.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            mark = "*"
        self.line(f"{mark} {text}")

    @contextlib.contextmanager
    def activity(self, text: str) -> Iterator[Callable[[str], None]]:
        """Show ``text`` while the block runs; yields a function that changes the text.

        On a terminal this is a spinner that disappears at the end; otherwise
        the first text is printed once and updates are dropped.
        """
        if not self.animate:
            self.line(text)
            yield lambda _text: None
            return
        from rich.markup import escape

        with self._console().status(escape(text), spinner="dots") as status:
            yield lambda new_text: status.update(escape(new_text))

    def _console(self) -> Any:
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(file=self.stderr, highlight=False)
        return self._rich

    # -- questions -----------------------------------------------------

    def ask_secret(self, prompt: str) -> str:
        """Ask for a secret without echoing it (requires a terminal)."""
        import getpass

        return registered(getpass.getpass(f"{prompt}: ", stream=self.stderr))

    def confirm(self, question: str, *, refuse_without_terminal: str | None = None) -> bool:
        """Ask a yes/no question (default no).

        Without a terminal, raise UsageError with ``refuse_without_terminal``
        as the hint (naming the flag to use) instead of waiting for an answer.
        """
        if not self.can_prompt:
            raise UsageError(f"{question.rstrip('?')}: cannot ask without a terminal.",
                             hint=refuse_without_terminal)
        self.stderr.write(f"{question} [y/N] ")
        self.stderr.flush()
        answer = self.stdin.readline()
        if not answer:
            self.line()
        return answer.strip().lower() in ("y", "yes")

    def read_line(self, what: str) -> str:
        """Read one line from stdin (a pipe or file), for secrets passed as ``echo $X | skytells ...``."""
        line = self.stdin.readline()
        if not line.strip():
            raise UsageError(f"No {what} on standard input.")
        return registered(line.strip())
