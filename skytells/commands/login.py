"""``skytells login``."""

from __future__ import annotations

import argparse
import os
from typing import Any

from skytells.command_base import Command
from skytells.scopes import DEFAULT_SCOPES, KNOWN_SCOPES


class _EpilogFormatter(argparse.HelpFormatter):
    """Keep the epilog's line breaks (it is a table of login methods)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


class Login(Command):
    """Log in with the browser (device flow) or a personal access token"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        from skytells.auth import registry

        parser = super().get_parser(prog_name)
        parser.formatter_class = _EpilogFormatter
        how = parser.add_mutually_exclusive_group()
        how.add_argument("--token", action="store_true",
                         help="Paste a personal access token instead of using the browser; "
                              "reads one line from stdin when it is not a terminal.")
        how.add_argument("--method", metavar="NAME", help="Use the named login method (see below).")
        parser.add_argument("--scopes", metavar="SCOPES",
                            help=f"Comma-separated scopes to request (default: {','.join(DEFAULT_SCOPES)}). "
                                 f"Known scopes: {', '.join(KNOWN_SCOPES)}.")
        parser.add_argument("-f", "--force", action="store_true", help="Replace a stored token without asking.")
        parser.add_argument("--issuer", metavar="URL",
                            help="Log in with any standard OAuth 2.0 / OpenID Connect server (device flow), "
                                 "found through its metadata (default: $SKYTELLS_ISSUER).")
        parser.add_argument("--client-id", metavar="ID",
                            help="The OAuth client id registered for this CLI at --issuer "
                                 "(default: $SKYTELLS_CLIENT_ID).")
        self._methods = registry.installed()
        lines = ["login methods:"]
        for method in self._methods:
            if method.authenticator is None:
                lines.append(f"  {method.name:<10} (broken: {method.problem})")
                continue
            note = f" (unavailable: {method.problem})" if method.problem else ""
            lines.append(f"  {method.name:<10} {method.authenticator.description}{note}")
            group = parser.add_argument_group(f"options of the {method.name!r} method")
            for option in method.authenticator.options:
                if option.flag in parser._option_string_actions:
                    continue  # two methods sharing an option: the first declaration serves both
                kwargs: dict[str, Any] = {"help": option.help, "dest": option.dest}
                if option.is_switch:
                    kwargs["action"] = "store_true"
                else:
                    kwargs["metavar"] = option.metavar or option.dest.upper()
                group.add_argument(option.flag, **kwargs)
        parser.epilog = "\n".join(lines) + "\n"
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from skytells import settings
        from skytells.auth import registry
        from skytells.auth.base import LoginContext
        from skytells.cli_version import __version__
        from skytells.errors import UsageError
        from skytells.masking import mask
        from skytells.scopes import parse_scopes

        scopes = parse_scopes(parsed_args.scopes)
        method = "token" if parsed_args.token else (parsed_args.method or "device")
        # SKYTELLS_ISSUER picks the server for the device flow; it does not forbid pasting a token.
        issuer = parsed_args.issuer or (settings.issuer() if method == "device" else None)
        client_id = parsed_args.client_id or settings.client_id()
        if issuer and method != "device":
            raise UsageError("--issuer works with the device flow only.")
        if issuer and not client_id:
            raise UsageError("--issuer needs a client id.", hint=f"Pass --client-id or set {settings.ENV_CLIENT_ID}.")
        authenticator_class = registry.get(method)
        terminal, credentials = self.context.terminal, self.context.credentials
        # An unreadable store stops here, before anyone signs in.
        existing = credentials.profile_record()
        if existing.token and not parsed_args.force:
            where = f" in profile {credentials.profile!r}" if credentials.profile else ""
            question = f"You are already logged in{where} ({mask(existing.token)}). Replace the stored token?"
            if terminal.can_prompt:
                if not terminal.confirm(question):
                    terminal.detail("Nothing changed.")
                    return 0
            else:
                terminal.detail("Replacing the stored token after a successful login.")

        values = {}
        for option in authenticator_class.options:
            value = getattr(parsed_args, option.dest, None)
            if value in (None, False) and option.env:
                value = os.environ.get(option.env) or value
            values[option.dest] = value
        server = settings.console_url()
        oauth = None
        if issuer:
            from skytells.protocol.oauth import OAuthClient, discover

            with terminal.activity("Reading the authorization server's metadata..."):
                oauth = OAuthClient(discover(issuer), client_id or "")
            issuer = oauth.metadata.issuer
        context = LoginContext(
            terminal=terminal,
            api=self.context.console(server),
            server=server,
            scopes=scopes,
            scopes_requested=parsed_args.scopes is not None,
            options=values,
            client_name=f"Skytells CLI v{__version__}",
            oauth=oauth,
            issuer=issuer,
            client_id=client_id if issuer else None,
        )
        credential = authenticator_class().authenticate(context)
        credentials.save_token(credential)
        self.context.report_change("Authenticated successfully!", f"Credentials saved to {credentials.where}",
                                   field="token")
        return 0
