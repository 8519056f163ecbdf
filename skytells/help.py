"""``skytells help``: the command list with summaries, and help for one command.

A command's summary is the first line of its description, which takes
importing the command; so is a login method's description in ``skytells
login --help``. Summaries are therefore cached in
``<cache dir>/command-summaries.json`` (see ``skytells.discovery`` for the
slots and stamps), keyed by the kind of plugin and the entry point's target,
and a cached summary is used only while

- every ``sys.path`` entry is as it was when the summary was read (an install,
  upgrade or removal changes its directory), and so is the code that computes
  summaries, and
- the module files the summary came from (the entry point's module and the
  class's own) are unchanged, so that editing an editable install's source
  shows at once too.

Nothing is cached while those files changed within the last
``discovery.RACY_SECONDS``. The list of commands itself always comes from the
current entry points. Measured with benchmarks/startup.py (median CPU time of
21 runs, 2 shared cores), importing every command instead costs
``skytells help`` 12% (166 -> 186 ms), and 41% (177 -> 250 ms) with a plugin
of 500 commands installed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable
from typing import IO, Any

from cliff.help import HelpCommand as CliffHelpCommand

from skytells import discovery
from skytells.command_base import Command, summary
from skytells.errors import UsageError

CACHE_FILE = "command-summaries.json"
FORMAT_VERSION = 4
#: The modules that compute summaries: a cached summary is as old as they are.
SUMMARY_CODE = ("help.py", "command_base.py", os.path.join("auth", "registry.py"))

#: ``{"kind entry-point-target": [summary, [stamp of each module file, ...]]}``
Entries = dict[str, list[Any]]


def _module_files(ep: Any, command_class: Any) -> list[str]:
    names = {ep.value.split(":", 1)[0].strip(), getattr(command_class, "__module__", "")}
    files = {getattr(sys.modules.get(name), "__file__", None) for name in names}
    return sorted(file for file in files if file)


def _environment() -> list[Any]:
    """What every cached summary depends on: ``sys.path`` and the code that computes summaries."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = [discovery.file_stamp(os.path.join(here, name)) for name in SUMMARY_CODE]
    return [*discovery.path_stamps(), *code]


def _read_cache(environment: list[Any]) -> Entries:
    slot = discovery.read_slot(CACHE_FILE)
    if not isinstance(slot, dict) or slot.get("version") != FORMAT_VERSION or slot.get("paths") != environment:
        return {}
    entries = slot.get("summaries")
    if not isinstance(entries, dict):
        return {}
    seen: dict[str, Any] = {}
    return {key: entry for key, entry in entries.items()
            if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
            and discovery.stamps_match(entry[1], seen)}


def cached_summaries(kind: str, entry_points: Iterable[tuple[str, Any]],
                     describe: Callable[[Any], tuple[str, Any]]) -> dict[str, str]:
    """Map each name to its summary: from the cache, else from ``describe(entry point)``.

    ``describe`` imports the plugin and returns its summary and the loaded
    class, whose module files then stamp the cached entry; None instead of a
    class keeps the summary out of the cache (a broken plugin is imported, and
    so reported, on every run). ``kind`` keeps each kind of plugin's entries
    apart in the one cache file.
    """
    environment = _environment()
    cached = _read_cache(environment)
    prefix = f"{kind} "
    result: dict[str, str] = {}
    fresh: Entries = {key: entry for key, entry in cached.items() if not key.startswith(prefix)}
    for name, ep in entry_points:
        key = f"{prefix}{ep.value}"
        if key in cached:
            result[name] = cached[key][0]
            fresh[key] = cached[key]
            continue
        result[name], loaded = describe(ep)
        if loaded is None:
            continue
        stamps = [discovery.file_stamp(file) for file in _module_files(ep, loaded)]
        if not discovery.is_racy(stamps):
            fresh[key] = [result[name], stamps]
    if fresh != cached and not discovery.is_racy(environment):
        discovery.write_slot(CACHE_FILE, {"version": FORMAT_VERSION, "paths": environment, "summaries": fresh})
    return result


def _describe_command(ep: Any) -> tuple[str, Any]:
    command_class = ep.load()
    broken = getattr(command_class, "plugin_error", None)
    if broken is not None:  # a stand-in from plugins.CommandEntryPoint: warn, never cache
        from skytells import plugins

        plugins.warn_broken(broken)
        return summary(command_class), None
    return summary(command_class), command_class


def summaries(commands: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Map each command name to its summary; a command that fails to load says so (and warns once)."""
    return cached_summaries("command", commands, _describe_command)


def print_command_list(app: Any, out: IO[str]) -> None:
    """Print the global options, then every command with its one-line summary."""
    from skytells.helptext import conform

    conform(app.parser).print_help(out)
    out.write("\nCommands:\n")
    listing = summaries(app.command_manager)
    width = max((len(name) for name in listing), default=0)
    for name in sorted(listing):
        out.write(f"  {name:<{width}}  {listing[name]}\n")
    out.write(f"\nRun '{app.NAME} help COMMAND' for the options of one command.\n")


class HelpCommand(CliffHelpCommand, Command):
    """Show the list of commands, or the help of one command."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
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
            from skytells.argument_errors import shown
            from skytells.groups import run_group

            answered = run_group(self.app, parsed_args.cmd)  # "help auth": the group's commands
            if answered is not None:
                return answered

            matches = self.app.get_fuzzy_matches(parsed_args.cmd[0])
            hint = f"Did you mean: {', '.join(matches)}?" if matches else f"See '{self.app.NAME} help'."
            typed = " ".join(shown(word) for word in parsed_args.cmd)  # a pasted secret is not echoed
            raise UsageError(f"Unknown command {typed!r}.", hint=hint) from None
        from skytells.helptext import print_command_help

        print_command_help(self.app, self.app_args, parsed_args.cmd, self.app.stdout, options=parsed_args.options)
        return 0
