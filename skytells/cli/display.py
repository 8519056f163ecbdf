"""``ShowOne`` and ``Lister``: formatters listed from ``skytells.extensions.discovery``, typed cells, safe text.

Commands return typed cells: None for an absent value, a list or tuple for
a list (scopes), a bool, an ISO 8601 string for a time, or :class:`Shown`
for a value that the table shows in words. Machine formats (``json``,
``yaml``) get the values themselves (null, arrays, booleans); the others
(``table``, ``value``, ``csv``, ``shell``) get the words: ``-`` for an absent
value, a list joined by commas, ``yes``/``no``, or the cell's own text. This
is the one place those placeholders are written.

cliff's display commands list their formatter plugins (the
``cliff.formatter.*`` entry points, third-party formatters included) through
stevedore, whose cache key globs every ``entry_points.txt`` on ``sys.path``.
Here they come from the entry-point index; each is loaded, as with cliff, to
add its options to the parser.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from cliff import lister as cliff_lister
from cliff import show as cliff_show
from stevedore.extension import Extension, ExtensionManager

from skytells.cli.argument_errors import shown
from skytells.cli.command import Command
from skytells.errors import UsageError
from skytells.extensions import discovery, plugins
from skytells.safety.sanitize import displayable, terminal_safe

#: Formatters that keep values typed; every other formatter shows text.
MACHINE_FORMATS = frozenset({"json", "yaml"})
#: How the text formats show an absent value.
ABSENT = "-"


class Shown:
    """A cell whose machine value is ``value`` and whose text is ``text`` (``Shown(None, "none linked")``)."""

    __slots__ = ("text", "value")

    def __init__(self, value: Any, text: str) -> None:
        self.value, self.text = value, text

    def __repr__(self) -> str:
        return f"Shown({self.value!r}, {self.text!r})"


def cell(value: Any, *, machine: bool) -> Any:
    """One cell as a machine format (``machine``) or a text format shows it."""
    if isinstance(value, Shown):
        return cell(value.value, machine=True) if machine else value.text
    if machine:
        return list(value) if isinstance(value, tuple | list) else value
    if value is None:
        return ABSENT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple | list):
        return ",".join(str(item) for item in value) if value else ABSENT
    return value


def cells(data: Any, *, machine: bool, rows: bool) -> Any:
    """Every cell of ``data`` (one record, or with ``rows`` a list of records) as :func:`cell` shows it."""
    if rows:
        return [tuple(cell(value, machine=machine) for value in row) for row in data]
    return tuple(cell(value, machine=machine) for value in data)


def formatters(namespace: str) -> ExtensionManager[Any]:
    """The formatters of ``namespace`` as the manager cliff expects; a broken one is skipped with a warning.

    Measured with benchmarks/startup.py (median CPU time of 21 runs, 2 shared
    cores), with 1,000 other distributions installed, listing them through
    stevedore costs ``skytells whoami --offline`` 20% (223 -> 267 ms).
    """
    loaded: dict[str, Extension[Any]] = {}
    for ep in discovery.entry_points(namespace):
        if ep.name in loaded:
            continue  # the first on sys.path wins, as with stevedore
        try:
            plugin = plugins.load(ep)
        except plugins.BrokenPlugin as error:
            plugins.warn_broken(error)
            continue
        loaded[ep.name] = Extension(ep.name, ep, plugin, plugin())
    manager: ExtensionManager[Any] = ExtensionManager.make_test_instance(list(loaded.values()), namespace=namespace)
    return manager


def _column_key(name: str) -> str:
    """A column name as ``-c`` matches it (cliff's rule: case and ``_`` for spaces do not matter)."""
    return name.lower().strip().replace(" ", "_")


def check_columns(requested: Sequence[str] | None, column_names: Sequence[str]) -> None:
    """Refuse a ``-c COLUMN`` that names no column of the output, as a usage error listing the valid ones.

    cliff silently drops unknown names when at least one is known, and raises
    a bare ``ValueError`` when none is; every display command comes here first.
    """
    known = {_column_key(name) for name in column_names}
    for name in requested or ():
        if _column_key(name) not in known:
            valid = ", ".join(terminal_safe(column, 60) for column in column_names)
            raise UsageError(f"Unknown column {terminal_safe(shown(name), 60)!r} for -c.",
                             hint=f"Valid columns: {valid}.")


class _LazyFormatters:
    """Display-command behaviour: formatters from the entry-point index, terminal-safe cells, and an exit status.

    cliff's display commands always exit 0; ``take_action`` may set
    ``self.exit_code`` (for example 4 for an invalid token) after producing
    its rows, which are still printed.
    """

    formatter_namespace: str
    exit_code: int = 0
    #: Every column the command can show, when it is known before it runs: a ``-c`` naming none of them is
    #: then refused first, before the command reports anything else (``whoami -c nope`` when not logged in).
    known_columns: tuple[str, ...] = ()

    def _load_formatter_plugins(self) -> ExtensionManager[Any]:
        return formatters(self.formatter_namespace)

    def run(self, parsed_args: argparse.Namespace) -> int:
        self.exit_code = 0
        if self.known_columns:
            check_columns(parsed_args.columns, self.known_columns)
        super().run(parsed_args)  # type: ignore[misc]
        return int(self.exit_code)

    def produce_output(self, parsed_args: argparse.Namespace, column_names: Any, data: Any) -> int:
        check_columns(parsed_args.columns, self.known_columns or column_names)
        column_names, data = self._with_requested(parsed_args.columns, column_names, data)
        # Every display command's cells pass here: typed for json and yaml, words for the others, and no
        # stored or server text reaches a formatter raw.
        machine = parsed_args.formatter in MACHINE_FORMATS
        typed = cells(data, machine=machine, rows=isinstance(self, cliff_lister.Lister))
        return super().produce_output(  # type: ignore[misc,no-any-return]
            parsed_args, displayable(column_names), displayable(typed, shell=parsed_args.formatter == "shell"))


    def _with_requested(self, requested: Sequence[str] | None, column_names: Any, data: Any) -> tuple[Any, Any]:
        """Add the columns ``-c`` asked for that this run has no value for (``whoami -c subject``) as absent."""
        present = {_column_key(name) for name in column_names}
        wanted = {_column_key(name) for name in requested or ()}
        extra = [name for name in self.known_columns if _column_key(name) in wanted - present]
        if not extra:
            return column_names, data
        if isinstance(self, cliff_lister.Lister):
            return (*column_names, *extra), [(*row, *(None for _ in extra)) for row in data]
        return (*column_names, *extra), (*data, *(None for _ in extra))


class ShowOne(_LazyFormatters, cliff_show.ShowOne, Command):
    """cliff's ShowOne (one object; ``-f table|json|shell|value|yaml|...``) on skytells' command base."""


class Lister(_LazyFormatters, cliff_lister.Lister, Command):
    """cliff's Lister (rows; ``-f table|csv|json|value|yaml|...``) on skytells' command base."""
