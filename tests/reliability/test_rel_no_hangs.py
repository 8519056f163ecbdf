"""No hang without a person: no terminal, stdin empty or closed, Ctrl-C at any point.

Without a terminal, a command that would prompt reads stdin as documented or
exits 2 naming the flag to use. SIGINT (Ctrl-C) while waiting on the network,
on the store's lock, or at a prompt exits 130 and leaves the store byte for
byte as it was, with no temporary file. A CLI started with SIGINT ignored (as
a shell starts a background job) keeps ignoring it, as programs do.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

import pexpect
import pytest
from reliability_support import PYTHON, HostileServer, World, stall
from skytells_sandbox.server import Sandbox

from skytells.testing.sandbox import wait_for_polls

STDIN_MODES = ["empty", "closed"]
# Runs a command with SIGINT ignored, as a non-interactive shell starts a background job (``skytells login &``).
SIGINT_IGNORED = (PYTHON, "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                                "os.execv(sys.argv[1], sys.argv[1:])")


def _stored(world: World, sandbox: Sandbox, host: str | None = None) -> bytes:
    """A store holding a token (issued by ``host``, default the sandbox), a project key and an API key."""
    return world.write_credentials({"token": sandbox.issue_token(), "access_key": sandbox.issue_project_key(),
                                    "api_key": sandbox.issue_api_key(), "created_at": 1_700_000_000_000,
                                    "meta": {"token": {"method": "token", "host": host or sandbox.url}}})


@pytest.mark.parametrize("stdin", STDIN_MODES)
@pytest.mark.parametrize(("args", "says"), [
    (("login", "--token"), "No personal access token on standard input."),
    (("link", "-"), "No project access key on standard input."),
    (("api-key", "set"), "No API key on standard input."),
    (("logout",), "--force"),
    (("--profile", "p2", "logout"), None),  # nothing stored in p2: nothing to ask
])
def test_prompting_commands_without_a_terminal_exit_2_naming_what_to_do(rel_world: World, rel_sandbox: Sandbox,
                                                                         stdin: str, args: tuple[str, ...],
                                                                         says: str | None) -> None:
    before = _stored(rel_world, rel_sandbox)
    run = rel_world.run(*args, close_stdin=stdin == "closed", timeout=20)
    assert not run.timed_out
    assert "Traceback" not in run.output, run
    if says is None:
        assert run.code == 0, run
    else:
        assert run.code == 2, run
        assert len(run.error_lines) == 1 and says in run.error_lines[0], run
    assert rel_world.credentials_bytes() == before


@pytest.mark.parametrize("stdin", STDIN_MODES)
def test_every_command_finishes_without_a_terminal(rel_world: World, rel_sandbox: Sandbox, stdin: str) -> None:
    _stored(rel_world, rel_sandbox)
    commands = [("whoami",), ("whoami", "--offline"), ("auth", "status"), ("auth", "token"), ("auth", "doctor"),
                ("api-key", "status"), ("auth", "switch", "nope"), ("help",), ("plugins",), ("api-key", "rm"),
                ("logout", "--force")]
    for args in commands:
        run = rel_world.run(*args, close_stdin=stdin == "closed", timeout=20)
        assert not run.timed_out and "Traceback" not in run.output, run
        assert run.code in ((0, 2, 4) if args == ("auth", "switch", "nope") else (0, 2)), run


def test_login_when_already_logged_in_does_not_wait_for_an_answer(rel_world: World, rel_sandbox: Sandbox) -> None:
    _stored(rel_world, rel_sandbox)
    process = rel_world.start("login", "--no-browser")
    rel_sandbox.approve(rel_sandbox.wait_for_device_request(timeout=20))
    run = process.finish(timeout=20)
    assert run.code == 0, run
    # Said after the new token is saved, never before anything happened (an error would then contradict it).
    lines = run.stderr.splitlines()
    assert lines.index("  It replaced the token stored before.") > lines.index("✔ Authenticated successfully!")


# -- Ctrl-C ---------------------------------------------------------------------------------------


def _interrupted(world: World, process, before: bytes) -> None:
    process.interrupt()
    run = process.finish(timeout=20)
    assert run.code == 130, run
    assert "Traceback" not in run.output, run
    assert world.credentials_bytes() == before
    assert world.temporaries() == []


def test_ctrl_c_while_waiting_for_the_browser(rel_world: World, rel_sandbox: Sandbox) -> None:
    before = _stored(rel_world, rel_sandbox)
    process = rel_world.start("login", "--no-browser", default_sigint=True)
    user_code = rel_sandbox.wait_for_device_request(timeout=20)
    deadline = time.monotonic() + 20
    while rel_sandbox.device_request(user_code).polls < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    _interrupted(rel_world, process, before)
    rel_sandbox.approve(user_code)  # approving afterwards changes nothing
    assert rel_world.credentials_bytes() == before


@pytest.mark.parametrize(("args", "path"), [(("login", "--token"), "/api/v1/cli/projects"),
                                            (("link", "-"), "/api/v1/cli/project"),
                                            (("api-key", "set"), "/v1/models"),
                                            (("whoami",), "/api/v1/cli/projects"),
                                            (("auth", "doctor"), "/api/v1/health")])
def test_ctrl_c_while_the_server_does_not_answer(rel_world: World, rel_sandbox: Sandbox,
                                                rel_hostile: type[HostileServer], args: tuple[str, ...],
                                                path: str) -> None:
    server = rel_hostile({path: stall})
    before = _stored(rel_world, rel_sandbox, host=server.url)
    rel_world.point_at(server.url)
    secret = {"login": "sk_pat_" + "c" * 64, "link": "sk_proj_" + "d" * 48, "api-key": "sbx_key_" + "e" * 48}
    process = rel_world.start(*args, stdin_pipe=True, default_sigint=True,
                              env={"SKYTELLS_AI_API_URL": server.url + "/v1", "SKYTELLS_HTTP_TIMEOUT": "30"})
    process.write(secret.get(args[0], "") + "\n")
    deadline = time.monotonic() + 20
    while not server.requests_to(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.requests_to(path)
    _interrupted(rel_world, process, before)


def _wait_until_open(pid: int, path: Path, timeout: float = 20.0) -> None:
    """Block until process ``pid`` holds ``path`` open (read from /proc), so a signal finds it past start-up."""
    descriptors = Path(f"/proc/{pid}/fd")
    if not descriptors.is_dir():
        pytest.skip("needs /proc to see the files a process holds open")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if any(os.readlink(fd) == str(path.resolve()) for fd in descriptors.iterdir()):
                return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} never opened {path}")


def test_ctrl_c_while_waiting_for_the_stores_lock(rel_world: World, rel_sandbox: Sandbox) -> None:
    before = _stored(rel_world, rel_sandbox)
    lock = os.open(rel_world.config_dir / ".credentials.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another skytells process is saving
        process = rel_world.start("api-key", "rm", default_sigint=True)
        _wait_until_open(process.popen.pid, rel_world.config_dir / ".credentials.lock")  # now polling for it
        assert process.popen.poll() is None
        _interrupted(rel_world, process, before)
    finally:
        os.close(lock)


@pytest.mark.parametrize(("args", "prompt"), [(("logout",), "Log out and remove the stored token"),
                                              (("login",), "Replace the stored token?"),
                                              (("login", "--token"), "Paste your personal access token"),
                                              (("link", "-"), "Paste your project access key"),
                                              (("api-key", "set"), "Paste your API key")])
def test_ctrl_c_at_a_prompt(rel_world: World, rel_sandbox: Sandbox, args: tuple[str, ...], prompt: str) -> None:
    before = _stored(rel_world, rel_sandbox)
    if args == ("login", "--token"):
        args = ("login", "--token", "-f")  # straight to the hidden prompt
    child = rel_world.spawn(*args, default_sigint=True)
    try:
        child.expect_exact(prompt, timeout=20)
        child.sendintr()
        child.expect(pexpect.EOF, timeout=20)
    finally:
        child.close()
    assert child.exitstatus == 130, child.before
    assert "Traceback" not in (child.before or "")
    assert rel_world.credentials_bytes() == before
    assert rel_world.temporaries() == []


def test_a_cli_started_with_sigint_ignored_keeps_ignoring_it(rel_world: World, rel_sandbox: Sandbox) -> None:
    before = _stored(rel_world, rel_sandbox)
    process = rel_world.start("login", "--no-browser", prefix=SIGINT_IGNORED)
    user_code = rel_sandbox.wait_for_device_request(timeout=20)
    assert wait_for_polls(rel_sandbox, user_code, 1, timeout=20)
    process.interrupt()
    polls = rel_sandbox.device_request(user_code).polls
    assert wait_for_polls(rel_sandbox, user_code, polls + 1, timeout=20)  # still polling after the SIGINT
    rel_sandbox.approve(user_code)
    run = process.finish(timeout=20)
    assert run.code == 0, run
    assert "Interrupted" not in run.stderr
    assert rel_world.credentials_bytes() != before
