"""The base class of skytells' commands: cliff's, with hooks and epilog from ``skytells.extensions.discovery``.

cliff's ``Command`` loads command hooks (the ``skytells.commands.<command>``
entry points) through stevedore, whose cache key globs every
``entry_points.txt`` on ``sys.path``, and builds its epilog with
``importlib.metadata.packages_distributions()``, a read of every installed
distribution's metadata, to say which plugin provides the command. Both are
answered here from the entry-point index instead, with the same behaviour:
hooks still extend the parser, the epilog and the run, and a command from
another distribution still says which plugin provides it.

Measured with benchmarks/startup.py (median CPU time of 21 runs, 2 shared
cores), cliff's own epilog costs ``skytells help`` 33% (166 -> 221 ms) and
``skytells whoami --offline`` 26% (212 -> 268 ms), 2.6 times as much with
1,000 other distributions installed; stevedore's hook loading costs them 18%
(175 -> 206 ms) and 12% (223 -> 251 ms) with those 1,000 distributions.

Plugin commands may use this class; plugins built on cliff's own classes keep
working unchanged (they pay cliff's costs when they run).
"""

from __future__ import annotations

import argparse
import inspect
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from cliff import command as cliff_command
from cliff.app import App
from stevedore.extension import Extension

from skytells.extensions import discovery, plugins
from skytells.extensions.summaries import cached_summaries

if TYPE_CHECKING:
    from skytells.cli.context import Context

LOG = logging.getLogger(__name__)

#: Modules of this distribution: its commands need no "provided by" note.
OWN_PACKAGE = "skytells"
#: Modules whose classes are bases of commands: their docstrings describe no command.
BASE_MODULES = ("skytells.cli.command", "skytells.cli.display")


def description(command_class: type) -> str:
    """A command class's description as cliff computes it; docstrings inherited from cliff or here do not count."""
    text = getattr(command_class, "_description", "") or inspect.getdoc(command_class) or ""
    if text and not getattr(command_class, "_description", "") and command_class.__doc__ is None:
        # inspect.getdoc fell back to the first base class with a docstring
        inherited_from = next(base for base in command_class.__mro__ if base.__doc__ is not None)
        if inherited_from.__module__.split(".", 1)[0] == "cliff" or inherited_from.__module__ in BASE_MODULES:
            return ""
    return text


def instantiate(factory: type[cliff_command.Command], app: App, app_args: argparse.Namespace | None,
                name: str) -> cliff_command.Command:
    """A command of class ``factory`` as cliff makes one: told its name when its constructor takes ``cmd_name``."""
    takes_name = "cmd_name" in inspect.getfullargspec(factory.__init__).args
    return factory(app, app_args, **({"cmd_name": name} if takes_name else {}))


def summary(command_class: type) -> str:
    """The first line of a command class's description, as ``skytells help`` lists it."""
    return description(command_class).strip().split("\n", 1)[0].rstrip(".")


class Command(cliff_command.Command):
    """A cliff command whose hooks and epilog come from the entry-point index (see the module's figures)."""

    @property
    def context(self) -> Context:
        """This run's profile, terminal, credentials and console (``skytells.cli.context``)."""
        context: Context = getattr(self.app, "context")  # noqa: B009  # set by skytells.cli.app, unknown to cliff's App
        return context

    def get_description(self) -> str:
        return description(type(self))

    def _load_hooks(self) -> None:
        self._hooks: list[Extension[Any]] = []
        if not self.cmd_name:
            return
        namespace = f"{self.app.command_manager.namespace}.{self.cmd_name.replace(' ', '_')}"
        for ep in discovery.entry_points(namespace):
            try:
                plugin = ep.load()
                self._hooks.append(Extension(ep.name, ep, plugin, plugin(command=self)))
            except Exception as error:  # a broken hook is skipped, as stevedore does
                LOG.warning("The hook %r (%s) of %r failed to load: %s: %s",
                            ep.name, ep.value, self.cmd_name, type(error).__name__, error)

    def get_epilog(self) -> str:
        """The epilog, the hooks' epilogs, and which plugin provides the command."""
        parts = [self._epilog or ""]
        parts.extend(epilog for hook in self._hooks if hook.obj is not None
                     and (epilog := hook.obj.get_epilog()) is not None)
        module = type(self).__module__
        if module.split(".", 1)[0] != OWN_PACKAGE:
            dist = discovery.provider(module)
            if dist:
                parts.append(f"This command is provided by the {dist.name} plugin.")
        return "\n\n".join(parts)


def _describe_command(ep: Any) -> tuple[str, Any]:
    command_class = ep.load()
    broken = getattr(command_class, "plugin_error", None)
    if broken is not None:  # a stand-in from plugins.CommandEntryPoint: warn, never cache
        plugins.warn_broken(broken)
        return summary(command_class), None
    return summary(command_class), command_class


def summaries(commands: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Map each command name to its summary; a command that fails to load says so (and warns once)."""
    return cached_summaries("command", commands, _describe_command)
