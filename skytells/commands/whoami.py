"""``skytells whoami``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from cliff.show import ShowOne

from skytells.exitcodes import ExitCode


def _when(milliseconds: Any) -> str:
    import datetime

    if not isinstance(milliseconds, int | float) or isinstance(milliseconds, bool):
        return "unknown"
    moment = datetime.datetime.fromtimestamp(milliseconds / 1000, tz=datetime.timezone.utc)
    return moment.astimezone().isoformat(timespec="seconds")


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
        self._exit_code = ExitCode.OK
        super().run(parsed_args)
        return int(self._exit_code)

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], Sequence[Any]]:
        from skytells import session, settings
        from skytells.errors import AuthError
        from skytells.masking import mask

        store = session.open_store()
        record = store.load()
        token = session.resolve("token", record, store)
        if token.value is None:
            raise AuthError("You are not logged in.", hint=f"Run skytells login (or set {settings.ENV_TOKEN}).")
        access_key = session.resolve("access_key", record, store)
        api_key = session.resolve("api_key", record, store)
        info = record.meta.get("token", {}) if token.origin == "store" else {}
        scopes = info.get("scopes")

        rows: dict[str, Any] = {
            "token": mask(token.value),
            "token_source": token.source,
            "method": info.get("method", "environment" if token.origin == "env" else "unknown"),
            "scopes": ",".join(scopes) if isinstance(scopes, list) else "unknown",
            "saved_at": _when(info.get("saved_at", record.created_at)) if token.origin == "store" else "-",
            "server": settings.console_url(),
            "token_status": "not checked (--offline)",
            "project": "none linked",
            "project_key": mask(access_key.value) or "-",
            "project_key_source": access_key.source or "-",
            "api_key": mask(api_key.value) or "-",
            "api_key_source": api_key.source or "-",
        }
        stored_project = record.meta.get("access_key", {}).get("project")
        if access_key.value and isinstance(stored_project, dict) and access_key.origin == "store":
            rows["project"] = self._project_label(stored_project)
        if not parsed_args.offline:
            self._check_online(rows, token.value, access_key.value)
        return tuple(rows), tuple(rows.values())

    @staticmethod
    def _project_label(project: dict[str, Any]) -> str:
        name, slug = project.get("name"), project.get("slug")
        return f"{name} ({slug})" if name and slug else str(name or slug or project.get("id", "unknown"))

    def _check_online(self, rows: dict[str, Any], token: str, access_key: str | None) -> None:
        from skytells import session
        from skytells.console_api import TokenStatus
        from skytells.errors import AuthError, SkytellsError

        api = session.console_client()
        check = api.check_token(token)
        rows["token_status"] = check.status.value + (f" ({check.detail})" if check.detail else "")
        if check.status is TokenStatus.INVALID:
            self._exit_code = ExitCode.AUTH
        elif check.status is TokenStatus.UNKNOWN:
            self._exit_code = ExitCode.FAILURE
        if access_key:
            try:
                rows["project"] = self._project_label(api.linked_project(access_key))
            except AuthError:
                rows["project"] = "key refused by the server"
            except SkytellsError as error:
                rows["project"] = f"could not be checked ({error.message})"
