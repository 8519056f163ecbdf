"""A finished ``skytells`` run, and command lines shown without the credentials in them."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skytells.safety.masking import mask

_CREDENTIAL_WORD = re.compile(r"sk_[A-Za-z]+_[A-Za-z0-9_-]+|sbx_[a-z]+_[0-9A-Za-z_-]+")


def masked(text: str) -> str:
    """``text`` with every credential-looking word masked (``sk_pat_********``)."""
    return _CREDENTIAL_WORD.sub(lambda found: mask(found.group()), text)


def shown_command(args: Sequence[str]) -> str:
    """``skytells ARGS`` for a message, credentials masked so that a failure report does not spread them."""
    return masked(" ".join(("skytells", *args)))


def decoded(data: bytes | None) -> str:
    """Output bytes as text (UTF-8, undecodable bytes replaced, line endings untouched)."""
    return (data or b"").decode("utf-8", errors="replace")


@dataclass(frozen=True)
class CliResult:
    """A finished ``skytells`` run."""

    args: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    #: The configuration directory the run used (``SKYTELLS_CONFIG_DIR``).
    config_dir: Path
    #: The run outlived its timeout and was killed (``exit_code`` is then -1 or the signal's).
    timed_out: bool = False

    @property
    def code(self) -> int:
        """The exit status (the same as ``exit_code``)."""
        return self.exit_code

    @property
    def output(self) -> str:
        """stdout and stderr together, for "never printed" checks."""
        return self.stdout + self.stderr

    @property
    def error_lines(self) -> list[str]:
        """The ``error:`` lines on stderr."""
        return [line for line in self.stderr.splitlines() if line.startswith("error:")]

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.stdout)

    def __str__(self) -> str:
        """The run for a failure report, with credential-looking words masked."""
        ending = "did not finish (killed)" if self.timed_out else f"exit {self.exit_code}"
        return masked(f"skytells {' '.join(self.args)} -> {ending}\n"
                      f"--- stdout ---\n{self.stdout}--- stderr ---\n{self.stderr}")
