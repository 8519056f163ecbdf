"""``skytells auth status | switch | token``: profiles and the token they hold."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from skytells.command_base import Command
from skytells.credentials import local_time
from skytells.display import Lister
from skytells.exitcodes import ExitCode


class AuthStatus(Lister):
    """List every profile: server, method, masked token, scopes, expiry and validity"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--offline", action="store_true", help="Do not ask the servers whether tokens are valid.")
        parser.epilog = "Exit status: 0 when every listed token is valid (or --offline), 4 otherwise."
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], list[Sequence[Any]]]:
        from skytells import settings
        from skytells.credentials import now_ms
        from skytells.errors import AuthError
        from skytells.masking import mask

        credentials = self.context.credentials
        record = credentials.stored()
        columns = ("profile", "default", "server", "method", "source", "token", "scopes", "expires", "status")
        rows: list[Sequence[Any]] = []
        env_token = settings.credential_from_env("token")
        if env_token:
            rows.append(("(environment)", "", settings.console_url(), "environment", settings.ENV_TOKEN,
                         mask(env_token), "unknown", "-", self._status(env_token, settings.console_url(), parsed_args)))
        for name in record.profile_names():
            profile = record.profile(name)
            credential = profile.token_credential() if profile else None
            if credential is None:
                continue
            scopes = ",".join(credential.scopes) if credential.scopes else "unknown"
            if credential.expires_at is not None and now_ms() >= credential.expires_at:
                # Only really expired tokens: one that is merely due for refresh is still checked.
                refreshable = bool(credential.refresh_token and credential.issuer and credential.client_id)
                status = "expired (refreshable)" if refreshable else "expired"
                if not (refreshable or parsed_args.offline):
                    self.exit_code = ExitCode.AUTH
            else:
                status = self._status(credential.token, credential.host, parsed_args)
            rows.append((name, "*" if name == record.profile_name else "", credential.host or "-",
                         credential.method, credentials.location, mask(credential.token),
                         scopes, local_time(credential.expires_at), status))
        if not rows:
            raise AuthError("You are not logged in with any profile.", hint="Run skytells login.")
        return columns, rows

    def _status(self, token: str, server: str, parsed_args: argparse.Namespace) -> str:
        from skytells.console_api import TokenStatus
        from skytells.errors import SkytellsError

        if parsed_args.offline:
            return "not checked"
        try:
            check = self.context.console(server).check_token(token)
        except SkytellsError as error:
            self.exit_code = ExitCode.AUTH
            return f"could not be checked ({error.message})"
        if check.status is not TokenStatus.VALID:
            self.exit_code = ExitCode.AUTH
        return check.status.value


class AuthSwitch(Command):
    """Make another profile the default (its credentials move to the official fields)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("profile", metavar="PROFILE", help="The profile to make the default.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        self.context.credentials.switch_default(parsed_args.profile)
        self.context.terminal.success(f"{parsed_args.profile} is now the default profile.")
        return 0


class AuthToken(Command):
    """Print a valid access token for the profile to stdout (refreshing it first if needed), for scripts"""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from skytells.streams import write_unredacted

        active = self.context.credentials.active_token()
        write_unredacted(self.app.stdout, active.token + "\n")  # the token is this command's whole output
        return 0
