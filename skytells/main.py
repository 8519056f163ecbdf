"""Console-script entry point: ``skytells``."""

from __future__ import annotations

import sys

from skytells.exitcodes import ExitCode


def main(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` (default: the process arguments); return the exit code."""
    from skytells.app import SkytellsApp

    try:
        return SkytellsApp().run(sys.argv[1:] if argv is None else argv)
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (ExitCode.OK if code is None else ExitCode.FAILURE)
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        return int(ExitCode.INTERRUPTED)
