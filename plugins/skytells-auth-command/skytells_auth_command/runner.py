"""Running the token command: no shell unless asked, stdin closed, a timeout, clear one-line failures.

The command's stdout is the secret: it is never logged, shown or put in an
error. Its stderr is what explains a failure, so errors quote it (trimmed,
made safe for a terminal, and with anything that looks like a credential or
repeats stdout masked). Neither is held without limit: a command that prints
more than :data:`MAX_STDOUT` bytes on stdout is stopped, and only the last
:data:`STDERR_TAIL` bytes of stderr are kept.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any

from skytells.errors import AuthError, UsageError
from skytells.masking import mask
from skytells.sanitize import terminal_safe
from skytells_auth_command.authenticator import DEFAULT_TIMEOUT, ENV_COMMAND

LOG = logging.getLogger(__name__)

MAX_TIMEOUT = 3600.0
#: Grace period for the pipes to close after a timed-out command was killed.
KILL_GRACE_SECONDS = 2.0
STDERR_LINES = 3
STDERR_CHARS = 300
#: The most a command may print on stdout: a token is one short line.
MAX_STDOUT = 64 * 1024
#: How much of the end of stderr is kept to explain a failure.
STDERR_TAIL = 16 * 1024
_CHUNK = 64 * 1024
_CREDENTIAL_WORD = re.compile(r"sk_[A-Za-z]+_[A-Za-z0-9_-]+")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("", "0", "false", "no", "off")


@dataclass(frozen=True)
class TokenCommand:
    """What to run and how."""

    command: str
    shell: bool = False
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> TokenCommand:
        """Read ``command``, ``shell`` and ``command_timeout`` (flags or their environment variables)."""
        command = (options.get("command") or "").strip()
        if not command:
            raise UsageError("No token command given.",
                             hint=f'Pass --command "..." or set {ENV_COMMAND}.')
        return cls(command, _switch(options.get("shell")), _timeout(options.get("command_timeout")))

    @property
    def program(self) -> str:
        """The program's name, for messages."""
        if self.shell:
            return "shell command"
        try:
            first = shlex.split(self.command, posix=os.name != "nt")[0]
        except (ValueError, IndexError):
            first = self.command.split()[0]
        return terminal_safe(os.path.basename(first), 60)

    def arguments(self) -> str | list[str]:
        """The command string for the shell, else its words."""
        if self.shell:
            return self.command
        try:
            words = shlex.split(self.command, posix=os.name != "nt")
        except ValueError as error:
            raise UsageError(f"The token command cannot be split into words: {error}.",
                             hint="Check its quotes, or pass --shell to let the shell read it.") from None
        if not words:
            raise UsageError("The token command is empty.")
        return words


def _switch(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise UsageError(f"Expected yes or no for --shell, not {terminal_safe(value, 20)!r}.")


def _timeout(value: Any) -> float:
    if value in (None, ""):
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 < seconds <= MAX_TIMEOUT:
        raise UsageError(f"--command-timeout must be a number of seconds between 0 and {MAX_TIMEOUT:g}, "
                         f"not {terminal_safe(value, 20)!r}.")
    return seconds


def run_token_command(spec: TokenCommand) -> str:
    """Run the command and return the token it printed; UsageError or AuthError on any failure."""
    arguments = spec.arguments()
    LOG.debug("Running the token command %r (shell: %s, timeout: %g s)", spec.command, spec.shell, spec.timeout)
    try:
        process = subprocess.Popen(arguments, shell=spec.shell,
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise UsageError(f"The token command's program {spec.program!r} was not found.",
                         hint=f"Check --command (or {ENV_COMMAND}) and PATH.") from None
    except PermissionError:
        raise UsageError(f"The token command's program {spec.program!r} cannot be run: permission denied.") from None
    except OSError as error:
        raise UsageError(f"Could not run the token command: {terminal_safe(error.strerror or error, 100)}.") from None
    stdout = _PipeReader(process.stdout, MAX_STDOUT, keep="start")
    stderr = _PipeReader(process.stderr, STDERR_TAIL, keep="end")
    deadline = time.monotonic() + spec.timeout
    try:
        finished = (stdout.wait(deadline) and not stdout.overflowed and stderr.wait(deadline)
                    and _exited(process, deadline))
    except BaseException:  # Ctrl-C: do not leave the command behind
        _stop(process, stdout, stderr)
        raise
    if stdout.overflowed:
        _stop(process, stdout, stderr)
        raise AuthError(f"The token command ({spec.program}) printed more than {MAX_STDOUT // 1024} KiB on stdout "
                        "and was stopped; it must print only the token.")
    if not finished:
        _stop(process, stdout, stderr)
        raise AuthError(f"The token command ({spec.program}) did not finish within {spec.timeout:g} s and was "
                        "stopped.", hint="If it waits for an unlock, raise --command-timeout.")
    stdout.close()
    stderr.close()
    out, err = stdout.data, stderr.data
    explanation = explain(err, out)
    if process.returncode != 0:
        raise AuthError(f"The token command ({spec.program}) {_status(process.returncode)}"
                        + (f": {explanation}" if explanation else " without a message on stderr") + ".")
    return _token(out, spec.program, explanation)


class _PipeReader:
    """Reads one of the command's pipes in a thread, keeping a bounded part of what comes.

    ``keep="start"`` (stdout) keeps the first ``limit`` bytes and stops
    reading, marked ``overflowed``, once more arrive; ``keep="end"`` (stderr)
    reads to the end and keeps the last ``limit`` bytes, so the command never
    blocks on a full pipe.
    """

    def __init__(self, stream: IO[bytes] | None, limit: int, *, keep: str) -> None:
        assert stream is not None
        self._stream = stream  # held while the thread reads its descriptor
        self._limit = limit
        self._keep_end = keep == "end"
        self._data = bytearray()
        self.overflowed = False
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        descriptor = self._stream.fileno()
        while True:
            try:
                chunk = os.read(descriptor, _CHUNK)
            except OSError:
                return
            if not chunk:
                return
            self._data += chunk
            if len(self._data) > self._limit:
                if not self._keep_end:
                    self.overflowed = True
                    return
                del self._data[:-self._limit]

    def wait(self, deadline: float) -> bool:
        """Wait until the pipe is read to its end (or, for stdout, past its limit); False at ``deadline``."""
        self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    @property
    def data(self) -> bytes:
        """What was kept."""
        return bytes(self._data)

    def close(self) -> None:
        """Close the pipe, unless the thread still reads it (then it stays open until the thread ends)."""
        if not self._thread.is_alive():
            self._stream.close()


def _exited(process: subprocess.Popen[bytes], deadline: float) -> bool:
    try:
        process.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return False
    return True


def _stop(process: subprocess.Popen[bytes], *readers: _PipeReader) -> None:
    with contextlib.suppress(OSError):
        process.kill()
    process.wait()
    # A child of the command may still hold the pipes: its readers are then left behind (daemon threads).
    grace = time.monotonic() + KILL_GRACE_SECONDS
    for reader in readers:
        reader.wait(grace)
        reader.close()


def _status(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def explain(stderr: bytes, stdout: bytes) -> str:
    """The last lines of ``stderr`` on one safe line, with secrets masked (never any of ``stdout``)."""
    text = stderr.decode("utf-8", errors="replace")
    for secret in {line.strip() for line in stdout.decode("utf-8", errors="replace").splitlines()}:
        if len(secret) >= 4:
            text = text.replace(secret, "********")
    text = _CREDENTIAL_WORD.sub(lambda found: mask(found.group()), text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return terminal_safe(" / ".join(lines[-STDERR_LINES:]), STDERR_CHARS)


def _token(stdout: bytes, program: str, explanation: str) -> str:
    try:
        text = stdout.decode("utf-8")
    except UnicodeDecodeError:
        raise AuthError(f"The token command ({program}) printed something that is not UTF-8 text.") from None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        said = f" (its stderr: {explanation})" if explanation else ""
        raise AuthError(f"The token command ({program}) printed nothing on stdout{said}.",
                        hint="It must print the personal access token.")
    if len(lines) > 1:
        raise AuthError(f"The token command ({program}) printed {len(lines)} lines; it must print only the token.",
                        hint="Select the line in the command itself (for example with --shell and '| head -n 1').")
    return lines[0]
