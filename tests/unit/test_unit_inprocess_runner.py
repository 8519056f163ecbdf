"""The in-process runner: the same results as the executable, and nothing left behind in the test's process.

The parity test is also the suite's smoke test through the real console
script for every command family, now that most end-to-end runs happen in
the test's process.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from skytells.safety import redaction
from skytells.testing import CliRunner, InProcessRunner, run_in_process
from skytells.testing.environment import isolated_environment

#: One command line per command family, run in order against one sandbox (token, then key, then logout).
FAMILIES: list[tuple[tuple[str, ...], bool]] = [
    (("--version",), False),
    (("help",), False),
    (("whoami", "--offline"), False),
    (("login", "--token"), True),
    (("whoami", "-f", "json"), False),
    (("auth", "status"), False),
    (("auth", "doctor", "--offline", "-f", "json"), False),
    (("link", "-"), True),
    (("api-key", "status"), False),
    (("plugins", "-f", "value", "-c", "name"), False),
    (("logout",), False),
    (("no-such-command",), False),
]


#: Moments (saved_at) differ between two logins a second apart.
_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[^\s\"|]*")


def _normalised(text: str, root: Path) -> str:
    return _MOMENT.sub("<moment>", text.replace(str(root), "<root>"))


def test_each_command_family_gives_the_same_result_in_process_and_as_the_executable(
        tmp_path: Path, skytells_sandbox: Any) -> None:
    token, key = skytells_sandbox.issue_token(), skytells_sandbox.issue_project_key("Parity")
    results: dict[str, list[tuple[int, str, str]]] = {}
    for runner_class, directory in ((CliRunner, "executable"), (InProcessRunner, "in-process")):
        root = tmp_path / directory  # paths of one length: tables are as wide
        with runner_class(root) as runner:
            runner.use_sandbox(skytells_sandbox)
            results[runner_class.__name__] = [
                (run.code, _normalised(run.stdout, root), _normalised(run.stderr, root))
                for run in (runner.run(*args, input=(key if args[0] == "link" else token) + "\n" if piped else None)
                            for args, piped in FAMILIES)]
    for (args, _piped), real, in_process in zip(FAMILIES, results["CliRunner"], results["InProcessRunner"],
                                                 strict=True):
        assert in_process == real, f"skytells {' '.join(args)}"
    assert [code for code, _out, _err in results["CliRunner"]] != [0] * len(FAMILIES)  # failures are compared too


def test_a_run_leaves_the_process_as_it_found_it(tmp_path: Path) -> None:
    streams = (sys.stdin, sys.stdout, sys.stderr, sys.__stdout__, sys.argv)
    environment = dict(os.environ)
    root_logger = logging.getLogger()
    handlers, level = list(root_logger.handlers), root_logger.level
    mask = os.umask(0o022)
    os.umask(mask)
    sigint = signal.getsignal(signal.SIGINT)
    runner = InProcessRunner(tmp_path)
    log_file = tmp_path / "run.log"
    runner.secret("sk_pat_" + "c0" * 32)
    result = runner.run("--debug", "--log-file", str(log_file), "whoami",
                        env={"SKYTELLS_TOKEN": "sk_pat_" + "c0" * 32, "TZ": "Asia/Tokyo"}, umask=0o077)
    assert result.code == 1, result  # no server to check the token with
    assert (sys.stdin, sys.stdout, sys.stderr, sys.__stdout__, sys.argv) == streams
    assert dict(os.environ) == environment
    assert (list(root_logger.handlers), root_logger.level) == (handlers, level)
    assert os.umask(mask) == mask
    assert signal.getsignal(signal.SIGINT) == sigint
    assert redaction.redact("c0c0c0c0c0c0c0c0c0c0") == "c0c0c0c0c0c0c0c0c0c0"  # the run's secrets are forgotten
    assert log_file.exists()
    runner.check_canary()


def test_stdin_stdout_and_stderr_are_files_on_descriptors_0_1_and_2(tmp_path: Path) -> None:
    def entry(argv: list[str]) -> int:
        os.write(1, b"fd1 ")
        sys.stdout.write(f"{sys.stdin.read()!r} {sys.stdin.isatty()} {sys.stdout.isatty()}\n")
        os.write(2, b"fd2\n")
        return 3

    result = run_in_process(["x"], isolated_environment(tmp_path), input="typed\r\n", entry=entry)
    assert (result.code, result.stdout, result.stderr) == (3, "fd1 'typed\\r\\n' False False\n",
                                                           "fd2\n")


def test_an_exception_escaping_main_is_a_traceback_and_status_1(tmp_path: Path) -> None:
    def entry(argv: list[str]) -> int:
        raise RuntimeError("boom")

    result = run_in_process([], isolated_environment(tmp_path), entry=entry)
    assert result.code == 1
    assert "Traceback" in result.stderr and "RuntimeError: boom" in result.stderr


def test_a_run_that_outlives_its_timeout_is_interrupted_and_reported(tmp_path: Path) -> None:
    def entry(argv: list[str]) -> int:
        print("started", flush=True)
        time.sleep(30)
        return 0

    began = time.monotonic()
    result = run_in_process([], isolated_environment(tmp_path), timeout=0.5, entry=entry)
    assert time.monotonic() - began < 10
    assert result.timed_out and result.code == -1 and result.stdout == "started\n"


def test_an_environment_that_sets_up_the_interpreter_runs_the_executable(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys; sys.stderr.write('own process\\n')\n")
    runner = InProcessRunner(tmp_path / "cli")
    runner.env["PYTHONPATH"] = str(site)
    assert runner.process_needed(runner.env) is not None
    result = runner.run("--version")
    assert result.code == 0 and "own process" in result.stderr  # only a new interpreter reads PYTHONPATH
    assert InProcessRunner(tmp_path / "other").process_needed(isolated_environment(tmp_path / "other")) is None


@pytest.mark.parametrize("options", [{"program": ["true"]}, {"prefix": ["env"]}, {"preexec_fn": lambda: None}])
def test_another_program_a_wrapper_or_a_preexec_fn_needs_a_process(tmp_path: Path, options: dict[str, Any]) -> None:
    runner = InProcessRunner(tmp_path)
    assert runner.process_needed(runner.env, **options) is not None
