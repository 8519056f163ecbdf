"""The secret canary: every command, plain and with --debug and --log-file, never shows a secret.

Every token, project key, API key and device code the run handles is a
canary. After every command has run (successes and failures, with credentials
from the store and from the environment), stdout, stderr and the log files are
searched for each canary and for every 12-character piece of one; so are all
files in HOME, the cache and TMPDIR other than the store and its lock. The one
exception is the stdout of ``auth token``, whose purpose is to print the token.
The process list is checked while commands that hold a secret are running.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from reliability_canary import secret_canary
from reliability_support import HostileServer, World, fake_pat, leaks, stall
from skytells_sandbox.server import Sandbox


def test_no_command_shows_a_secret_anywhere(rel_world: World, rel_sandbox: Sandbox) -> None:
    report = secret_canary(rel_world, rel_sandbox)
    assert report.unexpected == [], "\n".join(report.unexpected)
    assert len(report.secrets) >= 30 and report.commands >= 90
    assert report.found == [], "\n".join(report.found)

    # The canary is armed: the traffic is in the logs, tracebacks were produced, the token is on auth token's stdout.
    debug_log = (rel_world.root / "logs" / "debug.log").read_text()
    assert "GET /api/v1/cli/projects" in debug_log
    assert "Traceback" in debug_log + "".join(r.stderr for r in rel_world.runs)
    assert leaks([("auth token", r.stdout) for r in rel_world.runs if id(r) in report.token_runs], report.secrets)


def _process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def _argument_lists(pid: int) -> list[str]:
    lists = []
    for member in _process_tree(pid):
        with contextlib.suppress(OSError):
            lists.append((Path("/proc") / str(member) / "cmdline").read_bytes().replace(b"\0", b" ").decode())
    return lists


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads the process list from /proc")
@pytest.mark.parametrize(("args", "path"), [(("login", "--token"), "/api/v1/cli/projects"),
                                            (("link", "-"), "/api/v1/cli/project"),
                                            (("api-key", "set"), "/v1/models")])
def test_no_secret_in_the_process_list_while_a_command_holds_one(rel_world: World, rel_hostile: type[HostileServer],
                                                                 args: tuple[str, ...], path: str) -> None:
    server = rel_hostile({path: stall})  # the command waits here, the secret in its memory
    rel_world.point_at(server.url)
    secret = {"login": fake_pat(), "link": "sk_proj_" + "a" * 48, "api-key": "sbx_key_" + "b" * 48}[args[0]]
    process = rel_world.start(*args, stdin_pipe=True, env={"SKYTELLS_AI_API_URL": server.url + "/v1",
                                                          "SKYTELLS_HTTP_TIMEOUT": "10"})
    process.write(secret + "\n")
    deadline = time.monotonic() + 20
    while not server.requests_to(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.requests_to(path), "the command never reached the server"
    seen = _argument_lists(process.popen.pid)
    server.stopping.set()
    process.finish()
    assert seen and leaks([("argv", " ".join(seen))], [secret]) == []


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads the process list from /proc")
def test_no_secret_in_the_process_list_during_a_device_login(rel_world: World, rel_sandbox: Sandbox) -> None:
    process = rel_world.start("login", "--no-browser")
    user_code = rel_sandbox.wait_for_device_request(timeout=30)
    device_code = rel_sandbox.device_request(user_code).device_code
    seen = _argument_lists(process.popen.pid)
    rel_sandbox.approve(user_code)
    assert process.finish().code == 0
    token = rel_world.read_credentials()["token"]
    assert seen and leaks([("argv", " ".join(seen))], [device_code, token]) == []
