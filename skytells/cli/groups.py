"""Command groups: the leading words several commands share (``auth`` of ``auth status``, ``auth token``).

A group is not a command, yet users type it alone to see what it holds, as
with ``gh auth``. Any leading words of a command name form a group, so a
plugin's multi-word commands (``skytells.commands`` entry points named
``foo_bar_baz``) get the same behaviour as ``auth`` and ``api-key``:

- ``skytells GROUP`` (or ``skytells GROUP --help``, ``skytells help GROUP``)
  lists the group's commands with their summaries and exits 0;
- ``skytells GROUP WORD`` where no command matches is a usage error (exit 2)
  naming the group, with the nearest of its commands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO, Any

from skytells.cli.argument_errors import shown
from skytells.cli.command import summaries
from skytells.cli.helptext import write_listing
from skytells.errors import UsageError
from skytells.exitcodes import ExitCode
from skytells.safety.sanitize import terminal_safe

HELP_FLAGS = ("-h", "--help")


def close_matches(word: str, candidates: Sequence[str]) -> list[str]:
    """The few ``candidates`` close to ``word`` (none for gibberish), as suggestions after a typo."""
    # Only after a typo: at the top, difflib would add 1% of cliff.app's import time to every start-up.
    import difflib  # noqa: PLC0415

    return difflib.get_close_matches(word, candidates, n=3, cutoff=0.6)


def refuse(app: Any, message: str, suggestions: Sequence[str]) -> int:
    """Refuse a command line (``app.refuse``: a usage error) and list up to five ``suggestions``; the exit code."""
    code = int(app.refuse(UsageError(message)))
    if suggestions:
        app.stderr.write("Did you mean one of these?\n")
        for suggestion in suggestions[:5]:  # names come from plugins: never raw to the terminal
            app.stderr.write(f"  {terminal_safe(suggestion, 120)}\n")
    return code


def members(names: Iterable[str], group: Sequence[str]) -> list[str]:
    """The command names (space-separated words) that start with the words of ``group``, sorted."""
    prefix = " ".join(group) + " "
    return sorted(name for name in names if name.startswith(prefix))


def find_group(names: Iterable[str], argv: Sequence[str]) -> list[str]:
    """The longest run of ``argv``'s leading words that is a group ([] when there is none)."""
    names = list(names)
    words: list[str] = []
    for word in argv:
        if word.startswith("-"):
            break
        words.append(word)
    for length in range(len(words), 0, -1):
        if members(names, words[:length]):
            return words[:length]
    return []


def print_group(app: Any, group: Sequence[str], out: IO[str]) -> None:
    """Print the usage of a group and each of its commands (without the group's words) with its summary."""
    names = members((name for name, _ in app.command_manager), group)
    entry_points = dict(app.command_manager)
    listing = summaries((name, entry_points[name]) for name in names)
    words = terminal_safe(" ".join(group), 120)
    out.write(f"usage: {app.NAME} {words} COMMAND [OPTIONS]\n\nCommands:\n")
    write_listing(out, ((name[len(" ".join(group)) + 1:], listing[name]) for name in names))
    out.write(f"\nRun '{app.NAME} help {words} COMMAND' for the options of one command.\n")


def run_group(app: Any, argv: Sequence[str]) -> int | None:
    """Answer a command line that names a group rather than a command; None when it names no group."""
    names = [name for name, _ in app.command_manager]
    group = find_group(names, argv)
    if not group:
        return None
    rest = list(argv[len(group):])
    if all(word in HELP_FLAGS for word in rest):
        print_group(app, group, app.stdout)
        return int(ExitCode.OK)
    words = " ".join(group)
    typed = terminal_safe(shown(rest[0]), 60)
    if rest[0].startswith("-"):
        return int(app.refuse(UsageError(f"'{app.NAME} {words}' needs a command before {typed}. "
                                         f"See '{app.NAME} {words}'.")))
    following = [name[len(words) + 1:] for name in members(names, group)]
    nearest = [name for name in following if name.startswith(rest[0])] or close_matches(rest[0], following)
    return refuse(app, f"'{typed}' is not a '{app.NAME} {words}' command. See '{app.NAME} {words}'.",
                  [f"{words} {name}" for name in nearest])
