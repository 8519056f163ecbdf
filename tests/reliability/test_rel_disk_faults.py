"""The real CLI against a disk that says no: full, over quota, read-only, not ours, a symbolic link.

Each case: exit 1, one ``error:`` line that names the path, no traceback, the
old credentials file byte for byte, and no temporary file left behind.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
from pathlib import Path

import pytest
from reliability_support import Run, World
from skytells_sandbox.server import Sandbox

from conftest import NOBODY, is_root

OLD = {"token": "sk_pat_" + "0a" * 32, "api_key": "sbx_key_" + "0b" * 24, "created_at": 1_700_000_000_000,
       "other_tool": {"keep": "me"}}


def assert_refused_cleanly(world: World, run: Run, before: bytes, named: Path) -> None:
    assert run.code == 1, run
    assert "Traceback" not in run.output, run
    assert len(run.error_lines) == 1, run
    assert str(named) in run.error_lines[0], run
    assert world.credentials_bytes() == before
    assert world.temporaries() == []


def link(world: World, key: str, **kwargs) -> Run:
    return world.run("link", "-", input=key + "\n", **kwargs)


def test_a_full_disk(rel_world: World, rel_sandbox: Sandbox, rel_small_filesystem: Path) -> None:
    rel_world.config_dir = rel_small_filesystem / "skytells"
    rel_world.env["SKYTELLS_CONFIG_DIR"] = str(rel_world.config_dir)
    before = rel_world.write_credentials(OLD)
    assert rel_world.run("api-key", "status").code == 0  # the store reads fine
    (rel_world.config_dir / ".credentials.lock").touch(mode=0o600)  # an empty file needs no data block
    filler = rel_small_filesystem / "filler"
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
        except OSError as error:
            assert error.errno == errno.ENOSPC
    run = link(rel_world, rel_sandbox.issue_project_key())
    assert "No space left on device" in run.stderr, run
    assert "previous file is unchanged" in run.stderr, run
    assert_refused_cleanly(rel_world, run, before, rel_world.credentials_path)
    filler.unlink()
    assert link(rel_world, rel_sandbox.issue_project_key()).code == 0  # space again: it works


def test_a_file_size_limit(rel_world: World, rel_sandbox: Sandbox) -> None:
    """RLIMIT_FSIZE makes the write fail with EFBIG; no privileges needed."""
    before = rel_world.write_credentials(OLD)

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    run = link(rel_world, rel_sandbox.issue_project_key(), preexec_fn=limit)
    assert "File too large" in run.stderr, run
    assert_refused_cleanly(rel_world, run, before, rel_world.credentials_path)


def _read_only_remount(path: Path) -> None:
    done = subprocess.run([shutil.which("mount") or "/bin/mount", "-o", "remount,ro", str(path)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot remount read-only: {done.stderr.decode(errors='replace').strip()}")


@pytest.mark.parametrize("with_lock_file", [False, True], ids=["no lock file yet", "lock file present"])
def test_a_read_only_file_system(rel_world: World, rel_sandbox: Sandbox, rel_small_filesystem: Path,
                                 with_lock_file: bool) -> None:
    rel_world.config_dir = rel_small_filesystem / "skytells"
    rel_world.env["SKYTELLS_CONFIG_DIR"] = str(rel_world.config_dir)
    before = rel_world.write_credentials(OLD)
    if with_lock_file:
        (rel_world.config_dir / ".credentials.lock").touch(mode=0o600)
    _read_only_remount(rel_small_filesystem)
    run = link(rel_world, rel_sandbox.issue_project_key())
    assert "Read-only file system" in run.stderr, run
    assert_refused_cleanly(rel_world, run, before, rel_world.config_dir)


@pytest.mark.parametrize("with_lock_file", [False, True], ids=["no lock file yet", "lock file present"])
def test_a_directory_without_write_permission(rel_world: World, rel_sandbox: Sandbox,
                                              rel_without_root_powers: tuple[str, ...], with_lock_file: bool) -> None:
    before = rel_world.write_credentials(OLD)
    if with_lock_file:
        (rel_world.config_dir / ".credentials.lock").touch(mode=0o600)
    os.chmod(rel_world.config_dir, 0o500)
    try:
        run = link(rel_world, rel_sandbox.issue_project_key(), prefix=rel_without_root_powers)
    finally:
        os.chmod(rel_world.config_dir, 0o700)
    assert "Permission denied" in run.stderr, run
    assert_refused_cleanly(rel_world, run, before, rel_world.config_dir)


def test_a_credentials_file_owned_by_another_user(rel_world: World, rel_sandbox: Sandbox) -> None:
    if not is_root():
        pytest.skip("giving a file to another user needs root")
    before = rel_world.write_credentials(OLD)
    os.chown(rel_world.credentials_path, NOBODY, NOBODY)
    run = link(rel_world, rel_sandbox.issue_project_key())
    assert "belongs to another user" in run.stderr, run
    assert_refused_cleanly(rel_world, run, before, rel_world.credentials_path)
    assert os.stat(rel_world.credentials_path).st_uid == NOBODY


def test_a_directory_owned_by_another_user(rel_world: World, rel_sandbox: Sandbox) -> None:
    if not is_root():
        pytest.skip("giving a directory to another user needs root")
    before = rel_world.write_credentials(OLD)
    os.chown(rel_world.config_dir, NOBODY, NOBODY)
    for args, stdin in ((("link", "-"), rel_sandbox.issue_project_key()),
                        (("login", "--token"), rel_sandbox.issue_token()),
                        (("api-key", "rm"), None), (("logout", "--force"), None)):
        run = rel_world.run(*args, input=stdin + "\n" if stdin else None)
        assert "belongs to another user" in run.stderr, run
        assert_refused_cleanly(rel_world, run, before, rel_world.config_dir)


@pytest.mark.parametrize("dangling", [False, True], ids=["to a file", "dangling"])
def test_a_symlinked_credentials_file_is_never_written_through(rel_world: World, rel_sandbox: Sandbox,
                                                               tmp_path: Path, dangling: bool) -> None:
    target = tmp_path / "elsewhere.json"
    rel_world.config_dir.mkdir(parents=True, mode=0o700)
    if not dangling:
        target.write_text('{"token": "sk_pat_' + "0c" * 32 + '"}')
    target_before = target.read_bytes() if not dangling else None
    rel_world.credentials_path.symlink_to(target)
    for args, stdin in ((("link", "-"), rel_sandbox.issue_project_key()),
                        (("login", "--token"), rel_sandbox.issue_token()),
                        (("api-key", "rm"), None), (("whoami", "--offline"), None)):
        run = rel_world.run(*args, input=stdin + "\n" if stdin else None)
        assert "symbolic link" in run.stderr, run
        assert run.code == 1, run
        assert len(run.error_lines) == 1 and str(rel_world.credentials_path) in run.error_lines[0], run
        assert rel_world.credentials_path.is_symlink()
        assert (target.read_bytes() if target.exists() else None) == target_before
        assert rel_world.temporaries() == []


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"token": 5}', b"\xff\xfe", b'{"profiles": []}'],
                         ids=["empty", "truncated", "array", "wrong type", "not utf-8", "bad profiles"])
def test_an_unusable_file_is_never_overwritten(rel_world: World, rel_sandbox: Sandbox, content: bytes) -> None:
    rel_world.write_credentials(content)
    for args, stdin in ((("link", "-"), rel_sandbox.issue_project_key()),
                        (("login", "--token"), rel_sandbox.issue_token()),
                        (("logout", "--force"), None), (("api-key", "rm"), None)):
        run = rel_world.run(*args, input=stdin + "\n" if stdin else None)
        assert_refused_cleanly(rel_world, run, content, rel_world.credentials_path)
    assert shutil.disk_usage(rel_world.config_dir)  # the directory is still there
    assert rel_sandbox.requests_seen == []  # refused before any credential was sent anywhere
