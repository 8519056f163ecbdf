"""A cliff command manager that reads entry points lazily and imports only the command that runs.

Stock cliff imports every command at start-up. Here the entry points are
listed (from ``skytells.entry_index``) the first time a command is looked up,
and a command's module is imported only when that command is chosen. Nothing
is listed or imported for ``--version``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cliff.commandmanager import CommandManager

COMMANDS = "skytells.commands"


class LazyCommandManager(CommandManager):
    """Command lookup over the ``skytells.commands`` entry points, loaded on first use."""

    def __init__(self, namespace: str = COMMANDS) -> None:
        self._listed = False
        super().__init__(namespace, convert_underscores=True)

    def _load_commands(self) -> None:
        """Deferred: see ``_list_entry_points``."""

    def _list_entry_points(self) -> None:
        if self._listed:
            return
        self._listed = True
        from skytells import plugins

        assert self.namespace is not None
        self.group_list.append(self.namespace)
        for ep in plugins.entry_points(self.namespace):
            name = ep.name.replace("_", " ")
            # Commands the application adds itself (help, complete) keep their names.
            # Wrapped so that a command that cannot be loaded fails when run instead of breaking lookup.
            self.commands.setdefault(name, plugins.CommandEntryPoint(ep))

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        self._list_entry_points()
        return super().__iter__()

    def find_command(self, argv: list[str]) -> Any:
        self._list_entry_points()
        return super().find_command(argv)

    def get_command_names(self, group: str | None = None) -> list[str]:
        self._list_entry_points()
        return super().get_command_names(group)
