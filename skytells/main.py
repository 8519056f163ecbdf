"""Console-script entry point: ``skytells``."""

from __future__ import annotations

import gc
import os
import sys

from skytells.exitcodes import ExitCode


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: the process arguments); return the exit code."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["--version"]:
        # Printing the version needs nothing else: answer before cliff is imported, with cliff's words.
        from skytells import __version__

        sys.stdout.write(f"{_program_name()} {__version__}\n")
        return int(ExitCode.OK)
    # When this process is the CLI, start-up runs without the cyclic garbage collector: importing cliff
    # and skytells creates tens of thousands of objects that live until exit and almost no garbage, yet
    # the collector would walk them over and over while they are created, and once more at exit: without
    # this, help takes 24% more CPU time (166 -> 206 ms) and whoami --offline 23% more (212 -> 261 ms) in
    # benchmarks/startup.py (median of 21 runs on 2 shared cores). They are frozen (never walked again) and
    # collection resumes for the command's own work. Callers in the same process (tests) keep their collector.
    own_process = argv is None
    if own_process:
        gc.disable()
    try:
        from skytells.app import SkytellsApp

        app = SkytellsApp()
    finally:
        if own_process:
            gc.freeze()
            gc.enable()
    try:
        return app.run(args)
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (ExitCode.OK if code is None else ExitCode.FAILURE)
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        return int(ExitCode.INTERRUPTED)


def _program_name() -> str:
    """The name cliff gives the program in ``--version`` (``cliff.app.App.NAME``)."""
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    return os.path.split(os.path.dirname(sys.argv[0]))[-1] if name == "__main__" else name
