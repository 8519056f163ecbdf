"""``python -m skytells_sandbox``: run the sandbox server in the foreground."""

from __future__ import annotations

import argparse
import sys

from skytells_sandbox.options import (
    TEST_CREDENTIALS_HELP,
    add_server_options,
    config_from_options,
    keep_line_breaks,
)
from skytells_sandbox.runner import run_in_foreground


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and serve until Ctrl-C; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m skytells_sandbox",
        description="Run a local Skytells console stand-in on 127.0.0.1 (not for production).",
        epilog=TEST_CREDENTIALS_HELP,
        formatter_class=keep_line_breaks(argparse.HelpFormatter),
    )
    options = add_server_options(parser).parse_args(argv)
    try:
        config = config_from_options(options)
    except ValueError as exc:
        parser.error(str(exc))
    return run_in_foreground(config, sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
