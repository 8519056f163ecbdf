"""``skytells`` on a real pseudo-terminal, driven through pexpect (a test extra, imported only here, when used)."""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from skytells.testing.environment import config_dir_of
from skytells.testing.results import CliResult, shown_command

if TYPE_CHECKING:
    from skytells.testing.cli import CliRunner

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\r")


def _pexpect() -> Any:
    try:
        import pexpect  # noqa: PLC0415  # extension boundary: an optional test extra, for a pseudo-terminal
    except ImportError as error:
        raise ImportError("running skytells on a pseudo-terminal needs pexpect (pip install pexpect)") from error
    return pexpect


class CliTerminal:
    """A ``skytells`` process on a pseudo-terminal; everything it shows is kept in :attr:`output`.

    ``child`` is the ``pexpect.spawn`` object, for anything this class does not wrap.
    """

    def __init__(self, runner: CliRunner, args: tuple[str, ...], argv: Sequence[str], env: Mapping[str, str],
                 dimensions: tuple[int, int]) -> None:
        pexpect = _pexpect()
        self.runner = runner
        self.args = args
        self.config_dir = config_dir_of(env)
        self.transcript = io.StringIO()
        self.child: Any = pexpect.spawn(argv[0], list(argv[1:]), env=dict(env), encoding="utf-8",
                                        codec_errors="replace", timeout=runner.timeout, dimensions=dimensions)
        self.child.logfile_read = self.transcript

    @property
    def output(self) -> str:
        """Everything the program showed on the terminal, ANSI sequences included."""
        return self.transcript.getvalue()

    @property
    def plain(self) -> str:
        """The terminal output without ANSI escape sequences or carriage returns."""
        return _ANSI.sub("", self.output)

    def expect(self, text: str, timeout: float | None = None) -> None:
        """Wait for ``text`` (a literal string) on the terminal; fail if it never comes."""
        self._expect(self.child.expect_exact, text, repr(text), timeout)

    def expect_regex(self, pattern: str, timeout: float | None = None) -> None:
        """Wait for the regular expression ``pattern`` on the terminal; fail if it never matches."""
        self._expect(self.child.expect, pattern, f"/{pattern}/", timeout)

    def _expect(self, method: Any, pattern: str, described: str, timeout: float | None) -> None:
        pexpect = _pexpect()
        try:
            method(pattern, timeout=timeout or self.runner.timeout)
        except (pexpect.TIMEOUT, pexpect.EOF):
            self.close()
            raise AssertionError(f"{described} never appeared on the terminal of {shown_command(self.args)}:\n"
                                 f"{self.output}") from None

    def sendline(self, text: str) -> None:
        """Type ``text`` and Enter."""
        self.child.sendline(text)

    def sendintr(self) -> None:
        """Press Ctrl-C."""
        self.child.sendintr()

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the program to end; return its exit status (128 + N when killed by signal N)."""
        pexpect = _pexpect()
        try:
            self.child.expect(pexpect.EOF, timeout=timeout or self.runner.timeout)
        except pexpect.TIMEOUT:
            self.close()
            raise AssertionError(f"{shown_command(self.args)} did not end on the terminal:\n{self.output}") from None
        self.child.close()
        status = self.child.exitstatus
        if status is None:
            assert self.child.signalstatus is not None, "pexpect saw neither an exit status nor a signal"
            status = 128 + self.child.signalstatus
        self._record(status)
        return int(status)

    def close(self) -> None:
        """Kill the program if it still runs, and keep what it showed."""
        if self.child.isalive():
            self.child.terminate(force=True)
        self._record(-1)

    def _record(self, status: int) -> None:
        self.runner.finished(CliResult(self.args, status, self.output, "", self.config_dir))
