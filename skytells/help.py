"""``skytells help``: the command list with summaries, and help for one command."""

from __future__ import annotations

import argparse
from typing import IO, Any

from cliff.help import HelpCommand as CliffHelpCommand

from skytells.command_base import Command
from skytells.errors import UsageError


def print_command_list(app: Any, out: IO[str]) -> None:
    """Print the global options, then every command with its one-line summary."""
    from skytells.command_index import summaries

    app.parser.print_help(out)
    out.write("\nCommands:\n")
    listing = summaries(app.command_manager)
    width = max((len(name) for name in listing), default=0)
    for name in sorted(listing):
        out.write(f"  {name:<{width}}  {listing[name]}\n")
    out.write(f"\nRun '{app.NAME} help COMMAND' for the options of one command.\n")


class HelpCommand(CliffHelpCommand, Command):
    """Show the list of commands, or the help of one command."""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        if not parsed_args.cmd:
            print_command_list(self.app, self.app.stdout)
            return 0
        try:
            self.app.command_manager.find_command(parsed_args.cmd)
        except ValueError:
            from skytells.argument_errors import shown

            matches = self.app.get_fuzzy_matches(parsed_args.cmd[0])
            hint = f"Did you mean: {', '.join(matches)}?" if matches else f"See '{self.app.NAME} help'."
            typed = " ".join(shown(word) for word in parsed_args.cmd)  # a pasted secret is not echoed
            raise UsageError(f"Unknown command {typed!r}.", hint=hint) from None
        return super().take_action(parsed_args)
