"""``skytells whoami``."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence
from typing import Any

from skytells.cli.display import Shown, ShowOne
from skytells.credentials.model import iso_time
from skytells.credentials.tokens import check_bound, expires_soon
from skytells.errors import AuthError, SkytellsError
from skytells.safety.masking import mask

LOG = logging.getLogger(__name__)


class WhoAmI(ShowOne):
    """Show the credentials in use and whether the server accepts them"""

    known_columns = ("profile", "token", "token_source", "method", "scopes", "saved_at", "expires_at", "server",
                     "token_status", "project", "project_key", "project_key_source", "api_key", "api_key_source",
                     "issuer", "subject", "name", "email")

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
        credentials = self.context.credentials
        record = credentials.profile_record()
        token = credentials.resolve("token", record)
        access_key = credentials.resolve("access_key", record)
        api_key = credentials.resolve("api_key", record)
        if token.value is None:
            missing = credentials.not_logged_in()
            if access_key.value is None and api_key.value is None:
                raise missing
            # The keys that are there are still shown; the missing token still makes the exit status 4.
            LOG.error(missing)
            self.exit_code = missing.exit_code
        credential = record.token_credential() if token.origin == "store" else None
        server = credentials.server_for(credential)
        if credential is not None and not parsed_args.offline:  # --offline sends the token nowhere
            check_bound(credential, server)

        rows: dict[str, Any] = {
            "profile": record.profile_name,
            "token": mask(token.value) or None,
            "token_source": token.source or None,
            "method": credential.method if credential else ("environment" if token.value else None),
            "scopes": list(credential.scopes) if credential and credential.scopes else Shown(None, "unknown"),
            "saved_at": Shown(None, "unknown") if credential is None or (saved := iso_time(
                record.facts("token").get("saved_at", record.created_at))) is None else saved,
            "expires_at": iso_time(credential.expires_at) if credential else None,
            "server": credentials.server_shown(credential) if credential else server,
            "token_status": "not checked (--offline)" if token.value else "not logged in",
            "project": Shown(None, "none linked"),
            "project_key": mask(access_key.value) or None,
            "project_key_source": access_key.source or None,
            "api_key": mask(api_key.value) or None,
            "api_key_source": api_key.source or None,
        }
        if credential and credential.issuer:
            rows["issuer"] = credential.issuer
        stored_project = record.meta.get("access_key", {}).get("project")
        if access_key.value and isinstance(stored_project, dict) and access_key.origin == "store":
            rows["project"] = self._project_label(stored_project)
        if not parsed_args.offline:
            api = self.context.console(server)
            if token.value is not None:
                token_value, credential = self._fresh_token(token.value, credential, server, rows)
                check = credentials.check_token(token_value, credential, api)
                rows["token_status"] = check.summary
                self.exit_code = check.status.exit_code
                for claim, column in (("sub", "subject"), ("name", "name"), ("email", "email")):
                    if claim in check.claims:
                        rows[column] = check.claims[claim]
            if access_key.value:
                rows["project"] = self._linked_project(api, access_key.value)
        return tuple(rows), tuple(rows.values())

    def _fresh_token(self, token: str, credential: Any, server: str, rows: dict[str, Any]) -> tuple[str, Any]:
        """The token to check and its credential: refreshed first when the stored one has expired or is about to."""
        if credential is None or not expires_soon(credential):
            return token, credential
        active = self.context.credentials.active_token(server=server)
        rows["token"] = mask(active.token)
        if active.credential and active.credential.expires_at:
            rows["expires_at"] = iso_time(active.credential.expires_at)
        return active.token, active.credential or credential

    @staticmethod
    def _project_label(project: dict[str, Any]) -> str:
        name, slug = project.get("name"), project.get("slug")
        return f"{name} ({slug})" if name and slug else str(name or slug or project.get("id", "unknown"))

    def _linked_project(self, api: Any, access_key: str) -> str:
        try:
            return self._project_label(api.linked_project(access_key))
        except AuthError:
            return "key refused by the server"
        except SkytellsError as error:
            return f"could not be checked ({error.message})"
