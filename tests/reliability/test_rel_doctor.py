"""``skytells auth doctor`` finds what is wrong with a machine's setup, plain and ``-f json``.

Exit 0 when every check is ok or informational, 1 when one warns or fails.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
from pathlib import Path

import pytest
from reliability_support import HostileServer, World, html_reply, json_reply, leaks, stall
from skytells_sandbox.server import Sandbox

from skytells.safety.safe_files import MAX_FILE_BYTES


def doctor(world: World, *extra: str, env: dict[str, str | None] | None = None) -> tuple[int, dict[str, dict], str]:
    """Run the doctor in both formats; return the exit code, the JSON findings by check, and the plain text."""
    plain = world.run("auth", "doctor", *extra, env=env, timeout=30)
    as_json = world.run("auth", "doctor", "-f", "json", *extra, env=env, timeout=30)
    assert plain.code == as_json.code, (plain, as_json)
    assert "Traceback" not in plain.output + as_json.output
    findings = {row["check"]: row for row in json.loads(as_json.stdout)}
    for check, row in findings.items():
        assert check in plain.stdout and row["status"] in ("ok", "info", "warn", "fail")
    return plain.code, findings, plain.stdout


def _logged_in(world: World, sandbox: Sandbox) -> str:
    token = sandbox.issue_token()
    assert world.run("login", "--token", input=token + "\n").code == 0
    return token


def test_all_well_is_exit_0(rel_world: World, rel_sandbox: Sandbox) -> None:
    _logged_in(rel_world, rel_sandbox)
    code, findings, _text = doctor(rel_world)
    assert code == 0, findings
    assert findings["credentials file mode"]["detail"] == "0600"
    assert findings["config directory mode"]["detail"] == "0700"
    assert findings["server"]["status"] == "ok"
    assert findings["clock skew"]["status"] == "ok"


@pytest.mark.parametrize(("file_mode", "dir_mode", "check"), [(0o644, 0o700, "credentials file mode"),
                                                              (0o600, 0o755, "config directory mode")])
def test_loose_modes(rel_world: World, rel_sandbox: Sandbox, file_mode: int, dir_mode: int, check: str) -> None:
    rel_world.write_credentials({"token": rel_sandbox.issue_token()}, file_mode=file_mode, dir_mode=dir_mode)
    code, findings, _text = doctor(rel_world, "--offline")
    assert code == 1
    assert findings[check]["status"] == "warn"
    assert "chmod" in findings[check]["detail"]


def test_a_symbolic_link(rel_world: World, rel_sandbox: Sandbox, tmp_path) -> None:
    target = tmp_path / "real.json"
    target.write_text("{}")
    rel_world.config_dir.mkdir(parents=True, mode=0o700)
    rel_world.credentials_path.symlink_to(target)
    code, findings, _text = doctor(rel_world, "--offline")
    assert code == 1
    assert findings["credentials file link"]["status"] == "fail"


def test_a_file_owned_by_another_user(rel_world: World, rel_sandbox: Sandbox) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    rel_world.write_credentials({"token": rel_sandbox.issue_token()})
    os.chown(rel_world.credentials_path, 65534, 65534)
    code, findings, _text = doctor(rel_world, "--offline")
    assert code == 1
    assert findings["credentials file owner"]["status"] == "fail"
    assert "uid 65534" in findings["credentials file owner"]["detail"]
    assert "credentials content" not in findings  # not read, as the store would not read it


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    except PermissionError:
        pytest.skip("making a device node needs root")


def _socket(path: Path) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as short, socket.socket(socket.AF_UNIX) as listener:
        listener.bind(os.path.join(short, "s"))
        os.rename(os.path.join(short, "s"), path)


SPECIAL = {"FIFO": (_fifo, "is a FIFO"), "character device": (_device, "is a character device"),
           "socket": (_socket, "is a socket"), "directory": (Path.mkdir, "is a directory"),
           "over 1 MiB": (lambda path: path.write_bytes(b" " * (MAX_FILE_BYTES + 1)), "is larger than 1 MiB")}


@pytest.mark.parametrize(("make", "says"), SPECIAL.values(), ids=SPECIAL.keys())
def test_a_credentials_path_that_is_not_a_regular_file(rel_world: World, make, says: str) -> None:
    rel_world.config_dir.mkdir(parents=True, mode=0o700)
    make(rel_world.credentials_path)
    code, findings, _text = doctor(rel_world, "--offline")  # a FIFO never hangs it: both runs must finish
    assert code == 1
    row = findings["credentials file"]
    assert row["status"] == "fail" and f"{rel_world.credentials_path} {says}" in row["detail"], row
    assert "credentials content" not in findings


@pytest.mark.parametrize(("make", "says"), [SPECIAL["FIFO"], SPECIAL["directory"],
                                            (lambda path: path.symlink_to("/dev/zero"), "is a symbolic link")],
                         ids=["FIFO", "directory", "link to /dev/zero"])
def test_a_lock_path_that_is_not_a_regular_file(rel_world: World, make, says: str) -> None:
    rel_world.write_credentials({"token": "sk_pat_" + "0e" * 32})
    lock = rel_world.config_dir / ".credentials.lock"
    make(lock)
    code, findings, _text = doctor(rel_world, "--offline")
    assert code == 1
    assert findings["lock file"]["status"] == "fail" and f"{lock} {says}" in findings["lock file"]["detail"]
    assert findings["credentials content"]["status"] == "ok"


def test_a_config_directory_that_is_not_a_directory(rel_world: World) -> None:
    rel_world.config_dir.parent.mkdir(parents=True)
    os.mkfifo(rel_world.config_dir)
    code, findings, _text = doctor(rel_world, "--offline")
    assert code == 1
    row = findings["config directory"]
    assert row["status"] == "fail" and f"{rel_world.config_dir} is a FIFO" in row["detail"], row


def test_a_store_inside_a_git_work_tree(rel_world: World, rel_sandbox: Sandbox) -> None:
    project = rel_world.root / "project"
    (project / ".git").mkdir(parents=True)
    rel_world.config_dir = project / ".skytells"
    rel_world.env["SKYTELLS_CONFIG_DIR"] = str(rel_world.config_dir)
    _logged_in(rel_world, rel_sandbox)
    code, findings, _text = doctor(rel_world, "--offline")
    assert code == 1
    assert findings["git work tree"]["status"] == "warn"
    assert str(project) in findings["git work tree"]["detail"]


def test_environment_overrides_and_proxy_credentials(rel_world: World, rel_sandbox: Sandbox) -> None:
    token = _logged_in(rel_world, rel_sandbox)
    env = {"SKYTELLS_TOKEN": token, "SKYTELLS_API_KEY": "sbx_key_" + "1" * 48,
           "HTTPS_PROXY": "http://alice:pr0xy-s3cret@proxy.example:3128", "NO_PROXY": "127.0.0.1,localhost"}
    code, findings, _text = doctor(rel_world, env=env)
    assert code == 0, findings  # overrides are worth knowing, not wrong
    assert findings["SKYTELLS_TOKEN"]["status"] == "info"
    assert "overrides the stored credential" in findings["SKYTELLS_TOKEN"]["detail"]
    assert "proxy.example:3128" in findings["HTTPS_PROXY"]["detail"]
    for run in rel_world.runs[-2:]:
        assert "pr0xy-s3cret" not in run.output and "alice" not in run.output
        assert leaks([("doctor", run.output)], [token, env["SKYTELLS_API_KEY"]]) == []
    assert findings["server"]["status"] == "ok"  # NO_PROXY kept the check on loopback


def test_a_missing_ca_bundle(rel_world: World) -> None:
    code, findings, _text = doctor(rel_world, "--offline", env={"REQUESTS_CA_BUNDLE": "/nonexistent/ca.pem"})
    assert code == 1
    assert findings["REQUESTS_CA_BUNDLE"]["status"] == "fail"


@pytest.mark.parametrize("hours", [3, -3])
def test_clock_skew_against_the_servers_date(rel_world: World, rel_hostile: type[HostileServer], hours: int) -> None:
    server = rel_hostile({"/api/v1/health": json_reply(200, {"status": "ok"})}, date_offset=hours * 3600)
    rel_world.point_at(server.url)
    code, findings, _text = doctor(rel_world)
    assert code == 1
    assert findings["clock skew"]["status"] == "warn"
    skew = int(findings["clock skew"]["detail"].split(" s ")[0])
    assert abs(skew + hours * 3600) <= 5, findings["clock skew"]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("how", ["closed port", "no answer", "HTML page", "HTTP 503"])
def test_an_unreachable_or_broken_server(rel_world: World, rel_hostile: type[HostileServer], how: str) -> None:
    behaviour = {"no answer": stall, "HTML page": html_reply(200), "HTTP 503": json_reply(503, {})}.get(how)
    url = f"http://127.0.0.1:{_closed_port()}" if behaviour is None else rel_hostile({"/api/v1/health": behaviour}).url
    rel_world.point_at(url)
    code, findings, _text = doctor(rel_world, env={"SKYTELLS_HTTP_TIMEOUT": "0.5"})
    assert code == 1
    assert findings["server"]["status"] == "fail"
    assert url.removeprefix("http://") in findings["server"]["detail"]
    assert "\n" not in findings["server"]["detail"]
    assert findings["SKYTELLS_HTTP_TIMEOUT"]["detail"] == "0.5"
