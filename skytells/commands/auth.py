"""``skytells auth status | switch | token``: profiles and the token they hold."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from skytells.cli.command import Command
from skytells.cli.display import Lister, Shown
from skytells.config import settings
from skytells.credentials.model import iso_time, now_ms
from skytells.errors import NotLoggedInError, SkytellsError
from skytells.exitcodes import ExitCode
from skytells.net.checks import TokenCheck, TokenStatus
from skytells.safety.masking import mask
from skytells.terminal.streams import write_unredacted

if TYPE_CHECKING:
    from skytells.credentials.model import Credential

#: Exit statuses from the mildest to the worst, for a command that checks several tokens.
SEVERITY = (ExitCode.OK, ExitCode.FAILURE, ExitCode.AUTH)


class AuthStatus(Lister):
    """List every profile: server, method, masked token, scopes, expiry and validity"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--offline", action="store_true", help="Do not ask the servers whether tokens are valid.")
        parser.epilog = ("Exit status: 0 when every listed token is valid (or --offline), 4 when one is invalid "
                         "or expired, else 1 when one could not be checked.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], list[Sequence[Any]]]:
        credentials = self.context.credentials
        record = credentials.stored()
        columns = ("profile", "default", "server", "method", "source", "token", "scopes", "expires", "status")
        rows: list[Sequence[Any]] = []
        env_token = settings.credential_from_env("token")
        if env_token:
            rows.append(("(environment)", Shown(False, ""), settings.console_url(), "environment", settings.ENV_TOKEN,
                         mask(env_token), Shown(None, "unknown"), None, self._status(env_token, None, parsed_args)))
        for name in record.profile_names():
            profile = record.profile(name)
            credential = profile.token_credential() if profile else None
            if credential is None:
                continue
            scopes = list(credential.scopes) if credential.scopes else Shown(None, "unknown")
            if credential.expires_at is not None and now_ms() >= credential.expires_at:
                # Only really expired tokens: one that is merely due for refresh is still checked.
                refreshable = bool(credential.refresh_token and credential.issuer and credential.client_id)
                status = "expired (refreshable)" if refreshable else "expired"
                if not (refreshable or parsed_args.offline):
                    self.exit_code = max(self.exit_code, ExitCode.AUTH, key=SEVERITY.index)
            else:
                status = self._status(credential.token, credential, parsed_args)
            default = name == record.profile_name
            rows.append((name, Shown(default, "*" if default else ""), credential.host or None,
                         credential.method, credentials.location, mask(credential.token),
                         scopes, iso_time(credential.expires_at), status))
        if not rows:
            raise NotLoggedInError("You are not logged in with any profile.", hint="Run skytells login.")
        return columns, rows

    def _status(self, token: str, credential: Credential | None, parsed_args: argparse.Namespace) -> str:
        """The token's status as whoami shows it; the worst status so far decides the exit status."""
        if parsed_args.offline:
            return "not checked (--offline)"
        server = credential.host if credential and credential.host else settings.console_url()
        try:
            check = self.context.credentials.check_token(token, credential, self.context.console(server))
        except SkytellsError as error:
            check = TokenCheck(TokenStatus.UNKNOWN, error.message)
        self.exit_code = max(self.exit_code, check.status.exit_code, key=SEVERITY.index)
        return check.summary


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
        active = self.context.credentials.active_token()
        write_unredacted(self.app.stdout, active.token + "\n")  # the token is this command's whole output
        return 0
