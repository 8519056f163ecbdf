"""The base class of skytells' commands: cliff's, without the work cliff repeats on every run.

cliff's ``Command`` builds its epilog with
``importlib.metadata.packages_distributions()`` (a read of every installed
distribution's metadata, on every run, to say which plugin provides the
command) and loads command hooks through stevedore (whose cache key globs
every ``entry_points.txt`` on ``sys.path``). ``Command`` here keeps the same
behaviour from ``skytells.discovery`` instead:

- hooks (the ``skytells.commands.<command>`` entry points) still extend the
  parser, the epilog and the run;
- the "provided by the X plugin" note is still added for a command from
  another distribution, from the distribution recorded in the index.

Its parser can also take option groups that are added only when they can
matter (``DeferredOptionsParser``): ``skytells.display`` uses that for cliff's
output formatters. Plugin commands may use these classes too; plugins built on
cliff's own classes keep working unchanged (they pay cliff's costs when they run).
"""

from __future__ import annotations

import argparse
import inspect
import logging
import sys
from collections.abc import Callable, Sequence
from typing import Any

from cliff import _argparse
from cliff import command as cliff_command

from skytells import discovery

LOG = logging.getLogger(__name__)

#: Modules of this distribution: its commands need no "provided by" note.
OWN_PACKAGE = "skytells"
#: Modules whose classes are bases of commands: their docstrings describe no command.
BASE_MODULES = ("skytells.command_base", "skytells.display")
#: The option cliff's display commands use to choose the output formatter.
FORMATTER_DEST = "formatter"


def description(command_class: type) -> str:
    """A command class's description as cliff computes it; docstrings inherited from cliff or here do not count."""
    text = getattr(command_class, "_description", "") or inspect.getdoc(command_class) or ""
    if text and not getattr(command_class, "_description", "") and command_class.__doc__ is None:
        # inspect.getdoc fell back to the first base class with a docstring
        inherited_from = next(base for base in command_class.__mro__ if base.__doc__ is not None)
        if inherited_from.__module__.split(".", 1)[0] == "cliff" or inherited_from.__module__ in BASE_MODULES:
            return ""
    return text


class DeferredOptionsParser(_argparse.ArgumentParser):
    """An argument parser whose option groups, keyed by output formatter, are added only when they can matter.

    - The group of the formatter in use (the default, or the one chosen with
      ``-f``) is added once a first parse has shown which one it is.
    - Every group is added before help, usage or the list of options (for
      ``skytells complete``) is produced, and before parsing a
      command line that holds anything that is not exactly one of the options
      already known (so abbreviations, ``--opt=value`` forms of unknown
      options, ``--`` and negative numbers take the slow, stock path), so a
      command line is accepted or rejected exactly as with every group added.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deferred: dict[str, Callable[[argparse.ArgumentParser], None]] = {}

    def defer(self, key: str, add: Callable[[argparse.ArgumentParser], None]) -> None:
        """Call ``add(parser)`` when the options of formatter ``key`` are needed."""
        self._deferred[key] = add

    def add_deferred(self, keys: Sequence[str] | None = None) -> None:
        """Add the deferred option groups named by ``keys`` (default: all of them)."""
        for key in list(self._deferred) if keys is None else keys:
            add = self._deferred.pop(key, None)
            if add is not None:
                add(self)

    def format_help(self) -> str:
        self.add_deferred()
        return super().format_help()

    def format_usage(self) -> str:
        self.add_deferred()
        return super().format_usage()

    def _get_optional_actions(self) -> list[argparse.Action]:  # what cliff's ``complete`` lists
        self.add_deferred()
        return super()._get_optional_actions()

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        if not self._deferred:
            return super().parse_known_args(args, namespace)
        argv = list(sys.argv[1:] if args is None else args)
        if namespace is not None or not self._only_known_options(argv):
            self.add_deferred()
            return super().parse_known_args(argv, namespace)
        # Every word that looks like an option is one the parser knows without the deferred groups,
        # so they cannot change this parse; only the chosen formatter's defaults are missing.
        parsed, extras = super().parse_known_args(argv)
        chosen = getattr(parsed, FORMATTER_DEST, None)
        if extras or chosen in self._deferred:
            self.add_deferred(None if extras else [chosen])
            return super().parse_known_args(argv)
        return parsed, extras

    def _only_known_options(self, argv: list[str]) -> bool:
        known = self._option_string_actions
        for word in argv:
            if word == "--":
                return False
            if word.startswith("-") and word != "-" and word.split("=", 1)[0] not in known:
                return False
        return True


class Hook:
    """A loaded command hook, shaped like the stevedore extension cliff iterates over."""

    __slots__ = ("name", "obj")

    def __init__(self, name: str, obj: Any) -> None:
        self.name = name
        self.obj = obj


class Command(cliff_command.Command):
    """A cliff command whose hooks and epilog come from the entry-point index."""

    def get_description(self) -> str:
        return description(type(self))

    def _load_hooks(self) -> None:
        self._hooks: list[Hook] = []  # type: ignore[assignment]
        if not self.cmd_name:
            return
        namespace = f"{self.app.command_manager.namespace}.{self.cmd_name.replace(' ', '_')}"
        for ep in discovery.entry_points(namespace):
            try:
                self._hooks.append(Hook(ep.name, ep.load()(command=self)))
            except Exception as error:  # a broken hook is skipped, as stevedore does
                LOG.warning("The hook %r (%s) of %r failed to load: %s: %s",
                            ep.name, ep.value, self.cmd_name, type(error).__name__, error)

    def get_epilog(self) -> str:
        """The epilog, the hooks' epilogs, and which plugin provides the command."""
        parts = [self._epilog or ""]
        parts.extend(epilog for hook in self._hooks if (epilog := hook.obj.get_epilog()) is not None)
        module = type(self).__module__
        if module.split(".", 1)[0] != OWN_PACKAGE:
            dist = discovery.provider(module)
            if dist:
                parts.append(f"This command is provided by the {dist.name} plugin.")
        return "\n\n".join(parts)

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = DeferredOptionsParser(
            description=self.get_description(),
            epilog=self.get_epilog(),
            prog=prog_name,
            formatter_class=_argparse.SmartHelpFormatter,
            conflict_handler=self.conflict_handler,
        )
        for hook in self._hooks:
            hook.obj.get_parser(parser)
        return parser
