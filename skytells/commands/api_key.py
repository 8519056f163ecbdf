"""``skytells api-key set | status | rm``: the inference API key."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from skytells.cli.command import Command
from skytells.cli.display import ShowOne
from skytells.config import settings
from skytells.credentials.hints import command_for
from skytells.errors import NotLoggedInError, UsageError
from skytells.safety.masking import mask

if TYPE_CHECKING:
    from skytells.terminal.ui import Terminal

MAX_KEY_LENGTH = 512


def _read_key(terminal: Terminal, profile: str | None = None) -> str:
    key = terminal.read_secret("API key", "Paste your API key")
    if len(key) > MAX_KEY_LENGTH or any(c.isspace() or not c.isprintable() for c in key):
        raise UsageError("That does not look like an API key (one line, no spaces).")
    if key.startswith(("sk_pat_", "sk_proj_")):
        raise UsageError("That is a personal access token or project key, not an inference API key.",
                         hint=f"Use {command_for(profile, 'login', '--token')} or "
                              f"{command_for(profile, 'link', '-')} instead.")
    return key


class ApiKeySet(Command):
    """Check an inference API key with the server and save it"""

    _epilog = ("The key is read from a hidden prompt on a terminal, otherwise as one line from stdin "
               "(echo \"$KEY\" | skytells api-key set); never from the command line, where shell history "
               "and the process list would keep it. It is checked with GET {inference API}/models before "
               "it is saved.")  # type: ignore[assignment]  # cliff declares it None, and reads a string

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        # requests (as long to import as cliff.app), only for the subcommand that goes online, not status or rm.
        from skytells.net.inference_api import check_api_key  # noqa: PLC0415

        terminal, credentials = self.context.terminal, self.context.credentials
        key = _read_key(terminal, credentials.profile)
        credentials.ensure_writable()  # a store that cannot take the key stops here, before it is sent anywhere
        with terminal.activity("Checking the API key..."):
            check_api_key(key)
        credentials.save_secret("api_key", key, host=settings.inference_url())
        self.context.report_change(f"API key saved to {credentials.where}", field="api_key")
        return 0


class ApiKeyStatus(ShowOne):
    """Show the inference API key in use (masked) and where it comes from"""

    known_columns = ("api_key", "source")

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Sequence[Any]]:
        credentials = self.context.credentials
        resolved = credentials.resolve("api_key")
        if resolved.value is None:
            profile = credentials.profile
            where = f" in profile {profile!r}" if profile else ""
            raise NotLoggedInError(f"No API key is set{where}.",
                                   hint=f"Run {command_for(profile, 'api-key', 'set')} (or set SKYTELLS_API_KEY).")
        return self.known_columns, (mask(resolved.value) or "********", resolved.source)


class ApiKeyRemove(Command):
    """Remove the stored inference API key (other credentials are kept)"""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        terminal, credentials = self.context.terminal, self.context.credentials
        if credentials.remove("api_key"):
            terminal.success(f"API key removed from {credentials.where}")
        else:
            terminal.detail(f"No stored API key to remove in {credentials.where}.")
        if variable := credentials.overridden_by_env("api_key"):
            terminal.warning(f"{variable} is set in this environment; the CLI cannot remove it. "
                             "Unset it in your shell.")
        return 0
