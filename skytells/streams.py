"""The process's standard output and error, as the CLI writes them.

:func:`install` wraps ``sys.stdout`` and ``sys.stderr`` once, at start-up,
in :class:`RedactingStream`: every line the CLI, cliff, logging, rich or a
traceback writes passes through :func:`skytells.redaction.redact` on its way
out. Everything else about the streams is the original's (``isatty``,
``fileno``, ``encoding``).
"""

from __future__ import annotations

import _thread
import sys

from skytells import redaction

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: this module loads on every start-up
if TYPE_CHECKING:
    from typing import Any, TextIO


class RedactingStream:
    """A text stream that redacts each line and forwards it to ``target``.

    Text is held until a line is complete (or the stream is flushed), so that
    a secret written in several pieces is still seen whole.
    """

    def __init__(self, target: TextIO, *, messages: bool) -> None:
        self._target = target
        #: True for stderr: the text is messages.
        self._messages = messages
        self._pending = ""
        self._lock = _thread.RLock()  # rich's spinner writes from its own thread

    # -- writing -----------------------------------------------------------------------------

    def write(self, text: str) -> int:
        """Queue ``text``; every complete line goes out redacted."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            self._pending += text
            cut = self._pending.rfind("\n") + 1
            if cut:
                complete, self._pending = self._pending[:cut], self._pending[cut:]
                self._send(redaction.redact(complete, message=self._messages))
        return len(text)

    def writelines(self, lines: Any) -> None:
        """Write each of ``lines``."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Send what is queued, redacted, and flush the target."""
        with self._lock:
            if self._pending:
                text, self._pending = self._pending, ""
                self._send(redaction.redact(text, message=self._messages))
            self._target.flush()

    def write_unredacted(self, text: str) -> None:
        """Write ``text`` past the redaction step. For output whose very purpose is a secret only."""
        with self._lock:
            self.flush()
            self._send(text)

    def _send(self, text: str) -> None:
        if text:
            self._target.write(text)

    # -- what the original stream says about itself ------------------------------------------

    @property
    def target(self) -> TextIO:
        """The wrapped stream."""
        return self._target

    @property
    def closed(self) -> bool:
        """Whether the target is closed."""
        return bool(getattr(self._target, "closed", False))

    @property
    def encoding(self) -> str:
        """The target's encoding."""
        return getattr(self._target, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str:
        """The target's error handler."""
        return getattr(self._target, "errors", None) or "strict"

    def isatty(self) -> bool:
        """Whether the target is a terminal."""
        try:
            return self._target.isatty()
        except (OSError, ValueError, AttributeError):
            return False

    def fileno(self) -> int:
        """The target's file descriptor."""
        return self._target.fileno()

    def writable(self) -> bool:
        """True: this is an output stream."""
        return True

    def readable(self) -> bool:
        """False: this is an output stream."""
        return False


def install() -> tuple[Any, Any]:
    """Wrap ``sys.stdout`` and ``sys.stderr`` (once); return what they were."""
    originals = (sys.stdout, sys.stderr)
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout, messages=False)  # type: ignore[assignment]
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr, messages=True)  # type: ignore[assignment]
    return originals


def restore(originals: tuple[Any, Any]) -> None:
    """Flush the wrappers and put ``originals`` back (for callers that run the CLI in their own process)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RedactingStream):
            stream.flush()
    sys.stdout, sys.stderr = originals


def write_unredacted(stream: Any, text: str) -> None:
    """Write ``text`` to ``stream`` past the redaction step: for ``skytells auth token`` and nothing else."""
    if isinstance(stream, RedactingStream):
        stream.write_unredacted(text)
    else:
        stream.write(text)
