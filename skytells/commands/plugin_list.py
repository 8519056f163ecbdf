"""``skytells plugins``: every installed plugin, where it comes from, and whether it works."""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from importlib.metadata import EntryPoint
from typing import Any

from skytells.cli.command import summary
from skytells.cli.display import Lister
from skytells.extensions import discovery, plugins
from skytells.safety.sanitize import terminal_safe

COLUMNS = ("Group", "Name", "Distribution", "Version", "Description", "State")


def first_line(text: Any) -> str:
    """The first line of ``text``, safe for a terminal."""
    return terminal_safe(str(text or "").strip().split("\n", 1)[0].rstrip("."), 120)


def inspect_plugin(ep: EntryPoint) -> tuple[str, str]:
    """Load ``ep`` and return its description and state (loaded, unavailable: ..., failed: ...)."""
    try:
        loaded = plugins.load(ep)
        if ep.group == discovery.COMMANDS:
            return first_line(summary(loaded)), "loaded"
        description = first_line(loaded.description)
        reason = plugins.unavailable_reason(ep, loaded)
    except plugins.BrokenPlugin as error:
        return "", f"failed: {error.problem}"
    if reason:
        return description, f"unavailable: {reason}"
    version = getattr(loaded, "api_version", 1)
    if version in plugins.DEPRECATED_API_VERSIONS:
        return description, f"loaded (deprecated interface version {version})"
    return description, "loaded"


def plugin_rows(groups: Sequence[discovery.Group]) -> Iterator[tuple[str | None, ...]]:
    """One row per entry point of ``groups``, including names claimed twice (the loser says so)."""
    for group in groups:
        by_name: dict[str, list[EntryPoint]] = {}
        for ep in discovery.entry_points(group.name):
            by_name.setdefault(ep.name, []).append(ep)
        for name in sorted(by_name):
            candidates = by_name[name]
            keep = plugins.winner(candidates)
            shown = name.replace("_", " ") if group.name == discovery.COMMANDS else name
            for ep in sorted(candidates, key=lambda candidate: candidate is not keep):
                dist = discovery.distribution_of(ep)
                if ep is keep:
                    description, state = inspect_plugin(ep)
                else:
                    kept = discovery.distribution_of(keep)
                    description = ""
                    state = (f"unavailable: {name!r} is also provided by "
                             f"{kept.name if kept else keep.value}, which is used")
                yield (group.label, shown, dist.name if dist else None, dist.version if dist else None,
                       description or None, state)


class PluginList(Lister):
    """List installed plugins (commands, login methods, credential stores) and their state"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--group", choices=[group.label for group in discovery.GROUPS.values()],
                            help="Show only this group.")
        parser.epilog = ("State is 'loaded', 'unavailable: REASON' (installed but unusable here) or "
                         "'failed: ERROR' (the plugin is broken; remove it with pip uninstall DISTRIBUTION).")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Iterator[tuple[str | None, ...]]]:
        groups = [group for group in discovery.GROUPS.values() if parsed_args.group in (None, group.label)]
        return COLUMNS, plugin_rows(groups)
