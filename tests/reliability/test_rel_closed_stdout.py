"""Closed or broken stdout: every command that prints ends quietly, with the documented status.

Each command that writes to stdout runs with its stdout closed (``>&-``),
read-only (``1</dev/null``), full (``>/dev/full``) and as the writer of a
pipe whose reader has already gone. A broken pipe ends silently with exit
status 141 (128 + SIGPIPE); anything else that makes stdout unwritable ends
with one ``error:`` line and exit status 1. Never a traceback, never Python's
"Exception ignored" at exit, and the credentials file is left as it was.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from reliability_support import World, fake_pat

from skytells.exitcodes import ExitCode

#: Commands that print to stdout (each works, and prints, when stdout is fine).
PRINTING = [("help",), ("help", "login"), ("login", "--help"), ("--version",), ("whoami", "--offline"),
            ("whoami", "--offline", "-f", "json"), ("auth", "token", "--no-check"), ("auth", "status", "--offline"),
            ("auth", "status", "--offline", "-f", "yaml"), ("plugins",), ("api-key", "status"),
            ("api-key", "status", "-f", "shell")]
#: A shell prefix for each unwritable stdout (``"$@"`` is the skytells command line).
UNWRITABLE = {
    "closed": ('exec 1>&- && exec "$@"', "Bad file descriptor"),
    "read-only": ('exec 1</dev/null && exec "$@"', "Bad file descriptor"),
    "full": ('exec 1>/dev/full && exec "$@"', "No space left on device"),
}
NOISE = ("Traceback", "Exception ignored", "BrokenPipeError", "AttributeError")


@pytest.fixture
def logged_in(rel_world: World) -> World:
    """A world with a token that needs no refresh and an API key, and a console URL nothing listens on."""
    rel_world.point_at("http://127.0.0.1:9")
    rel_world.write_credentials({"token": fake_pat(), "api_key": "sk_" + "ab" * 24, "created_at": 1,
                                 "meta": {"token": {"method": "token", "host": "http://127.0.0.1:9"}}})
    return rel_world


def _store(world: World) -> tuple[bytes | None, int, list[str]]:
    path = world.credentials_path
    return world.credentials_bytes(), path.stat().st_mtime_ns, sorted(p.name for p in path.parent.iterdir())


@pytest.mark.parametrize("args", PRINTING, ids=" ".join)
def test_each_command_prints_when_stdout_is_fine(logged_in: World, args: tuple[str, ...]) -> None:
    run = logged_in.run(*args)
    assert run.code == 0, run
    assert run.stdout.strip() and run.stderr == ""


@pytest.mark.parametrize("how", list(UNWRITABLE))
@pytest.mark.parametrize("args", PRINTING, ids=" ".join)
def test_an_unwritable_stdout_ends_with_one_line_and_status_1(logged_in: World, args: tuple[str, ...],
                                                              how: str) -> None:
    if how == "full" and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    script, reason = UNWRITABLE[how]
    before = _store(logged_in)
    run = logged_in.run(*args, prefix=("sh", "-c", script, "sh"))
    assert run.code == ExitCode.FAILURE, run
    assert run.stderr == f"error: could not write to standard output: {reason}.\n", run
    assert _store(logged_in) == before


@pytest.mark.parametrize("debug", [(), ("--debug",)], ids=["plain", "debug"])
@pytest.mark.parametrize("args", PRINTING, ids=" ".join)
def test_a_reader_that_went_away_ends_the_run_silently_with_141(logged_in: World, args: tuple[str, ...],
                                                                 debug: tuple[str, ...]) -> None:
    before = _store(logged_in)
    argv = [*debug, *args] if args != ("--version",) else list(args)
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first byte is written: every write fails with EPIPE
    try:
        done = subprocess.run(logged_in.argv(argv), env=logged_in.environment(), stdin=subprocess.DEVNULL,
                              stdout=writer, stderr=subprocess.PIPE, timeout=60, check=False)
    finally:
        os.close(writer)
    stderr = done.stderr.decode(errors="replace")
    logged_in.record(argv, stderr)
    assert done.returncode == ExitCode.BROKEN_PIPE == 141, stderr
    assert not any(noise in stderr for noise in NOISE), stderr
    if not debug:
        assert stderr == ""
    assert _store(logged_in) == before


def test_a_closed_stdout_does_not_stop_a_command_that_prints_nothing_there(logged_in: World) -> None:
    # logout talks on stderr only; its descriptor 1 is taken by nothing the CLI opens (the store is not written there)
    run = logged_in.run("logout", "--force", prefix=("sh", "-c", 'exec 1>&- && exec "$@"', "sh"))
    assert run.code == 0, run
    assert "error" not in run.stderr
    assert "token" not in logged_in.read_credentials()
    assert logged_in.read_credentials()["api_key"] == "sk_" + "ab" * 24
