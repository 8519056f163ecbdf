"""``skytells auth doctor``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from skytells.cli.display import Lister
from skytells.commands.doctor_checks import Status, run_checks


class AuthDoctor(Lister):
    """Check the credential store, environment and server connection for problems"""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("--offline", action="store_true", help="Skip the server and clock checks.")
        parser.epilog = "Exit status: 0 when every check is ok or informational, 1 when one warns or fails."
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> tuple[Sequence[str], list[Sequence[Any]]]:
        findings = run_checks(self.context, offline=parsed_args.offline)
        self.exit_code = 1 if any(f.status in (Status.WARN, Status.FAIL) for f in findings) else 0
        return ("check", "status", "detail"), [(f.check, f.status.value, f.detail) for f in findings]
