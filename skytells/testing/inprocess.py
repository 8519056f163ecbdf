"""Running ``skytells`` in the test's own process, for checks where a process of its own is not the point.

:class:`InProcessRunner` is a :class:`~skytells.testing.cli.CliRunner` whose
:meth:`~InProcessRunner.run` calls :func:`skytells.main.main` in this process
instead of starting the executable: same arguments, same environment, same
:class:`~skytells.testing.results.CliResult`, a few milliseconds instead of a
few hundred. A test switches by changing the class its fixture builds; its
body and its assertions stay as they are.

What the run sees is what the executable would see: ``os.environ`` is the
runner's environment (and nothing else), stdin is ``/dev/null`` or a file
holding ``input``, stdout and stderr are files (not terminals, 80 columns),
``sys.argv[0]`` is ``skytells``, and the umask is the one asked for. Every
piece of process-wide state a run changes is put back afterwards (see
:func:`run_in_process`), so runs do not see each other's secrets, warnings,
logging handlers or entry-point index.

A run that needs a process of its own is started as one, as :class:`CliRunner`
does: one with a ``program``, a ``prefix`` or a ``preexec_fn``, and one whose
environment changes what the interpreter does at start-up (``PYTHONPATH``, a
locale, any other ``PYTHON*`` variable: plugins written at run time, for
instance). :meth:`~CliRunner.start` and :meth:`~CliRunner.spawn` (signals,
pseudo-terminals) always start the executable. A run that outlives its
timeout is interrupted by a signal to the test's thread (the main thread;
elsewhere there is no watchdog).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
import webbrowser
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import IO, Any

from skytells.credentials.stores import document
from skytells.extensions import discovery, plugins
from skytells.main import main
from skytells.safety import redaction
from skytells.testing.cli import CliRunner
from skytells.testing.environment import FIXED_VARIABLES, config_dir_of
from skytells.testing.results import CliResult, decoded

#: Environment variables read by the interpreter at start-up (or by the C library's locale once): a run whose
#: environment sets them otherwise than this process was started with needs a process of its own.
_LOCALE_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE")
#: Signals whose handlers a run could change; they are put back after it.
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGALRM", "SIGPIPE", "SIGHUP")
                 if hasattr(signal, name))


def _interpreter_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The variables of ``env`` that the interpreter (not the CLI) reads when a process starts."""
    return {key: value for key, value in env.items() if key.startswith("PYTHON") or key in _LOCALE_VARIABLES}


def this_interpreter_settings() -> dict[str, str]:
    """What :func:`_interpreter_settings` would be for a run of :func:`isolated_environment` defaults."""
    inherited = {key: value for key, value in os.environ.items()
                 if key.startswith("PYTHON") or key in _LOCALE_VARIABLES}
    return _interpreter_settings({**inherited, **FIXED_VARIABLES})


def needs_a_process(env: Mapping[str, str]) -> str | None:
    """Why a run with environment ``env`` cannot happen in this process (None: it can)."""
    if _interpreter_settings(env) != this_interpreter_settings():
        return "its environment sets the interpreter up otherwise (PYTHON* or locale variables)"
    return None


def reset_process_state() -> None:
    """Forget what one run of the CLI left in this process: its secrets, warnings already given, the
    entry-point index it read (another run may have another cache directory or ``sys.path``), and the
    browsers ``webbrowser`` found (it reads ``BROWSER`` once per process; each run has its own)."""
    redaction.reset()
    webbrowser._tryorder = None  # type: ignore[attr-defined]
    webbrowser._browsers.clear()  # type: ignore[attr-defined]
    discovery.forget()
    plugins._warned.clear()
    document._warned.clear()


@contextlib.contextmanager
def _environment(env: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    zone = os.environ.get("TZ")
    temporary = tempfile.tempdir
    os.environ.clear()
    os.environ.update(env)
    tempfile.tempdir = None  # looked up again, in the run's TMPDIR
    if env.get("TZ") != zone and hasattr(time, "tzset"):
        time.tzset()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        tempfile.tempdir = temporary
        if env.get("TZ") != zone and hasattr(time, "tzset"):
            time.tzset()


@contextlib.contextmanager
def _logging_restored() -> Iterator[None]:
    """Start with the root logger of a fresh process; afterwards put back every logger's level, handlers and
    switches, and close the handlers the run added (a ``--log-file``'s among them)."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger(), *(item for item in manager.loggerDict.values() if isinstance(item, logging.Logger))]
    saved = {id(logger): (logger, logger.level, list(logger.handlers), logger.propagate, logger.disabled)
             for logger in loggers}
    disable = manager.disable
    root = logging.getLogger()
    root.handlers[:] = []  # as in a process of its own: the test runner's capturing handlers see nothing
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        manager.disable = disable
        current = [logging.getLogger(),
                   *(item for item in manager.loggerDict.values() if isinstance(item, logging.Logger))]
        for logger in current:
            kept = saved.get(id(logger))
            before = kept[2] if kept else []
            for handler in logger.handlers:
                if handler not in before:
                    with contextlib.suppress(Exception):
                        handler.flush()
                        handler.close()
            if kept is None:
                logger.handlers[:] = []
                continue
            _logger, level, handlers, propagate, disabled = kept
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate = propagate
            logger.disabled = disabled


@contextlib.contextmanager
def _signals_restored() -> Iterator[None]:
    saved = {number: signal.getsignal(number) for number in _SIGNALS}
    try:
        yield
    finally:
        if hasattr(signal, "setitimer"):
            signal.setitimer(signal.ITIMER_REAL, 0)
        for number, handler in saved.items():
            if handler is not None:
                signal.signal(number, handler)


@contextlib.contextmanager
def _umask(mask: int) -> Iterator[None]:
    if mask < 0:
        yield
        return
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def _text_stream(descriptor: int, mode: str, *, errors: str, line_buffering: bool = False) -> io.TextIOWrapper:
    """A standard stream on ``descriptor`` as Python makes one with ``PYTHONIOENCODING=utf-8`` on POSIX."""
    binary = open(descriptor, mode + "b", closefd=False)  # noqa: SIM115  (closed with the text stream)
    return io.TextIOWrapper(binary, encoding="utf-8", errors=errors, newline="\n", line_buffering=line_buffering)


class _Captured:
    """One run's standard streams: files on descriptors 0, 1 and 2, and ``sys.std*`` on them."""

    def __init__(self, input: str | None) -> None:
        if input is None:
            self.stdin_file: IO[bytes] = open(os.devnull, "rb")  # noqa: SIM115  (closed by close())
        else:
            self.stdin_file = tempfile.TemporaryFile()  # noqa: SIM115
            self.stdin_file.write(input.encode())
            self.stdin_file.seek(0)
        self.stdout_file = tempfile.TemporaryFile()  # noqa: SIM115
        self.stderr_file = tempfile.TemporaryFile()  # noqa: SIM115
        self.streams: list[io.TextIOWrapper] = []

    def open_streams(self) -> tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper]:
        """sys.stdin, sys.stdout and sys.stderr of the run, on descriptors 0, 1 and 2."""
        self.streams = [_text_stream(0, "r", errors="strict"), _text_stream(1, "w", errors="strict"),
                        _text_stream(2, "w", errors="backslashreplace", line_buffering=True)]
        stdin, stdout, stderr = self.streams
        return stdin, stdout, stderr

    def flush(self) -> None:
        """Send what the run's streams hold to the files."""
        for stream in self.streams[1:]:
            with contextlib.suppress(ValueError, OSError):
                stream.flush()

    def text(self, binary: IO[bytes]) -> str:
        """Everything written to ``binary`` (by this process or by a child), as text."""
        try:
            binary.seek(0)
            return decoded(binary.read())
        except (ValueError, OSError):
            return ""

    def close(self) -> None:
        """Close the streams and the files."""
        for stream in self.streams:
            with contextlib.suppress(Exception):
                stream.close()
        for binary in (self.stdin_file, self.stdout_file, self.stderr_file):
            binary.close()


@contextlib.contextmanager
def _standard_streams(input: str | None) -> Iterator[_Captured]:
    """stdin (``/dev/null``, or a file holding ``input``), stdout and stderr (files) for the block.

    As in a process of its own, they are descriptors 0, 1 and 2 (so that a
    child process the CLI starts writes into the same files) and
    ``sys.stdin``, ``sys.stdout`` and ``sys.stderr`` are text streams on
    them. The ``sys.__std*__`` originals are swapped too, so that the
    terminal size is looked up on a file (80 columns, as for a process
    writing into a pipe), not on the test runner's terminal; ``sys.argv[0]``
    is ``skytells``.
    """
    names = ("stdin", "stdout", "stderr", "__stdin__", "__stdout__", "__stderr__", "argv")
    saved = {name: getattr(sys, name) for name in names}
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    captured = _Captured(input)
    descriptors = {0: captured.stdin_file, 1: captured.stdout_file, 2: captured.stderr_file}
    kept = {number: os.dup(number) for number in descriptors}
    try:
        for number, binary in descriptors.items():
            os.dup2(binary.fileno(), number)
        stdin, stdout, stderr = captured.open_streams()
        sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = stdin, stdout, stderr  # type: ignore[misc]
        sys.argv = ["skytells"]  # the program name cliff and --version show
        yield captured
    finally:
        captured.flush()
        for name, value in saved.items():
            setattr(sys, name, value)
        for number, copy in kept.items():
            os.dup2(copy, number)
            os.close(copy)
        captured.close()


class RunTimedOut(BaseException):
    """Raised in the CLI's thread when an in-process run outlives its timeout.

    A BaseException, like KeyboardInterrupt, so that no command's ``except
    Exception`` takes it for its own failure.
    """


#: The signal the watchdog sends to this thread to end a run that outlived its timeout.
_WATCHDOG_SIGNAL = getattr(signal, "SIGUSR2", None)


@contextlib.contextmanager
def _watchdog(timeout: float | None) -> Iterator[Callable[[], None]]:
    """Raise :class:`RunTimedOut` in this thread once ``timeout`` seconds have passed; yields the disarm.

    A signal, not a flag: it interrupts a blocking read or connect as well.
    Only the main thread receives signals, so elsewhere (or without a
    timeout) there is no watchdog and a run that hangs hangs the test.
    """
    if (timeout is None or _WATCHDOG_SIGNAL is None
            or threading.current_thread() is not threading.main_thread()):
        yield lambda: None
        return
    armed = [True]
    target = threading.get_ident()

    def overdue(_signum: int, _frame: Any) -> None:
        if armed[0]:  # runs in this thread: a signal that arrives after the run ended is ignored
            armed[0] = False
            raise RunTimedOut

    def disarm() -> None:
        armed[0] = False

    def fire() -> None:
        if armed[0]:
            signal.pthread_kill(target, watchdog_signal)

    watchdog_signal = _WATCHDOG_SIGNAL
    previous = signal.signal(watchdog_signal, overdue)
    timer = threading.Timer(timeout, fire)
    timer.daemon = True
    timer.start()
    try:
        yield disarm
    finally:
        disarm()
        timer.cancel()
        timer.join()
        signal.signal(watchdog_signal, previous)


def run_in_process(args: Sequence[str], env: Mapping[str, str], *, input: str | None = None,
                   umask: int = -1, timeout: float | None = None,
                   entry: Callable[[list[str]], int] = main) -> CliResult:
    """Run ``skytells ARGS`` through :func:`skytells.main.main` in this process; return what it did.

    ``env`` is the whole environment of the run (``os.environ`` holds nothing
    else meanwhile), ``input`` what stdin holds (None: ``/dev/null``),
    ``umask`` the file mode creation mask (-1: this process's). The exit code
    is what the process would have exited with: ``main``'s return value (an
    escaping exception prints its traceback on stderr and is 1, as the
    interpreter would). A run that outlives ``timeout`` seconds is interrupted
    (where a watchdog can be armed, see :func:`_watchdog`) and comes back with
    ``timed_out`` set and exit code -1. Process-wide state is restored
    afterwards, and :func:`reset_process_state` is called before and after
    the run.
    """
    code = 0
    timed_out = False
    reset_process_state()
    try:
        with contextlib.ExitStack() as restoring:
            restoring.enter_context(_logging_restored())
            restoring.enter_context(_signals_restored())
            captured = restoring.enter_context(_standard_streams(input))  # files in this process's TMPDIR
            restoring.enter_context(_environment(env))
            restoring.enter_context(_umask(umask))
            disarm = restoring.enter_context(_watchdog(timeout))
            try:
                try:
                    code = entry(list(args))
                finally:
                    disarm()
            except RunTimedOut:
                timed_out, code = True, -1
            except SystemExit as done:
                status = done.code
                code = status if isinstance(status, int) else (0 if status is None else 1)
                if not isinstance(status, int) and status is not None:
                    sys.stderr.write(f"{status}\n")
            except Exception:
                sys.stderr.write(redaction.redact(traceback.format_exc(), message=True))
                code = 1
            captured.flush()
            out, err = captured.text(captured.stdout_file), captured.text(captured.stderr_file)
    finally:
        reset_process_state()
    return CliResult(tuple(args), code if timed_out else code & 0xFF, out, err, config_dir_of(env), timed_out=timed_out)


class InProcessRunner(CliRunner):
    """A :class:`CliRunner` whose :meth:`run` happens in this process when a process is not the point.

    Everything else is :class:`CliRunner`'s: the isolated environment, the
    sandboxes, the kept runs, the canary, :meth:`start` and :meth:`spawn`
    (which always start the executable). Set :attr:`in_process` to False to
    make every run a process again.
    """

    #: Run :meth:`run` in this process when it can be (see :meth:`process_needed`).
    in_process: bool = True

    def process_needed(self, environment: Mapping[str, str], *, program: Sequence[str] | None = None,
                       prefix: Sequence[str] = (), preexec_fn: Callable[[], None] | None = None) -> str | None:
        """Why a run with these settings must start the executable (None: it can run in this process)."""
        if not self.in_process:
            return "in_process is off"
        if program is not None or prefix or preexec_fn is not None:
            return "it runs another program, a wrapper or a preexec_fn"
        if threading.current_thread() is not threading.main_thread():
            # os.environ and sys.stdout are the process's: runs in it happen one at a time, in the main thread.
            return "it is run from another thread"
        return needs_a_process(environment)

    def run(self, *args: str, input: str | None = None, env: Mapping[str, str | None] | None = None,
            timeout: float | None = None, umask: int = -1, program: Sequence[str] | None = None,
            prefix: Sequence[str] = (), preexec_fn: Callable[[], None] | None = None) -> CliResult:
        """Run ``skytells ARGS`` to completion, in this process if it can (see :class:`CliRunner`'s ``run``)."""
        environment = self.environment(env)
        if self.process_needed(environment, program=program, prefix=prefix, preexec_fn=preexec_fn) is not None:
            return super().run(*args, input=input, env=env, timeout=timeout, umask=umask, program=program,
                               prefix=prefix, preexec_fn=preexec_fn)
        limit = timeout or self.timeout
        return self.finished(run_in_process(args, environment, input=input, umask=umask, timeout=limit), limit)
