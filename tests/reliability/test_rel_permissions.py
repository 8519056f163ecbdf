"""Modes of the store whatever the umask, and repair of looser modes, with the real CLI."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from reliability_support import World
from skytells_sandbox.server import Sandbox

from conftest import NOBODY, is_root


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077], ids=["umask 000", "umask 022", "umask 077"])
def test_every_command_that_writes_keeps_the_store_private_whatever_the_umask(rel_world: World, rel_sandbox: Sandbox,
                                                                              umask: int) -> None:
    steps = [
        (("login", "--token"), rel_sandbox.issue_token()),
        (("--profile", "ci", "link", "-"), rel_sandbox.issue_project_key()),
        (("api-key", "set"), rel_sandbox.issue_api_key()),
        (("auth", "switch", "ci"), None),
        (("logout", "--force"), None),
    ]
    for args, stdin in steps:
        run = rel_world.run(*args, input=stdin + "\n" if stdin else None, umask=umask)
        assert run.code == 0, run
        assert mode(rel_world.credentials_path) == 0o600, args
        assert mode(rel_world.config_dir) == 0o700, args
        assert mode(rel_world.config_dir / ".credentials.lock") == 0o600, args
    # The parent directory the CLI had to create on the way (~/.config) is private too.
    assert mode(rel_world.home / ".config") == 0o700


@pytest.mark.parametrize(("file_mode", "dir_mode"), [(0o644, 0o700), (0o640, 0o700), (0o604, 0o700),
                                                     (0o600, 0o755), (0o666, 0o777)])
def test_looser_modes_are_repaired_with_a_warning(rel_world: World, rel_sandbox: Sandbox,
                                                  file_mode: int, dir_mode: int) -> None:
    rel_world.write_credentials({"token": rel_sandbox.issue_token()}, file_mode=file_mode, dir_mode=dir_mode)
    run = rel_world.run("whoami", "--offline")  # a command that only reads
    assert run.code == 0, run
    assert mode(rel_world.credentials_path) == 0o600
    assert mode(rel_world.config_dir) == 0o700
    for path, was, wanted in ((rel_world.credentials_path, file_mode, 0o600), (rel_world.config_dir, dir_mode, 0o700)):
        if was != wanted:
            assert f"warning: {path} was accessible to other users (mode {was:o}); changed it to {wanted:o}." \
                   in run.stderr, run
    assert "Traceback" not in run.output
    again = rel_world.run("whoami", "--offline")
    assert "warning" not in again.stderr  # repaired once, quiet after


def test_a_mode_that_cannot_be_repaired_is_refused_with_the_fix(rel_world: World, rel_sandbox: Sandbox,
                                                                rel_small_filesystem: Path) -> None:
    rel_world.config_dir = rel_small_filesystem / "skytells"
    rel_world.env["SKYTELLS_CONFIG_DIR"] = str(rel_world.config_dir)
    before = rel_world.write_credentials({"token": rel_sandbox.issue_token()}, file_mode=0o644)
    remounted = subprocess.run([shutil.which("mount") or "/bin/mount", "-o", "remount,ro", str(rel_small_filesystem)],
                               capture_output=True, check=False)
    if remounted.returncode != 0:
        pytest.skip(f"cannot remount read-only: {remounted.stderr.decode(errors='replace').strip()}")
    run = rel_world.run("whoami", "--offline")
    assert run.code == 1, run
    assert len(run.error_lines) == 1
    assert f"chmod 600 {rel_world.credentials_path}" in run.error_lines[0], run
    assert rel_world.credentials_bytes() == before


def _state(path: Path) -> tuple[int, int, int, bytes]:
    info = os.lstat(path)
    return info.st_uid, info.st_mode, info.st_mtime_ns, path.read_bytes() if stat.S_ISREG(info.st_mode) else b""


@pytest.mark.parametrize("file_mode", [0o644, 0o666, 0o640, 0o604, 0o600])
@pytest.mark.parametrize("powers", ["root", "root without CAP_FOWNER and CAP_DAC_OVERRIDE"])
def test_another_users_file_is_refused_naming_its_owner_and_never_touched(rel_world: World, rel_sandbox: Sandbox,
                                                                          file_mode: int, powers: str) -> None:
    """Even root, who could read and re-mode it, never uses, repairs or replaces another user's credentials."""
    if not is_root():
        pytest.skip("needs root to hand the file to another user")
    prefix: tuple[str, ...] = ()
    if powers != "root":
        if not shutil.which("setpriv"):
            pytest.skip("needs setpriv")
        prefix = ("setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--")
    rel_world.write_credentials({"token": rel_sandbox.issue_token()}, file_mode=file_mode)
    os.chown(rel_world.credentials_path, NOBODY, NOBODY)
    before = {path: _state(path) for path in (rel_world.config_dir, rel_world.credentials_path)}
    for args, stdin in ((("whoami", "--offline"), None), (("auth", "status", "--offline"), None),
                        (("api-key", "status"), None), (("logout", "--force"), None),
                        (("link", "-"), rel_sandbox.issue_project_key())):
        run = rel_world.run(*args, input=stdin + "\n" if stdin else None, prefix=prefix)
        assert run.code == 1, run
        assert "Traceback" not in run.output
        assert len(run.error_lines) == 1, run
        assert f"{rel_world.credentials_path} belongs to another user (uid {NOBODY})" in run.error_lines[0], run
        assert "warning" not in run.stderr, run  # nothing was repaired
        assert {path: _state(path) for path in before} == before, args
