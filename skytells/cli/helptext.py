"""One rule for every line of help: a sentence, capitalised, ending with a period, safe, wrapped at words.

Option help comes from our commands, from plugins, from cliff (``-f``,
``-c``, ``--max-width``, ...) and from argparse (``-h``), each in its own
style. Every help that ``skytells`` prints passes :func:`conform` first, so
they all read alike whoever wrote them: cliff's stock texts are replaced by
ones that say what the options do here (:data:`OPTION_HELP`), the formatter
groups get one style of heading, text from a plugin is made terminal-safe,
paragraphs stay paragraphs, and lines break between words only (never
inside a word or at its hyphen). Command summaries (the first line of a
command's description) follow the same rule without the final period, as
``skytells help`` lists them (:func:`write_listing`).
"""

from __future__ import annotations

import argparse
import re
import shutil
import textwrap
from collections.abc import Iterable, Sequence
from typing import IO, Any

import autopage.argparse
from cliff._argparse import SmartHelpFormatter

from skytells.cli.argument_errors import guard
from skytells.cli.command import instantiate
from skytells.safety.sanitize import terminal_safe

#: How a help sentence may end.
ENDINGS = (".", "?", "!")


def sentence(text: str) -> str:
    """``text`` capitalised and ending with a period (already-conforming text is returned unchanged)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(ENDINGS) else text + "."


#: What cliff's and argparse's options do here, said in this CLI's words (by option string).
OPTION_HELP: dict[str, str] = {
    "-h": "Show this help and exit.",
    "-f": "The output format (default: table).",
    "-c": "Show only this column (repeatable; any case, _ for a space).",
    "--sort-column": "Sort the rows by this column (repeatable, the first one first; any case).",
    "--sort-ascending": "Sort in ascending order.",
    "--sort-descending": "Sort in descending order.",
    "--quote": "Which csv values to quote (default: nonnumeric).",
    "--noindent": "Print the JSON without indentation.",
    "--prefix": "Put this prefix before every variable name.",
    "--max-width": "Make tables at most this many characters wide (0: no limit; also CLIFF_MAX_TERM_WIDTH).",
    "--fit-width": "Fit tables to the terminal's width (also CLIFF_FIT_WIDTH=1; implied by --max-width above 0).",
    "--print-empty": "Print an empty table when there is nothing to show.",
}
#: Metavars to show instead of cliff's (by option string).
OPTION_METAVAR: dict[str, str] = {"--max-width": "N", "--sort-column": "COLUMN"}
#: A formatter's option group as cliff names it: "output formatters", "CSV Formatter", "json formatter".
_FORMATTER_GROUP = re.compile(r"(?i)^(\w+) formatters?$")


def group_title(title: str) -> str:
    """An option group's heading in one style: ``output options``, ``csv format options``, ``json format options``."""
    found = _FORMATTER_GROUP.match(title)
    if found is None:
        return terminal_safe(title, 80)
    word = found.group(1).lower()
    return "output options" if word == "output" else f"{word} format options"


def safe_text(text: str, limit: int = 4000) -> str:
    """``text`` made terminal-safe line by line: its line breaks kept, every other control character replaced."""
    return "\n".join(terminal_safe(line, limit) for line in text.split("\n"))


#: A row of a table in a description: its indent and first column, then the text (``  device   Approve ...``).
_ROW = re.compile(r"^(\s+\S.*?\s{2,})(\S.*)$")


#: Lines that start so are commands to copy: never wrapped, whatever the width.
PREFORMATTED = ("    ", "\t")


class ParagraphHelpFormatter(SmartHelpFormatter):
    """cliff's help formatter, breaking lines between words only and keeping a description's layout.

    argparse fills a description into one block and breaks a long word at its
    hyphens (``--max-`` / ``width``). Here blank lines separate paragraphs; the
    lines of a paragraph that start at the margin are filled together; an
    indented line (a row of a table such as the login methods) stays a line of
    its own, wrapped if it must be under its second column; a line indented by
    four spaces or more (a command to copy) is kept whole, as Markdown keeps
    code; and a line is only ever broken at a space.
    """

    def _wrap(self, text: str, width: int, indent: str = "", hanging: str | None = None) -> list[str]:
        return textwrap.wrap(" ".join(text.split()), max(width, 20), initial_indent=indent,
                             subsequent_indent=indent if hanging is None else hanging,
                             break_long_words=False, break_on_hyphens=False) or [indent.rstrip()]

    def _split_lines(self, text: str, width: int) -> list[str]:
        lines: list[str] = []
        for line in text.splitlines() if "\n" in text else [text]:
            lines.extend(self._wrap(line, width))
        return lines

    def _indented_line(self, line: str, width: int, indent: str) -> list[str]:
        if len(indent + line.rstrip()) <= width or line.startswith(PREFORMATTED):
            return [indent + line.rstrip()]
        row = _ROW.match(line)
        head = row.group(1) if row else line[:len(line) - len(line.lstrip())]
        return textwrap.wrap(line.strip() if not row else row.group(2), width, initial_indent=indent + head,
                             subsequent_indent=indent + " " * len(head), break_long_words=False,
                             break_on_hyphens=False) or [indent + line.rstrip()]

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs: list[str] = []
        for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
            lines: list[str] = []
            prose: list[str] = []
            for line in paragraph.split("\n"):
                if line.startswith((" ", "\t")):
                    if prose:
                        lines.extend(self._wrap(" ".join(prose), width, indent))
                        prose = []
                    lines.extend(self._indented_line(line, width, indent))
                else:
                    prose.append(line)
            if prose:
                lines.extend(self._wrap(" ".join(prose), width, indent))
            paragraphs.append("\n".join(lines))
        return "\n\n".join(paragraphs)


def conform(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make ``parser``'s help read like the rest (see the module docstring); return it.

    Every option's, argument's and option group's help becomes a
    :func:`sentence`; cliff's stock option texts are replaced; every text a
    plugin may have written is made terminal-safe; and the parser formats
    with :class:`ParagraphHelpFormatter`.
    """
    parser.formatter_class = ParagraphHelpFormatter
    parser.prog = terminal_safe(parser.prog, 200)
    if parser.description:
        parser.description = safe_text(parser.description)
    if parser.epilog:
        parser.epilog = safe_text(parser.epilog)
    for action in parser._actions:
        known = next((option for option in action.option_strings if option in OPTION_HELP), None)
        if known is not None and action.help != argparse.SUPPRESS:
            action.help = OPTION_HELP[known]
        metavar = next((OPTION_METAVAR[option] for option in action.option_strings if option in OPTION_METAVAR), None)
        if metavar is not None:
            action.metavar = metavar
        if action.help and action.help != argparse.SUPPRESS:
            action.help = sentence(safe_text(action.help))
        if isinstance(action.metavar, str):
            action.metavar = terminal_safe(action.metavar, 40)
    for group in parser._action_groups:
        if group.title:
            group.title = group_title(group.title)
        if group.description:
            described = safe_text(group.description)
            group.description = None if described.rstrip(".").lower() == "output formatter options" \
                else sentence(described)
    return parser


def listing_width() -> int:
    """How wide a help listing may be: the terminal's width less 2, as argparse formats help (at least 40)."""
    return max(shutil.get_terminal_size().columns - 2, 40)


def write_listing(out: IO[str], rows: Iterable[tuple[str, str]], *, name_limit: int = 24) -> None:
    """Write ``name  summary`` rows, both made terminal-safe, summaries wrapped at words with a hanging indent.

    A name longer than ``name_limit`` has its summary on the next line, as
    argparse shows a long option.
    """
    cleaned = [(terminal_safe(name, 80), terminal_safe(summary, 400)) for name, summary in rows]
    width = min(max((len(name) for name, _ in cleaned), default=0), name_limit)
    total = listing_width()
    hanging = " " * (2 + width + 2)
    for name, summary in cleaned:
        if len(name) > width:
            out.write(f"  {name}\n")
            head = hanging
        else:
            head = f"  {name:<{width}}  "
        lines = textwrap.wrap(summary, total, initial_indent=head, subsequent_indent=hanging,
                              break_long_words=False, break_on_hyphens=False)
        out.write("\n".join(lines) + "\n" if lines else head.rstrip() + "\n")


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
