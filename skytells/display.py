"""``ShowOne`` and ``Lister`` whose output formatters are imported only when used.

cliff's display commands load every formatter plugin on each run (``table``
imports prettytable, ``yaml`` PyYAML, and so on) just to offer ``-f`` and to
add each formatter's options to the parser. Here the names offered by ``-f``
come from the ``cliff.formatter.*`` entry points (third-party formatters
included), a formatter is imported when it is chosen, and its options reach
the parser as described in ``skytells.command_base.DeferredOptionsParser``.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Iterator
from typing import Any

from cliff import _argparse
from cliff import lister as cliff_lister
from cliff import show as cliff_show

from skytells import discovery
from skytells.command_base import Command, DeferredOptionsParser
from skytells.errors import PluginError

LOG = logging.getLogger(__name__)


class Formatter:
    """One formatter plugin, shaped like the stevedore extension cliff expects (``name``, ``obj``)."""

    __slots__ = ("entry_point", "name", "obj")

    def __init__(self, name: str, entry_point: Any, obj: Any) -> None:
        self.name = name
        self.entry_point = entry_point
        self.obj = obj


class _PendingFormatter:
    """Stands in for a formatter object while cliff builds the parser: defers its options."""

    def __init__(self, plugins: FormatterPlugins, name: str) -> None:
        self._plugins = plugins
        self._name = name

    def add_argument_group(self, parser: argparse.ArgumentParser) -> None:
        add = self._plugins.add_options_of(self._name)
        if isinstance(parser, DeferredOptionsParser):
            parser.defer(self._name, add)
        else:
            add(parser)


class FormatterPlugins:
    """The formatters of one cliff namespace, listed from entry points and imported on first use.

    Stands in for the stevedore ``ExtensionManager`` that cliff's display
    commands use: ``names()``, iteration (while building the parser) and
    ``plugins[name].obj``.
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._entry_points: dict[str, Any] = {}
        for ep in discovery.entry_points(namespace):
            self._entry_points.setdefault(ep.name, ep)
        self._loaded: dict[str, Formatter] = {}

    def names(self) -> list[str]:
        """Every installed formatter's name."""
        return list(self._entry_points)

    def __contains__(self, name: object) -> bool:
        return name in self._entry_points

    def __iter__(self) -> Iterator[Formatter]:
        for name, ep in self._entry_points.items():
            yield self._loaded.get(name) or Formatter(name, ep, _PendingFormatter(self, name))

    def __getitem__(self, name: str) -> Formatter:
        if name not in self._loaded:
            ep = self._entry_points[name]
            try:
                self._loaded[name] = Formatter(name, ep, ep.load()())
            except Exception as error:
                LOG.debug("Loading the output formatter %r (%s) failed", name, ep.value, exc_info=True)
                raise PluginError(f"The output formatter {name!r} ({ep.value}) failed to load: "
                                  f"{type(error).__name__}: {error}.") from error
        return self._loaded[name]

    def add_options_of(self, name: str) -> Callable[[argparse.ArgumentParser], None]:
        """A function that adds formatter ``name``'s options to a parser (a broken formatter adds none)."""

        def add(parser: argparse.ArgumentParser) -> None:
            try:
                formatter = self[name].obj
            except PluginError as error:
                LOG.warning("%s", error)
                return
            formatter.add_argument_group(parser)

        return add

    def fill_defaults(self, name: str, parsed_args: argparse.Namespace) -> None:
        """Give ``parsed_args`` the defaults of formatter ``name``'s options that it lacks.

        A command may switch formatter after parsing (``whoami --json``), when
        that formatter's options were never added to the parser.
        """
        if name not in self._entry_points:
            return
        scratch = _argparse.ArgumentParser(add_help=False)
        self[name].obj.add_argument_group(scratch)
        for action in scratch._actions:
            if action.dest != argparse.SUPPRESS and not hasattr(parsed_args, action.dest):
                setattr(parsed_args, action.dest, action.default)


class _LazyFormatters:
    """Display-command behaviour: formatters from ``FormatterPlugins``, and an exit status.

    cliff's display commands always exit 0; ``take_action`` may set
    ``self.exit_code`` (for example 4 for an invalid token) after producing
    its rows, which are still printed.
    """

    formatter_namespace: str
    _formatter_plugins: FormatterPlugins
    exit_code: int = 0

    def _load_formatter_plugins(self) -> FormatterPlugins:
        return FormatterPlugins(self.formatter_namespace)

    def run(self, parsed_args: argparse.Namespace) -> int:
        self._formatter_plugins.fill_defaults(parsed_args.formatter, parsed_args)
        self.exit_code = 0
        super().run(parsed_args)  # type: ignore[misc]
        return int(self.exit_code)


class ShowOne(_LazyFormatters, cliff_show.ShowOne, Command):
    """cliff's ShowOne (one object; ``-f table|json|shell|value|yaml|...``) on skytells' command base."""


class Lister(_LazyFormatters, cliff_lister.Lister, Command):
    """cliff's Lister (rows; ``-f table|csv|json|value|yaml|...``) on skytells' command base."""
