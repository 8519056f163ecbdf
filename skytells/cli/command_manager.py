"""A cliff command manager that imports only the command that runs.

Stock cliff lists commands through stevedore, which imports every command
module at start-up. Here the ``skytells.commands`` entry points come from
``skytells.extensions.discovery`` (one per name, by the rule of ``skytells.extensions.plugins``),
and a command's module is imported only when that command is chosen. cliff's own
``help`` and ``complete`` are replaced by skytells' (``REPLACED``), imported the same way.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint
from typing import Any

from cliff.commandmanager import CommandManager

from skytells.extensions import plugins
from skytells.extensions.discovery import COMMANDS

#: cliff's built-in commands (``App`` adds them) -> skytells' own, imported only when they run.
REPLACED = {"help": "skytells.cli.help:HelpCommand", "complete": "skytells.cli.completion:CompleteCommand"}


class LazyCommandManager(CommandManager):
    """Command lookup over the ``skytells.commands`` entry points, each imported when chosen."""

    def __init__(self) -> None:
        super().__init__(COMMANDS, convert_underscores=True)

    def load_commands(self, namespace: str) -> None:
        """List the commands of ``namespace``; a command that cannot be loaded fails when run, not here."""
        self.group_list.append(namespace)
        for ep in plugins.entry_points(namespace):
            # cliff only calls ``load()`` and reads ``name``, which CommandEntryPoint provides.
            self.commands[ep.name.replace("_", " ")] = plugins.CommandEntryPoint(ep)  # type: ignore[assignment]

    def find_command(self, argv: list[str]) -> tuple[Any, str, list[str]]:
        """The command ``argv`` names exactly (or through an alias cliff was given), its name and the rest.

        cliff also runs a command from any unambiguous abbreviation of its
        words (``logo`` for ``logout``, ``api rm`` for ``api-key rm``), and its
        usage line then shows the abbreviation; here only a whole name runs.
        Raises ValueError otherwise (the app then suggests the nearest names).
        """
        start = self._get_last_possible_command_index(argv)
        for end in range(start, 0, -1):
            typed = " ".join(argv[:end])
            name = self._legacy.get(typed, typed)
            if name in self.commands:
                return self.commands[name].load(), typed, argv[end:]
        raise ValueError(f"Unknown command {argv!r}")

    def add_command(self, name: str, command_class: Any) -> None:
        """Add a command; cliff's ``help`` and ``complete`` become skytells' own (``REPLACED``)."""
        if name in REPLACED:
            self.commands[name] = plugins.CommandEntryPoint(  # type: ignore[assignment]
                EntryPoint(name, REPLACED[name], COMMANDS))
        else:
            super().add_command(name, command_class)
