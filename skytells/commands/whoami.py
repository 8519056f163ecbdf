"""``skytells whoami``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from skytells.credentials import local_time
from skytells.display import ShowOne
from skytells.exitcodes import ExitCode


class WhoAmI(ShowOne):
    """Show the credentials in use and whether the server accepts them"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--offline", action="store_true",
                            help="Show only what is stored locally; make no request.")
        parser.add_argument("--json", action="store_true", help="Same as --format json.")
        parser.epilog = ("Exit status: 0 when the token is valid (or --offline), 4 when it is invalid "
                         "or there is none, 1 when it could not be checked.")
        return parser

    def run(self, parsed_args: argparse.Namespace) -> int:
        if parsed_args.json:
            parsed_args.formatter = "json"
        return super().run(parsed_args)

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Sequence[Any]]:
        from skytells.masking import mask
        from skytells.tokens import check_bound

        credentials = self.context.credentials
        record = credentials.profile_record()
        token = credentials.resolve("token", record)
        if token.value is None:
            raise credentials.not_logged_in()
        access_key = credentials.resolve("access_key", record)
        api_key = credentials.resolve("api_key", record)
        credential = record.token_credential() if token.origin == "store" else None
        server = credentials.server_for(credential)
        if credential is not None and not parsed_args.offline:  # --offline sends the token nowhere
            check_bound(credential, server)

        rows: dict[str, Any] = {
            "profile": record.profile_name,
            "token": mask(token.value),
            "token_source": token.source,
            "method": credential.method if credential else "environment",
            "scopes": ",".join(credential.scopes) if credential and credential.scopes else "unknown",
            "saved_at": local_time(record.facts("token").get("saved_at", record.created_at), "unknown")
            if credential else "-",
            "expires_at": local_time(credential.expires_at) if credential else "-",
            "server": server,
            "token_status": "not checked (--offline)",
            "project": "none linked",
            "project_key": mask(access_key.value) or "-",
            "project_key_source": access_key.source or "-",
            "api_key": mask(api_key.value) or "-",
            "api_key_source": api_key.source or "-",
        }
        if credential and credential.issuer:
            rows["issuer"] = credential.issuer
        stored_project = record.meta.get("access_key", {}).get("project")
        if access_key.value and isinstance(stored_project, dict) and access_key.origin == "store":
            rows["project"] = self._project_label(stored_project)
        if not parsed_args.offline:
            token_value = self._fresh_token(token.value, credential, server, rows)
            self._check_online(rows, token_value, access_key.value, server)
            if credential and credential.issuer and credential.scopes and "openid" in credential.scopes:
                self._add_userinfo(rows, credential, token_value)
        return tuple(rows), tuple(rows.values())

    def _fresh_token(self, token: str, credential: Any, server: str, rows: dict[str, Any]) -> str:
        """The token to check: refreshed first when the stored one has expired or is about to."""
        from skytells.masking import mask
        from skytells.tokens import expires_soon

        if credential is None or not expires_soon(credential):
            return token
        active = self.context.credentials.active_token(server=server)
        rows["token"] = mask(active.token)
        if active.credential and active.credential.expires_at:
            rows["expires_at"] = local_time(active.credential.expires_at)
        return active.token

    def _add_userinfo(self, rows: dict[str, Any], credential: Any, token: str) -> None:
        from skytells.errors import SkytellsError
        from skytells.tokens import oauth_client

        try:
            claims = oauth_client(credential).userinfo(token)
        except SkytellsError as error:
            rows["subject"] = f"could not be read ({error.message})"
            return
        for claim, column in (("sub", "subject"), ("name", "name"), ("email", "email")):
            if claim in claims:
                rows[column] = claims[claim]

    @staticmethod
    def _project_label(project: dict[str, Any]) -> str:
        name, slug = project.get("name"), project.get("slug")
        return f"{name} ({slug})" if name and slug else str(name or slug or project.get("id", "unknown"))

    def _check_online(self, rows: dict[str, Any], token: str, access_key: str | None, server: str) -> None:
        from skytells.console_api import TokenStatus
        from skytells.errors import AuthError, SkytellsError

        api = self.context.console(server)
        check = api.check_token(token)
        rows["token_status"] = check.status.value + (f" ({check.detail})" if check.detail else "")
        if check.status is TokenStatus.INVALID:
            self.exit_code = ExitCode.AUTH
        elif check.status is TokenStatus.UNKNOWN:
            self.exit_code = ExitCode.FAILURE
        if access_key:
            try:
                rows["project"] = self._project_label(api.linked_project(access_key))
            except AuthError:
                rows["project"] = "key refused by the server"
            except SkytellsError as error:
                rows["project"] = f"could not be checked ({error.message})"
