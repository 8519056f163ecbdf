"""Talking to the person at the terminal: messages, spinners and prompts on stderr.

stdout is kept for command output that scripts read. Animation happens only
when stderr is a terminal; without one, each activity is one plain line.
rich is imported only when there is a terminal to animate (``skytells.terminal.animation``).

Every question goes through :class:`Terminal`, so a non-interactive run
(``--non-interactive``, ``SKYTELLS_NONINTERACTIVE``) is decided here: a
confirmation fails at once naming the flag that proceeds without it, and a
secret is read only from a piped stdin, never waited for at a terminal.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING

from skytells.errors import CancelledError, NonInteractiveError, UsageError
from skytells.safety.redaction import registered

if sys.platform == "win32":  # no termios: getpass reads the console key by key
    import getpass
else:
    import termios

if TYPE_CHECKING:
    from skytells.terminal.animation import Animation

#: The longest line, in characters, read from a prompt or stdin. Tokens and keys are far shorter;
#: stopping here keeps an endless input (``</dev/zero``, a runaway pipe) from filling the memory.
MAX_INPUT_LINE = 8192


def _is_tty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Terminal:
    """The person's side of the conversation: stderr for messages, stdin for answers."""

    def __init__(self, stdin: IO[str] | None = None, stderr: IO[str] | None = None, *, quiet: bool = False,
                 non_interactive: bool = False) -> None:
        # With file descriptor 0 closed (``cmd <&-``) sys.stdin is None: read it as empty.
        self.stdin = stdin or sys.stdin or io.StringIO()
        self.stderr = stderr if stderr is not None else sys.stderr
        #: No question is ever asked (``--non-interactive``, ``SKYTELLS_NONINTERACTIVE``), terminal or not.
        self.non_interactive = non_interactive
        #: A person can answer prompts (stdin is a terminal, and the run is not non-interactive).
        self.can_prompt = _is_tty(self.stdin) and not non_interactive
        #: Spinners and colour are wanted (stderr is a terminal that is not "dumb").
        self.animate = _is_tty(self.stderr) and os.environ.get("TERM") != "dumb"
        #: ``-q``: progress, success and detail lines are not shown; instructions, warnings and errors are.
        self.quiet = quiet
        self._animation: Animation | None = None

    # -- messages ------------------------------------------------------

    def line(self, text: str = "") -> None:
        """Write one plain line."""
        self.stderr.write(text + "\n")
        self.stderr.flush()

    def detail(self, text: str) -> None:
        """A line that adds to an outcome or a step (where something was saved, a tip); not shown with -q."""
        if not self.quiet:
            self.line(text)

    def success(self, text: str) -> None:
        """A line marked as success (a green check mark on a terminal); not shown with -q."""
        if not self.quiet:
            self._marked("\N{HEAVY CHECK MARK}", "green", text)

    def warning(self, text: str) -> None:
        """A line marked as a warning."""
        self._marked("!", "yellow", text)

    def _marked(self, mark: str, colour: str, text: str) -> None:
        if self.animate:
            self._animated().marked(mark, colour, text)
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
        if self.quiet or not self.animate:
            self.detail(text)
            yield lambda _text: None
            return
        with self._animated().activity(text) as update:
            yield update

    def _animated(self) -> Animation:
        if self._animation is None:
            # Only on a terminal to animate: rich takes a third as long to import as cliff.app (0.34x).
            from skytells.terminal.animation import Animation  # noqa: PLC0415

            self._animation = Animation(self.stderr)
        return self._animation

    # -- questions -----------------------------------------------------

    def read_secret(self, what: str, prompt: str) -> str:
        """Read a secret the one way commands do: a hidden prompt at a terminal, else one line of stdin.

        ``what`` names the secret in messages ("personal access token"),
        ``prompt`` is the question asked at a terminal. Returns the secret
        stripped of surrounding white space; see :meth:`ask_secret` and
        :meth:`read_line` for the refusals (UsageError, exit 2).

        In a non-interactive run the secret is one line of stdin; a terminal
        on stdin is refused at once (NonInteractiveError, exit 2) rather than
        read without a prompt, which would wait for nobody, and echo the
        secret if somebody typed it.
        """
        if self.can_prompt:
            return self.ask_secret(prompt)
        if self.non_interactive and _is_tty(self.stdin):
            raise NonInteractiveError(f"Not asking for the {what}: this run is non-interactive "
                                      "(--non-interactive or SKYTELLS_NONINTERACTIVE).",
                                      hint="Pipe it on standard input instead.")
        return self.read_line(what)

    def ask_secret(self, prompt: str) -> str:
        """Ask for a secret without echoing it (requires a terminal); the answer, stripped.

        One line of at most :data:`MAX_INPUT_LINE` characters is read. Raises
        UsageError (exit 2) when the input ends before a line (Ctrl-D), when
        nothing was entered, or when the line is longer or is not text.
        """
        answer = self._read_hidden(f"{prompt}: ")
        if answer is None:
            raise CancelledError("Cancelled at the prompt (end of input).")
        answer = answer.strip()
        if not answer:
            raise UsageError("Nothing entered.")
        return registered(answer)

    def confirm(self, question: str, *, flag: str | None = None, refuse_without_terminal: str | None = None,
                refusal: str | None = None) -> bool:
        """Ask a yes/no question (default no); the end of input (Ctrl-D) is a no.

        ``flag`` is the option that answers yes without asking (``--force``):
        without a terminal, or in a non-interactive run, the question is not
        asked and NonInteractiveError (a UsageError, exit 2) says to pass it.
        ``refuse_without_terminal``, a whole hint, replaces the one built from
        ``flag`` (kept for plugins that pass it). ``refusal`` is the error's
        message then, saying what was not done (``Not logged out``); without
        it the question itself is quoted.
        """
        if not self.can_prompt:
            why = "this run is non-interactive" if self.non_interactive else "cannot ask without a terminal"
            hint = refuse_without_terminal or (f"Pass {flag} to go ahead without the question." if flag else None)
            message = f"{refusal.rstrip('.')} ({why})." if refusal else f"{question.rstrip('?')}: {why}."
            raise NonInteractiveError(message, hint=hint)
        self.stderr.write(f"{question} [y/N] ")
        self.stderr.flush()
        try:
            answer = read_bounded_line(self.stdin, "the terminal")
        except UsageError:  # too long or not text: not a yes
            return False
        if answer is None:
            self.line()  # the cursor is still after the question
            return False
        return answer.strip().lower() in ("y", "yes")

    def read_line(self, what: str) -> str:
        """Read one line from stdin (a pipe or file), for secrets passed as ``echo $X | skytells ...``.

        At most :data:`MAX_INPUT_LINE` characters are read, so an endless
        input cannot fill the memory. Returns the line stripped; UsageError
        (exit 2) when stdin is empty, closed or blank, or the line is too long
        or is not text.
        """
        line = read_bounded_line(self.stdin, "standard input")
        if line is None or not line.strip():
            raise UsageError(f"No {what} on standard input.")
        return registered(line.strip())

    def _read_hidden(self, prompt: str) -> str | None:
        """Show ``prompt`` and read one line with the terminal's echo off; None at the end of input."""
        if sys.platform == "win32":
            return _getpass(prompt, self.stderr)
        try:
            fd = self.stdin.fileno()
            shown = termios.tcgetattr(fd)
        except (AttributeError, ValueError, OSError, termios.error):
            fd = None  # no terminal behind the stream after all: nothing to hide it from
        if fd is not None:
            hidden = list(shown)
            hidden[3] &= ~termios.ECHO
            # Echo goes off before the prompt appears, so nothing typed after it is shown. Restoring with
            # TCSAFLUSH drops anything typed beyond the line, which must not reach the shell afterwards.
            try:
                termios.tcsetattr(fd, termios.TCSAFLUSH, hidden)
            except termios.error:
                raise UsageError("This terminal cannot hide what is typed, so no secret is asked for.",
                                 hint="Pipe it on standard input instead.") from None
        try:
            self.stderr.write(prompt)
            self.stderr.flush()
            return read_bounded_line(self.stdin, "the terminal")
        finally:
            if fd is not None:
                termios.tcsetattr(fd, termios.TCSAFLUSH, shown)
            self.line()  # the Enter key was not echoed


def read_bounded_line(stream: IO[str], source: str) -> str | None:
    """One line of ``stream`` without its line end, or None when the input has ended.

    Never reads more than :data:`MAX_INPUT_LINE` characters and a CR LF: a
    longer line (``</dev/zero``, an endless pipe) is refused with UsageError,
    as is input that is not text. ``source`` names the stream in those
    messages. A stream that cannot be read (closed, an I/O error) has ended.
    """
    try:
        line = stream.readline(MAX_INPUT_LINE + 2)
    except UnicodeDecodeError:
        raise UsageError(f"What was read from {source} is not UTF-8 text.") from None
    except (OSError, ValueError):
        return None
    if not line:
        return None
    content = line.removesuffix("\n").removesuffix("\r")
    if len(content) > MAX_INPUT_LINE:
        raise UsageError(f"More than {MAX_INPUT_LINE} characters on one line of {source}: "
                         "too long to be a credential.")
    return content


if sys.platform == "win32":

    def _getpass(prompt: str, stream: IO[str]) -> str | None:
        """getpass's hidden prompt where termios is missing; None at the end of input."""
        try:
            answer = getpass.getpass(prompt, stream=stream)  # type: ignore[arg-type]  # any text stream works
        except EOFError:
            return None
        if len(answer) > MAX_INPUT_LINE:
            raise UsageError(f"More than {MAX_INPUT_LINE} characters at the prompt: too long to be a credential.")
        return answer
