"""``skytells auth status | switch | token``: profiles and the token they hold."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from skytells.cli.command import Command
from skytells.cli.display import Lister, Shown
from skytells.config import settings
from skytells.credentials import check_cache
from skytells.credentials.hints import command_for
from skytells.credentials.model import iso_time, now_ms
from skytells.errors import AuthError, NetworkError, NotLoggedInError, SkytellsError, UsageError
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

    known_columns = ("profile", "default", "server", "method", "source", "token", "scopes", "expires", "status")

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--offline", action="store_true", help="Do not ask the servers whether tokens are valid.")
        parser.epilog = ("Exit status: 0 when every listed token is valid (or --offline), 4 when one is invalid "
                         "or expired, else 1 when one could not be checked.")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], list[Sequence[Any]]]:
        credentials = self.context.credentials
        record = credentials.stored()
        columns = self.known_columns
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
            if not parsed_args.offline and (refused := self._refused_here(credential)) is not None:
                # The judgement whoami and auth token make: a token bound to another server is not sent.
                status = refused
                self.exit_code = max(self.exit_code, ExitCode.AUTH, key=SEVERITY.index)
            elif credential.expires_at is not None and now_ms() >= credential.expires_at:
                # Only really expired tokens: one that is merely due for refresh is still checked.
                refreshable = bool(credential.refresh_token and credential.issuer and credential.client_id)
                status = "expired (refreshable)" if refreshable else "expired"
                if not (refreshable or parsed_args.offline):
                    self.exit_code = max(self.exit_code, ExitCode.AUTH, key=SEVERITY.index)
            else:
                status = self._status(credential.token, credential, parsed_args)
            default = name == record.profile_name
            rows.append((name, Shown(default, "*" if default else ""), credentials.server_shown(credential),
                         credential.method, credentials.location, mask(credential.token),
                         scopes, iso_time(credential.expires_at), status))
        if not rows:
            raise NotLoggedInError("You are not logged in with any profile.",
                                   hint=f"Run {command_for(credentials.profile, 'login')}.")
        return columns, rows

    def _refused_here(self, credential: Credential) -> str | None:
        """Why the stored token is not used in this run (bound to another server), or None."""
        try:
            self.context.credentials.check_binding(credential)
        except AuthError:
            server = self.context.credentials.server_for(credential)
            return f"not used here (issued for {credential.host}, not {server}; unset {settings.ENV_CONSOLE_URL})"
        return None

    def _status(self, token: str, credential: Credential | None, parsed_args: argparse.Namespace) -> str:
        """The token's status as whoami shows it; the worst status so far decides the exit status."""
        if parsed_args.offline:
            return "not checked (--offline)"
        server = self.context.credentials.server_for(credential)
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
    """Print the profile's access token to stdout once its server accepts it (refreshing it first if needed)"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--no-check", action="store_true",
                            help="Print the stored token without asking the server whether it is still valid.")
        parser.epilog = (f"The token is checked as whoami checks it (a server's answer 'valid' is trusted for "
                         f"{check_cache.MAX_AGE_SECONDS:.0f} s, so scripts can call this often). Exit status: 0 "
                         "with the token on stdout when it is valid, or when only its expiry can be known (a "
                         "standard provider without userinfo; a warning says so); 4 when it is invalid, expired or "
                         "missing, or bound to another server; 1 when it could not be checked (nothing printed; "
                         "--no-check prints it unchecked).")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        credentials = self.context.credentials
        active = credentials.active_token()  # bound to its server, refreshed first when due
        refuse_bound(active.credential)
        if not parsed_args.no_check:
            server = credentials.server_for(active.credential)
            # A recent "valid" answer comes from the cache: the console client (and requests) load only to ask.
            check = credentials.check_token(active.token, active.credential, lambda: self.context.console(server),
                                            max_age=check_cache.MAX_AGE_SECONDS,
                                            host=authority(server))
            login = command_for(credentials.profile, "login")
            if check.status is TokenStatus.INVALID:
                raise AuthError(f"The token is {check.summary}; it is not printed.",
                                hint=f"Run {login} again." if active.origin == "store"
                                else "Set SKYTELLS_TOKEN to a valid token.")
            if check.status is TokenStatus.UNKNOWN:
                raise NetworkError(f"The token {check.summary}; it is not printed.",
                                   hint="Try again, or pass --no-check to print it without asking the server.")
            if check.status is TokenStatus.UNVERIFIED:
                self.context.terminal.warning(f"The token was {check.summary}.")
        write_unredacted(self.app.stdout, active.token + "\n")  # the token is this command's whole output
        return 0


def refuse_bound(credential: Credential | None) -> None:
    """UsageError for a DPoP-bound token: without its key (which never leaves the store) no server accepts it.

    Handing it to a script as if it were a Bearer token would only move the failure to the script's request.
    """
    if credential is not None and credential.dpop_key:
        raise UsageError("The profile's token is bound to a key (DPoP, RFC 9449): used as a Bearer token it "
                         "would be refused, and the key never leaves the credential store.",
                         hint="Use skytells commands, which prove the key, or log in again with --no-dpop "
                              "for a token that scripts can use.")


def authority(url: str) -> str:
    """``host[:port]`` of a URL the settings already checked, as a console client names its server.

    Read with ``urlsplit``: the URL rule's module loads urllib3, which a cached answer does not need.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return host if parts.port is None else f"{host}:{parts.port}"
