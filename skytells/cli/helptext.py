"""One rule for every line of help: a sentence, capitalised, ending with a period.

Option help comes from our commands, from plugins, from cliff (``-f``,
``-c``, ``--max-width``, ...) and from argparse (``-h``), each in its own
style. Every help that ``skytells`` prints passes :func:`conform` first, so
they all read alike whoever wrote them. Command summaries (the first line of
a command's description) follow the same rule without the final period, as
``skytells help`` lists them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import IO, Any

import autopage.argparse

from skytells.cli.argument_errors import guard
from skytells.cli.command import instantiate

#: How a help sentence may end.
ENDINGS = (".", "?", "!")


def sentence(text: str) -> str:
    """``text`` capitalised and ending with a period (already-conforming text is returned unchanged)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(ENDINGS) else text + "."


def conform(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make every option's, argument's and option group's help in ``parser`` a :func:`sentence`; return it."""
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            action.help = sentence(action.help)
    for group in parser._action_groups:
        if group.description:
            group.description = sentence(group.description)
    return parser


def print_command_help(app: Any, app_args: Any, words: Sequence[str], out: IO[str],
                       options: Sequence[str] = ()) -> None:
    """Print the help of the command ``words`` names (found as cliff finds it), every help conformed.

    ``options`` typed with ``--help`` may change the help (``login --method NAME --help`` shows that
    method's options): the command's own parser then reads them, and shows its help or reports them.
    """
    factory, name, _rest = app.command_manager.find_command(list(words))
    command = instantiate(factory, app, app_args, name)
    parser = conform(guard(command.get_parser(f"{app.NAME} {name}")))
    if options:
        parser.parse_args([*options, "--help"])  # prints the help and exits, or reports the options
    pager = autopage.argparse.help_pager(out)  # type: ignore[arg-type]  # any text stream works
    with pager as paged:
        autopage.argparse.use_color_for_parser(parser, pager.to_terminal())
        parser.print_help(paged)
