"""The process's standard output and error, as the CLI writes them.

:func:`install` wraps ``sys.stdout`` and ``sys.stderr`` once, at start-up,
in :class:`RedactingStream`: every line the CLI, cliff, logging, rich or a
traceback writes passes through :func:`skytells.safety.redaction.redact` on its way
out. Everything else about the streams is the original's (``isatty``,
``fileno``, ``encoding``).

The wrappers also decide what a write that cannot happen means:

- on stdout (a reader that went away, a descriptor closed with ``>&-``, a
  full disk) it raises :class:`OutputLost`, a BaseException so that no
  command's ``except Exception`` mistakes it for its own failure;
  ``skytells.main`` ends the run on it with the documented exit status;
- on stderr it is dropped, and so is everything after it: there is nowhere
  left to report anything.
"""

from __future__ import annotations

import _thread
import contextlib
import errno
import os
import sys

from skytells.safety import redaction

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: this module loads on every start-up
if TYPE_CHECKING:
    from typing import Any, TextIO


class OutputLost(BaseException):
    """Standard output cannot be written: ``error`` says why (EPIPE: the reader went away)."""

    def __init__(self, error: OSError | ValueError) -> None:
        super().__init__(error)
        self.error = error

    @property
    def broken_pipe(self) -> bool:
        """True when the reader of a pipe went away (EPIPE), the one case that ends silently."""
        return isinstance(self.error, BrokenPipeError) or getattr(self.error, "errno", None) == errno.EPIPE

    @property
    def reason(self) -> str:
        """Why, in a few words ("Bad file descriptor")."""
        code = getattr(self.error, "errno", None)
        return os.strerror(code) if isinstance(code, int) else "the stream is closed"


def _closed_descriptor() -> OSError:
    return OSError(errno.EBADF, os.strerror(errno.EBADF))


class RedactingStream:
    """A text stream that redacts each line and forwards it to ``target`` (None: a closed descriptor).

    Text is held until a line is complete (or the stream is flushed), so that
    a secret written in several pieces is still seen whole.
    """

    def __init__(self, target: TextIO | None, *, messages: bool) -> None:
        self._target = target
        #: True for stderr: the text is messages, and failures are dropped rather than raised.
        self._messages = messages
        self._pending = ""
        self._lost = False
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
            if self._target is not None and not self._lost:
                self._attempt(self._target.flush)

    def write_unredacted(self, text: str) -> None:
        """Write ``text`` past the redaction step. For output whose very purpose is a secret only."""
        with self._lock:
            self.flush()
            self._send(text)

    def _send(self, text: str) -> None:
        if not text or self._lost:
            return
        if self._target is None:
            self._fail(_closed_descriptor())
            return
        target = self._target
        self._attempt(lambda: target.write(text))

    def _attempt(self, action: Any) -> None:
        try:
            action()
        except (OSError, ValueError) as error:  # ValueError: "I/O operation on closed file"
            self._fail(error)

    def _fail(self, error: OSError | ValueError) -> None:
        self._lost = True
        self._pending = ""
        if not self._messages:
            raise OutputLost(error) from None

    # -- what the original stream says about itself ------------------------------------------

    @property
    def target(self) -> TextIO | None:
        """The wrapped stream (None when the descriptor was closed at start-up)."""
        return self._target

    @property
    def closed(self) -> bool:
        """True when there is no stream behind this one (its descriptor was closed)."""
        return self._target is None

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
            return self._target is not None and self._target.isatty()
        except (OSError, ValueError, AttributeError):
            return False

    def fileno(self) -> int:
        """The target's file descriptor."""
        if self._target is None:
            raise _closed_descriptor()
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
    for descriptor, stream in ((1, sys.stdout), (2, sys.stderr)):
        if stream is None:
            _occupy(descriptor)
    if not isinstance(sys.stdout, RedactingStream):
        sys.stdout = RedactingStream(sys.stdout, messages=False)
    if not isinstance(sys.stderr, RedactingStream):
        sys.stderr = RedactingStream(sys.stderr, messages=True)
    return originals


def _occupy(descriptor: int) -> None:
    """Open the null device, read-only, on a closed standard descriptor.

    Otherwise the next file the CLI opens (the credentials file) would get
    that number, and a child process writing to its stdout or stderr would
    write into it. Read-only, writes to it still fail, as on a closed one.
    """
    try:
        os.fstat(descriptor)
        return  # open after all
    except OSError:
        pass
    try:
        opened = os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return
    with contextlib.suppress(OSError):
        if opened == descriptor:
            os.set_inheritable(descriptor, True)  # children get it as their stdout too
        else:
            os.dup2(opened, descriptor)
            os.close(opened)


def restore(originals: tuple[Any, Any]) -> None:
    """Flush the wrappers and put ``originals`` back (for callers that run the CLI in their own process)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, RedactingStream):
            with contextlib.suppress(OutputLost):
                stream.flush()
    sys.stdout, sys.stderr = originals


def write_unredacted(stream: Any, text: str) -> None:
    """Write ``text`` to ``stream`` past the redaction step: for ``skytells auth token`` and nothing else."""
    if isinstance(stream, RedactingStream):
        stream.write_unredacted(text)
    else:
        stream.write(text)


def silence_stdout() -> None:
    """Point file descriptor 1 at the null device, so the interpreter's last flush of stdout cannot fail.

    After a write error, the original stdout may still hold buffered text;
    Python flushes it at exit and would report a second error
    ("Exception ignored ... BrokenPipeError"). This is the recipe of the
    Python documentation (``signal``, "Note on SIGPIPE").
    """
    original = sys.__stdout__
    if original is None:
        return
    try:
        descriptor = original.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return
    try:
        os.dup2(devnull, descriptor)
    except OSError:
        pass
    finally:
        os.close(devnull)
