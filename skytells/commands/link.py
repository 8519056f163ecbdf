"""``skytells link``."""

from __future__ import annotations

import argparse

from skytells.cli.command import Command
from skytells.config import settings
from skytells.credentials.hints import command_for
from skytells.errors import UsageError
from skytells.safety.masking import looks_like_project_key


class Link(Command):
    """Link a project access key (sk_proj_...) to this machine"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("access_key", metavar="ACCESS_KEY",
                            help="The project access key, or - to read it from stdin "
                                 "(keeps it out of shell history and the process list).")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        terminal, credentials = self.context.terminal, self.context.credentials
        if parsed_args.access_key == "-":
            key = terminal.read_secret("project access key", "Paste your project access key")
        else:
            key = parsed_args.access_key.strip()
        if not looks_like_project_key(key):
            login = command_for(credentials.profile, "login", "--token")
            shown = f" (it looks like a personal access token; use {login})" if key.startswith("sk_pat_") else ""
            raise UsageError(f"That is not a project access key{shown}: expected sk_proj_ followed by the key.")
        credentials.ensure_writable()  # a store that cannot take the key stops here, before it is sent anywhere
        server = settings.console_url()
        with terminal.activity("Checking the project access key..."):
            project = self.context.console(server).linked_project(key)
        credentials.save_secret("access_key", key, host=server, project=project)
        name = project.get("name") or project.get("slug") or project.get("id") or "the project"
        tip = () if parsed_args.access_key == "-" else \
            ("Tip: 'skytells link -' reads the key from stdin, keeping it out of shell history.",)
        self.context.report_change(f"Linked project {name}" + (f" ({project['slug']})" if project.get("slug") else ""),
                                   f"Key saved to {credentials.where}", *tip, field="access_key")
        return 0
