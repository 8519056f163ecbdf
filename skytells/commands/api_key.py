"""``skytells api-key set | status | rm``: the inference API key."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from skytells.command_base import Command
from skytells.display import ShowOne

MAX_KEY_LENGTH = 512


def _read_key(app: Any) -> str:
    from skytells.errors import UsageError
    from skytells.ui import Terminal

    key = Terminal(stdin=app.stdin, stderr=app.stderr).read_secret("API key", "Paste your API key")
    if len(key) > MAX_KEY_LENGTH or any(c.isspace() or not c.isprintable() for c in key):
        raise UsageError("That does not look like an API key (one line, no spaces).")
    if key.startswith(("sk_pat_", "sk_proj_")):
        raise UsageError("That is a personal access token or project key, not an inference API key.",
                         hint="Use skytells login --token or skytells link - instead.")
    return key


class ApiKeySet(Command):
    """Check an inference API key with the server and save it"""

    _epilog = ("The key is read from a hidden prompt on a terminal, otherwise as one line from stdin "
               "(echo \"$KEY\" | skytells api-key set); never from the command line, where shell history "
               "and the process list would keep it. It is checked with GET {inference API}/models before "
               "it is saved.")

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from skytells import session, settings
        from skytells.inference_api import check_api_key
        from skytells.ui import Terminal

        key = _read_key(self.app)
        store = session.open_store()
        store.load()  # an unreadable store stops here, before the key is sent anywhere
        terminal = Terminal(stdin=self.app.stdin, stderr=self.app.stderr)
        with terminal.activity("Checking the API key..."):
            check_api_key(key)
        profile = settings.profile_name()
        store.update(lambda record: record.profile(profile, create=True).set_secret(
            "api_key", key, host=settings.inference_url()))
        terminal.success(f"API key saved to {session.display_path(store.location)}")
        if settings.credential_from_env("api_key"):
            terminal.warning(f"{settings.ENV_API_KEY} is set in this environment and takes precedence.")
        return 0


class ApiKeyStatus(ShowOne):
    """Show the inference API key in use (masked) and where it comes from"""

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Sequence[Any]]:
        from skytells import session, settings
        from skytells.credentials import StoredCredentials
        from skytells.errors import AuthError
        from skytells.masking import mask

        store = session.open_store()
        record = store.load().profile(settings.profile_name()) or StoredCredentials()
        resolved = session.resolve("api_key", record, store)
        if resolved.value is None:
            raise AuthError("No API key is set.", hint="Run skytells api-key set (or set SKYTELLS_API_KEY).")
        return ("api_key", "source"), (mask(resolved.value) or "********", resolved.source)


class ApiKeyRemove(Command):
    """Remove the stored inference API key (other credentials are kept)"""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from skytells import session, settings
        from skytells.ui import Terminal

        terminal = Terminal(stdin=self.app.stdin, stderr=self.app.stderr)
        store = session.open_store()
        profile = settings.profile_name()
        removed: list[bool] = []

        def change(record: Any) -> None:
            target = record.profile(profile)
            removed.append(bool(target and target.remove("api_key")))

        store.update(change)
        if removed and removed[0]:
            terminal.success(f"API key removed from {session.display_path(store.location)}")
        else:
            terminal.line("No stored API key to remove.")
        if settings.credential_from_env("api_key"):
            terminal.warning(f"{settings.ENV_API_KEY} is set in this environment; the CLI cannot remove it. "
                             "Unset it in your shell.")
        return 0
