"""Modes of the store whatever the umask, and repair of looser modes, with the real CLI."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from reliability_support import World
from skytells_sandbox.server import Sandbox


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
                                                                rel_without_root_powers: tuple[str, ...]) -> None:
    if not rel_without_root_powers:
        pytest.skip("needs root to hand the file to another user")
    rel_world.write_credentials({"token": rel_sandbox.issue_token()}, file_mode=0o644)
    os.chown(rel_world.credentials_path, 65534, 65534)
    before = rel_world.credentials_bytes()
    run = rel_world.run("whoami", "--offline", prefix=rel_without_root_powers)
    assert run.code == 1, run
    assert len(run.error_lines) == 1
    assert f"chmod 600 {rel_world.credentials_path}" in run.error_lines[0], run
    assert rel_world.credentials_bytes() == before
