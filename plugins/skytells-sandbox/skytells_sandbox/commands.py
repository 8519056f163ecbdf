"""The ``skytells sandbox`` and ``skytells sandbox demo`` commands.

The server modules are imported inside ``take_action`` so that listing the
CLI's commands stays fast.
"""

from __future__ import annotations

import argparse
from typing import Any

try:  # the CLI's base skips cliff's scan of every distribution's metadata on each run
    from skytells.command_base import Command
except ImportError:  # an older skytells-cli
    from cliff.command import Command

from skytells_sandbox.options import (
    TEST_CREDENTIALS_HELP,
    add_server_options,
    config_from_options,
    keep_line_breaks,
)


def cli_is_quiet(app: Any) -> bool:
    """Whether the CLI's own ``-q``/``--quiet`` is in effect.

    cliff reads its global options first, wherever they stand on the command
    line, so ``skytells sandbox --quiet`` arrives as the application's
    ``verbose_level`` 0 and never reaches this command's own ``--quiet``.
    """
    options = getattr(app, "options", None)
    return getattr(options, "verbose_level", 1) == 0


class Serve(Command):
    """Run a local Skytells sandbox server on 127.0.0.1 until Ctrl-C."""

    _epilog = TEST_CREDENTIALS_HELP  # type: ignore[assignment]  # cliff declares it None

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        """Add the server options, and keep the epilog's commands one per line."""
        parser = super().get_parser(prog_name)
        parser.formatter_class = keep_line_breaks(parser.formatter_class)
        return add_server_options(parser)

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        """Serve in the foreground; exit 0 on Ctrl-C, 2 on bad options, 1 if the port is taken."""
        from skytells_sandbox.runner import run_in_foreground

        stderr = self.app.stderr
        quiet = parsed_args.quiet or cli_is_quiet(self.app)
        try:
            config = config_from_options(parsed_args, access_log=None if quiet else stderr)
        except ValueError as exc:
            print(f"error: {exc}", file=stderr)
            return 2
        return run_in_foreground(config, stderr)


class Demo(Command):
    """Log in against a throwaway sandbox and run whoami, end to end."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        """Add ``--keep``."""
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--keep",
            action="store_true",
            help="Keep the temporary config directory and print its path.",
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        """Run the demo; returns the first non-zero exit code of its steps, else 0."""
        from skytells_sandbox.demo import run_demo

        return run_demo(self.app.stderr, keep=parsed_args.keep)
