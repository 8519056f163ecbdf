"""Console-script entry point: ``skytells``.

The one place where a run begins and ends: it installs the redacting
streams (``skytells.terminal.streams``) before anything is written, and it decides
how a run ends when standard output cannot be written:

- the reader of a pipe went away (``skytells help | head -1``): silently,
  with exit status 141 (128 + SIGPIPE, what a shell reports for a tool
  killed by SIGPIPE);
- stdout closed (``>&-``) or otherwise unwritable (a full disk): one
  ``error:`` line on stderr and exit status 1.

A failed run asked for JSON (``--json``, ``-f json``) ends here with its
error object on stdout (``skytells.cli.json_errors``).

Either way there is no traceback, and file descriptor 1 is pointed at the
null device so that the interpreter's last flush cannot report the error
again.
"""

from __future__ import annotations

import gc
import os
import sys

from skytells.cli_version import __version__
from skytells.exitcodes import ExitCode
from skytells.safety import redaction
from skytells.terminal import streams


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: the process arguments); return the exit code."""
    own_process = argv is None
    redaction.reset()
    originals = streams.install()
    try:
        code = _run(sys.argv[1:] if argv is None else argv, own_process)
        sys.stdout.flush()  # a write error surfaces here, not at interpreter exit
        return code
    except streams.OutputLost as lost:
        if own_process:
            streams.silence_stdout()
        if lost.broken_pipe:
            return int(ExitCode.BROKEN_PIPE)
        sys.stderr.write(f"error: could not write to standard output: {lost.reason}.\n")
        return int(ExitCode.FAILURE)
    finally:
        # A process of its own keeps the wrappers to the end: a traceback printed after main() returns
        # (--debug) is redacted too. A caller running the CLI in its own process gets its streams back.
        if not own_process:
            streams.restore(originals)


def _run(args: list[str], own_process: bool) -> int:
    if args == ["--version"]:
        # Printing the version needs nothing else: answer before cliff is imported, with cliff's words.
        sys.stdout.write(f"{_program_name()} {__version__}\n")
        return int(ExitCode.OK)
    # When this process is the CLI, start-up runs without the cyclic garbage collector: importing cliff
    # and skytells creates tens of thousands of objects that live until exit and almost no garbage, yet
    # the collector would walk them over and over while they are created, and once more at exit: without
    # this, help takes 24% more CPU time (166 -> 206 ms) and whoami --offline 23% more (212 -> 261 ms) in
    # benchmarks/startup.py (median of 21 runs on 2 shared cores). They are frozen (never walked again) and
    # collection resumes for the command's own work. Callers in the same process (tests) keep their collector.
    if own_process:
        gc.disable()
    try:
        # Past --version only: it takes 0.24x the floor without cliff, 0.97x through it (benchmarks/startup.py).
        from skytells.cli.app import SkytellsApp  # noqa: PLC0415

        app = SkytellsApp()
    finally:
        if own_process:
            gc.freeze()
            gc.enable()
    try:
        code = app.run(args)
    except SystemExit as done:
        status = done.code
        code = status if isinstance(status, int) else (ExitCode.OK if status is None else ExitCode.FAILURE)
    except KeyboardInterrupt as interrupt:
        sys.stderr.write("\nInterrupted.\n")
        app.error_report.record(interrupt)
        code = ExitCode.INTERRUPTED
    # The one place a failed run's error object is written (with --json or -f json on the command line).
    return app.error_report.finish(int(code), sys.stdout)


def _program_name() -> str:
    """The name cliff gives the program in ``--version`` (``cliff.app.App.NAME``)."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    return os.path.split(os.path.dirname(sys.argv[0]))[-1] if name == "__main__" else name
