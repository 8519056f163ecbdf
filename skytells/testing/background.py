"""``skytells`` running in the background while the test does something else."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from skytells.testing.results import CliResult, shown_command

if TYPE_CHECKING:
    from skytells.testing.cli import CliRunner


class CliProcess:
    """A started ``skytells`` process; reader threads collect its stdout and stderr as they come."""

    def __init__(self, runner: CliRunner, args: tuple[str, ...], popen: subprocess.Popen[bytes],
                 config_dir: Path) -> None:
        self.runner = runner
        self.args = args
        self.popen = popen
        self.config_dir = config_dir
        self._chunks: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
        self._readers = [threading.Thread(target=self._read, args=(name,), daemon=True)
                         for name in ("stdout", "stderr")]
        for reader in self._readers:
            reader.start()

    def _read(self, name: str) -> None:
        stream = getattr(self.popen, name)
        while chunk := stream.read1(4096):
            self._chunks[name].append(chunk)

    def text(self, name: str = "stderr") -> str:
        """What the process has written to ``name`` ("stdout" or "stderr") so far."""
        return b"".join(self._chunks[name]).decode("utf-8", errors="replace")

    def wait_for_text(self, text: str, name: str = "stderr", timeout: float | None = None) -> None:
        """Block until ``text`` appears on ``name``; fail if the process ends or time runs out first."""
        deadline = time.monotonic() + (timeout or self.runner.timeout)
        while text not in self.text(name):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                self.finish(timeout=5)
                raise AssertionError(f"{text!r} never appeared on {name} of {shown_command(self.args)}:\n"
                                     f"{self.text('stderr')}")
            time.sleep(0.02)

    def write(self, data: str) -> None:
        """Send ``data`` to the process's stdin (started with ``stdin_pipe=True``) and close it."""
        assert self.popen.stdin is not None, "start the process with stdin_pipe=True"
        self.popen.stdin.write(data.encode())
        self.popen.stdin.close()

    def interrupt(self) -> None:
        """Send SIGINT, as Ctrl-C would."""
        self.popen.send_signal(signal.SIGINT)

    def finish(self, timeout: float | None = None) -> CliResult:
        """Wait for the end (killing the process after ``timeout``) and hand the result to the runner."""
        limit = timeout or self.runner.timeout
        timed_out = False
        try:
            code = self.popen.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.popen.kill()
            code = self.popen.wait()
        for reader in self._readers:
            reader.join(5)
        for stream in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        result = CliResult(self.args, code, self.text("stdout"), self.text("stderr"), self.config_dir, timed_out)
        return self.runner.finished(result, limit)
