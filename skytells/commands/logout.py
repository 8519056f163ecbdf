"""``skytells logout``."""

from __future__ import annotations

import argparse

from cliff.command import Command


class Logout(Command):
    """Remove the stored user token (the project and API keys are kept)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("-f", "--force", action="store_true", help="Do not ask for confirmation.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from skytells import session, settings
        from skytells.masking import mask
        from skytells.settings import TOKENS_PAGE
        from skytells.ui import Terminal

        terminal = Terminal(stdin=self.app.stdin, stderr=self.app.stderr)
        store = session.open_store()
        record = store.load()
        if not record.token:
            terminal.line("Not logged in: there is no stored token.")
        else:
            if not parsed_args.force and not terminal.confirm(
                f"Log out and remove the stored token ({mask(record.token)})?",
                refuse_without_terminal="Pass --force to log out without a terminal.",
            ):
                terminal.line("Nothing changed.")
                return 0
            store.update(lambda current: current.remove("token"))
            terminal.success(f"Logged out: the token was removed from {session.display_path(store.location)}.")
            terminal.line(f"  The token itself stays valid until it expires or you revoke it at {TOKENS_PAGE}.")
        if settings.credential_from_env("token"):
            terminal.warning(f"{settings.ENV_TOKEN} is set in this environment and still applies.")
        return 0
