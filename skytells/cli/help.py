"""``skytells help``: the command list with summaries, and help for one command.

Command summaries come from the summary cache (``skytells.extensions.summaries``).
"""

from __future__ import annotations

import argparse
from typing import IO, Any

from cliff.help import HelpCommand as CliffHelpCommand

from skytells.cli.argument_errors import shown
from skytells.cli.command import Command, summaries
from skytells.cli.groups import run_group
from skytells.cli.helptext import conform, print_command_help, write_listing
from skytells.errors import UsageError


def print_command_list(app: Any, out: IO[str]) -> None:
    """Print the global options, then every command with its one-line summary."""
    conform(app.parser).print_help(out)
    out.write("\nCommands:\n")
    listing = summaries(app.command_manager)
    write_listing(out, ((name, listing[name]) for name in sorted(listing)))
    out.write(f"\nRun '{app.NAME} help COMMAND' for the options of one command.\n")


class HelpCommand(CliffHelpCommand, Command):
    """Show the list of commands, or the help of one command."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        for action in parser._actions:
            if action.dest == "cmd":  # cliff's lower-case "cmd", "name of the command"
                action.metavar = "COMMAND"
                action.help = "The command to show the options of, all its words (auth status)."
        # "skytells login --method NAME --help" arrives as "help login --method NAME": the options after the
        # command name may change its help (a login method's options), so its own parser reads them.
        parser.add_argument("options", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        if not parsed_args.cmd:
            print_command_list(self.app, self.app.stdout)
            return 0
        try:
            self.app.command_manager.find_command(parsed_args.cmd)
        except ValueError:
            answered = run_group(self.app, parsed_args.cmd)  # "help auth": the group's commands
            if answered is not None:
                return answered

            matches = self.app.get_fuzzy_matches(parsed_args.cmd[0])
            hint = f"Did you mean: {', '.join(matches)}?" if matches else f"See '{self.app.NAME} help'."
            typed = " ".join(shown(word) for word in parsed_args.cmd)  # a pasted secret is not echoed
            raise UsageError(f"Unknown command {typed!r}.", hint=hint) from None
        print_command_help(self.app, self.app_args, parsed_args.cmd, self.app.stdout, options=parsed_args.options)
        return 0
