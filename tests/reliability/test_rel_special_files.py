"""What sits at the CLI's own paths is not always a regular file of ours: the real CLI against every such thing.

At ``credentials.json``, ``.credentials.lock`` and ``config.json``: a FIFO
(which used to hang every command), a character device (``/dev/zero``, read
until memory ran out), a socket, a directory, a symbolic link to each or to a
regular file, a file over the 1 MiB cap, a file of another user. Every command
that reads the store answers at once with exit 1 and one ``error:`` line
naming the path, no traceback, and nothing on disk changed (type, owner, mode,
mtime and bytes of every entry compared before and after); ``auth doctor``
reports it as ``fail`` naming the path, and never hangs either.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from reliability_support import Run, World
from skytells_sandbox.server import Sandbox

from conftest import NOBODY, is_root
from skytells.safety.safe_files import MAX_FILE_BYTES

#: Seconds a command may take here; a hang on a FIFO shows up as a timed-out run, not a blocked suite.
TIMEOUT = 20
TOKEN_JSON = {"token": "sk_pat_" + "0d" * 32, "created_at": 1_700_000_000_000}


# -- making things at a path ------------------------------------------------------------------


def make_fifo(path: Path) -> None:
    os.mkfifo(path, 0o600)


def make_device(path: Path) -> None:
    """A character device with /dev/zero's numbers (1, 5): endless zeros for whoever reads it."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except (PermissionError, AttributeError):
        pytest.skip("making a device node needs root (CAP_MKNOD)")


def make_socket(path: Path) -> None:
    """A Unix socket, bound under a short directory (sun_path holds ~108 bytes) and moved into place."""
    with tempfile.TemporaryDirectory(dir="/tmp") as short, socket.socket(socket.AF_UNIX) as listener:
        listener.bind(os.path.join(short, "s"))
        os.rename(os.path.join(short, "s"), path)


def make_directory(path: Path) -> None:
    path.mkdir(mode=0o700)
    (path / "inside").write_text("keep me")


def make_oversized(path: Path) -> None:
    path.write_bytes(b'{"token": "' + b"x" * MAX_FILE_BYTES + b'"}')
    os.chmod(path, 0o600)


def make_regular(path: Path) -> None:
    path.write_text(json.dumps(TOKEN_JSON))
    os.chmod(path, 0o600)


def linked(make: Callable[[Path], None]) -> Callable[[Path], None]:
    """A symbolic link at the path to what ``make`` makes next to it."""
    def make_link(path: Path) -> None:
        target = path.with_name(path.name + ".target")
        make(target)
        path.symlink_to(target)
    return make_link


def foreign(make: Callable[[Path], None], file_mode: int = 0o644) -> Callable[[Path], None]:
    """What ``make`` makes, handed to another user (uid 65534) with ``file_mode``."""
    def make_foreign(path: Path) -> None:
        if not is_root():
            pytest.skip("giving a file to another user needs root")
        make(path)
        os.chown(path, NOBODY, NOBODY)
        os.chmod(path, file_mode)
    return make_foreign


NOT_REGULAR = {
    "FIFO": (make_fifo, "a FIFO"),
    "character device": (make_device, "a character device"),
    "socket": (make_socket, "a socket"),
    "directory": (make_directory, "a directory"),
    "link to a FIFO": (linked(make_fifo), "symbolic link"),
    "link to a device": (linked(make_device), "symbolic link"),
    "link to a socket": (linked(make_socket), "symbolic link"),
    "link to a directory": (linked(make_directory), "symbolic link"),
    "link to a regular file": (linked(make_regular), "symbolic link"),
    "dangling link": (lambda path: path.symlink_to(path.with_name("nowhere")), "symbolic link"),
}
UNUSABLE = {
    **NOT_REGULAR,
    "over 1 MiB": (make_oversized, "larger than 1 MiB"),
    "another user's, mode 0644": (foreign(make_regular), f"belongs to another user (uid {NOBODY})"),
    "another user's, mode 0600": (foreign(make_regular, 0o600), f"belongs to another user (uid {NOBODY})"),
}


# -- what is on disk --------------------------------------------------------------------------


def snapshot(directory: Path) -> dict[str, tuple]:
    """Type, owner, mode, size, mtime and (for regular files) bytes of everything under ``directory``."""
    seen: dict[str, tuple] = {}
    for root, dirs, files in os.walk(directory):
        for name in [*dirs, *files, ""]:
            path = Path(root) / name
            info = os.lstat(path)
            data = path.read_bytes() if stat.S_ISREG(info.st_mode) else None
            seen[str(path)] = (stat.S_IFMT(info.st_mode), info.st_uid, stat.S_IMODE(info.st_mode), info.st_size,
                               info.st_mtime_ns, info.st_rdev, data)
    return seen


def prepare(world: World, name: str, make: Callable[[Path], None], *, with_credentials: bool = True) -> Path:
    """A private config directory (holding credentials unless ``name`` is their path) with ``make`` at ``name``."""
    world.config_dir.mkdir(parents=True, mode=0o700)
    if with_credentials and name != "credentials.json":
        world.write_credentials(TOKEN_JSON)
    path = world.config_dir / name
    make(path)
    return path


def assert_refused(run: Run, path: Path, says: str) -> None:
    assert not run.timed_out, f"hung: {run}"
    assert run.code == 1, run
    assert "Traceback" not in run.output, run
    assert len(run.error_lines) == 1, run
    assert str(path) in run.error_lines[0] and says in run.error_lines[0], run
    assert run.stderr.strip().splitlines()[-1].startswith("error:"), run


def reading_commands(sandbox: Sandbox) -> list[tuple[tuple[str, ...], str | None]]:
    """Every command that reads the store, with what it gets on stdin."""
    return [(("whoami", "--offline"), None), (("auth", "status", "--offline"), None),
            (("login", "--token", "--force"), sandbox.issue_token()), (("link", "-"), sandbox.issue_project_key()),
            (("logout", "--force"), None), (("api-key", "status"), None)]


def run(world: World, args: tuple[str, ...], stdin: str | None) -> Run:
    return world.run(*args, input=stdin + "\n" if stdin else None, timeout=TIMEOUT)


def doctor_findings(world: World) -> tuple[Run, dict[str, dict]]:
    done = world.run("auth", "doctor", "--offline", "-f", "json", timeout=TIMEOUT)
    assert not done.timed_out, f"the doctor hung: {done}"
    assert "Traceback" not in done.output, done
    return done, {row["check"]: row for row in json.loads(done.stdout)}


# -- credentials.json -------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "says"), UNUSABLE.values(), ids=UNUSABLE.keys())
def test_a_credentials_path_that_is_not_a_regular_file_of_ours(rel_world: World, rel_sandbox: Sandbox,
                                                               make: Callable[[Path], None], says: str) -> None:
    path = prepare(rel_world, "credentials.json", make)
    before = snapshot(rel_world.config_dir)
    for args, stdin in reading_commands(rel_sandbox):
        assert_refused(run(rel_world, args, stdin), path, says)
        assert snapshot(rel_world.config_dir) == before, args
    doctor, findings = doctor_findings(rel_world)
    assert doctor.code == 1
    failed = [row for row in findings.values() if row["status"] == "fail" and str(path) in row["detail"]]
    assert failed, findings
    assert "credentials content" not in findings  # the doctor does not read what the store would refuse
    assert snapshot(rel_world.config_dir) == before
    assert rel_sandbox.requests_seen == []  # refused before any credential was sent anywhere


def test_an_empty_credentials_file_is_a_clean_error_too(rel_world: World, rel_sandbox: Sandbox) -> None:
    rel_world.write_credentials(b"")
    path = rel_world.credentials_path
    before = snapshot(rel_world.config_dir)
    for args, stdin in reading_commands(rel_sandbox):
        assert_refused(run(rel_world, args, stdin), path, "left untouched")
    assert snapshot(rel_world.config_dir) == before
    _doctor, findings = doctor_findings(rel_world)
    assert findings["credentials content"]["status"] == "fail"


def test_a_file_at_exactly_the_cap_is_read(rel_world: World) -> None:
    document = json.dumps({**TOKEN_JSON, "padding": ""})
    padded = json.dumps({**TOKEN_JSON, "padding": "p" * (MAX_FILE_BYTES - len(document))})
    assert len(padded) == MAX_FILE_BYTES
    rel_world.write_credentials(padded)
    done = rel_world.run("whoami", "--offline", timeout=TIMEOUT)
    assert done.code == 0, done


# -- another user's files: reported, never touched ----------------------------------------------


def test_a_directory_of_another_user_with_a_loose_mode_is_reported_and_left_alone(rel_world: World) -> None:
    if not is_root():
        pytest.skip("giving a directory to another user needs root")
    rel_world.write_credentials(TOKEN_JSON)
    os.chown(rel_world.config_dir, NOBODY, NOBODY)
    os.chmod(rel_world.config_dir, 0o755)  # noqa: S103 - the loose mode under test
    before = snapshot(rel_world.config_dir)
    done = rel_world.run("whoami", "--offline", timeout=TIMEOUT)
    assert done.code == 0, done
    assert f"warning: {rel_world.config_dir} is accessible to other users (mode 755) and belongs to uid {NOBODY}" \
           in done.stderr, done
    assert snapshot(rel_world.config_dir) == before
    for args in (("logout", "--force"), ("api-key", "rm")):  # writing there is refused as before
        refused = rel_world.run(*args, timeout=TIMEOUT)
        assert_refused(refused, rel_world.config_dir, f"belongs to another user (uid {NOBODY})")
        assert snapshot(rel_world.config_dir) == before


# -- the lock file ------------------------------------------------------------------------------

LOCK_UNUSABLE = {key: NOT_REGULAR[key] for key in ("FIFO", "character device", "socket", "directory",
                                                   "link to a FIFO", "link to a regular file", "dangling link")}
LOCK_UNUSABLE["another user's"] = (foreign(lambda path: path.write_bytes(b""), 0o600),
                                   f"belongs to another user (uid {NOBODY})")


@pytest.mark.parametrize(("make", "says"), LOCK_UNUSABLE.values(), ids=LOCK_UNUSABLE.keys())
def test_a_lock_path_that_is_not_a_regular_file_of_ours(rel_world: World, rel_sandbox: Sandbox,
                                                        make: Callable[[Path], None], says: str) -> None:
    path = prepare(rel_world, ".credentials.lock", make)
    before = snapshot(rel_world.config_dir)
    for args, stdin in [(("login", "--token", "--force"), rel_sandbox.issue_token()),
                        (("link", "-"), rel_sandbox.issue_project_key()), (("logout", "--force"), None)]:
        assert_refused(run(rel_world, args, stdin), path, says)
        assert snapshot(rel_world.config_dir) == before, args
    reading = rel_world.run("whoami", "--offline", timeout=TIMEOUT)  # reading takes no lock
    assert reading.code == 0, reading
    doctor, findings = doctor_findings(rel_world)
    assert doctor.code == 1
    assert findings["lock file"]["status"] == "fail" and str(path) in findings["lock file"]["detail"], findings
    assert snapshot(rel_world.config_dir) == before


# -- config.json --------------------------------------------------------------------------------

CONFIG_UNUSABLE = {key: UNUSABLE[key] for key in ("FIFO", "character device", "socket", "directory",
                                                  "link to a FIFO", "link to a device", "link to a regular file",
                                                  "over 1 MiB", "another user's, mode 0644")}


@pytest.mark.parametrize(("make", "says"), CONFIG_UNUSABLE.values(), ids=CONFIG_UNUSABLE.keys())
def test_a_config_json_that_is_not_a_regular_file_of_ours(rel_world: World, rel_sandbox: Sandbox,
                                                          make: Callable[[Path], None], says: str) -> None:
    path = prepare(rel_world, "config.json", make)
    before = snapshot(rel_world.config_dir)
    for args, stdin in reading_commands(rel_sandbox):
        assert_refused(run(rel_world, args, stdin), path, says)
    assert snapshot(rel_world.config_dir) == before
    doctor, findings = doctor_findings(rel_world)
    assert doctor.code == 1
    assert findings["credential store"]["status"] == "fail", findings
    assert str(path) in findings["credential store"]["detail"] and says in findings["credential store"]["detail"]
    assert findings["credentials content"]["status"] == "ok"  # the rest is still checked
    assert snapshot(rel_world.config_dir) == before
    assert rel_sandbox.requests_seen == []


def test_a_store_chosen_by_the_environment_does_not_read_config_json(rel_world: World) -> None:
    prepare(rel_world, "config.json", make_fifo)
    done = rel_world.run("whoami", "--offline", env={"SKYTELLS_CREDENTIAL_STORE": "file"}, timeout=TIMEOUT)
    assert done.code == 0, done
