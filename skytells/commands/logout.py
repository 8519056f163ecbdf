"""``skytells logout``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from skytells.cli.command import Command
from skytells.config.settings import TOKENS_PATH, console_page
from skytells.credentials.hints import command_for
from skytells.credentials.tokens import oauth_client
from skytells.errors import SkytellsError
from skytells.safety.masking import mask

if TYPE_CHECKING:
    from skytells.credentials.model import Credential
    from skytells.terminal.ui import Terminal


class Logout(Command):
    """Remove the stored user token (the project and API keys are kept)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("-f", "--force", action="store_true", help="Do not ask for confirmation.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        terminal, credentials = self.context.terminal, self.context.credentials
        credential = credentials.profile_record().token_credential()
        if credential is None:
            terminal.detail(f"Not logged in: there is no stored token in {credentials.where}.")
        else:
            of_profile = f" of profile {credentials.profile!r}" if credentials.profile else ""
            if not parsed_args.force and not terminal.confirm(
                f"Log out{of_profile} and remove the stored token ({mask(credential.token)})?",
                flag="--force",
                refusal=f"Not logged out{of_profile}: removing the token needs a yes",
                refuse_without_terminal="Pass --force to go ahead without the question: "
                                        f"{command_for(credentials.profile, 'logout', '--force')}.",
            ):
                terminal.detail("Nothing changed.")
                return 0
            credentials.ensure_writable()  # the token is revoked only when its removal can be saved
            revocation = revoke(credential, terminal)
            credentials.remove("token")
            terminal.success(f"Logged out: the token was removed from {credentials.where}.")
            terminal.detail(f"  {revocation}")
        if variable := credentials.overridden_by_env("token"):
            terminal.warning(f"{variable} is set in this environment and still applies.")
        return 0


def revoke(credential: Credential, terminal: Terminal) -> str:
    """Revoke the refresh and access tokens where the server offers it; say honestly what happened."""
    if not (credential.issuer and credential.client_id):
        page = console_page(TOKENS_PATH, credential.host)
        return (f"The token itself stays valid until it expires or you revoke it at {page} "
                "(the console offers the CLI no way to revoke it).")
    try:
        with terminal.activity("Revoking the token..."):
            client = oauth_client(credential)
            confirmed = True
            if credential.refresh_token:
                confirmed = client.revoke(credential.refresh_token, "refresh_token") and confirmed
            confirmed = client.revoke(credential.token, "access_token") and confirmed
    except SkytellsError as error:
        return f"The server could not revoke the token ({error.message}); it stays valid until it expires."
    if confirmed:
        return f"{client.host} confirmed the token is revoked."
    return f"{client.host} offers no revocation; the token stays valid until it expires."
