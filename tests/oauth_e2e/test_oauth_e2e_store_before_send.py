"""Nothing is spent or shown to a server when the store cannot take the result.

A refresh sends the refresh token (which the server then rotates), ``logout``
revokes, ``link`` and ``api-key set`` show a key to the server: each asks the
store to prove a write first (``CredentialService.ensure_writable``). A
configuration directory without write permission, a full or read-only file
system, and a ``SKYTELLS_CONFIG_DIR`` that is no directory (``/dev/null``,
``/proc/self``) all stop the command with one error line, exit 1, before any
request reaches the sandbox, and leave the stored credentials as they were.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.file_system_faults import small_filesystem as small_tmpfs
from tests.file_system_faults import without_root_powers as root_powers_dropped

LIFETIME = 2
API_KEY_OF_THE_SANDBOX_SHAPE = "sbx_key_" + "5e" * 20


@pytest.fixture
def without_root_powers() -> tuple[str, ...]:
    """A command prefix under which permission bits apply (as root: setpriv without CAP_DAC_OVERRIDE)."""
    return root_powers_dropped()


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs mounted for the test (root only; skipped where mounting is not allowed)."""
    with small_tmpfs(tmp_path) as mount_point:
        yield mount_point


def _logged_in_and_due(world, config_dir: Path | None = None, **settings):
    """Log in with a standard provider whose access token is dead by the sandbox's clock (a refresh is due)."""
    if config_dir is not None:
        world.config_dir = config_dir
        world.env["SKYTELLS_CONFIG_DIR"] = str(config_dir)
        world.credential_files.add(world.credentials_path)
    sandbox = world.start_sandbox(token_lifetime=LIFETIME, **settings)
    world.login(sandbox)
    sandbox.config.wall_clock.advance(LIFETIME + 1)
    sandbox.clear_requests()
    return sandbox


def _assert_nothing_spent(world, sandbox, result, before: bytes, reason: str) -> None:
    assert result.code == 1, str(result)
    if "json" in result.args:
        assert result.json()["error"]["reason"] == "store", str(result)
    else:
        assert result.stdout == ""
    assert len(result.error_lines) == 1, str(result)
    assert reason in result.stderr, str(result)
    assert world.refresh_forms(sandbox) == [], "a refresh token was sent although it could not be saved"
    assert world.seen(sandbox, "/oauth/revoke") == []
    assert world.credentials_bytes() == before
    stored = world.profile()
    assert sandbox.refresh_token_is_active(stored["refresh_token"]), "the stored refresh token was spent"
    assert [p.name for p in world.config_dir.iterdir() if p.name.endswith(".tmp")] == []


@contextlib.contextmanager
def _read_only(directory: Path) -> Iterator[None]:
    os.chmod(directory, 0o500)
    try:
        yield
    finally:
        os.chmod(directory, 0o700)


@pytest.mark.parametrize("command", [("auth", "token"), ("whoami",), ("whoami", "-f", "json")])
def test_no_refresh_into_a_directory_without_write_permission(oauth_world, without_root_powers, command):
    sandbox = _logged_in_and_due(oauth_world)
    before = oauth_world.credentials_bytes()

    with _read_only(oauth_world.config_dir):
        result = oauth_world.run(*command, prefix=without_root_powers)

    _assert_nothing_spent(oauth_world, sandbox, result, before, "Permission denied")
    assert str(oauth_world.config_dir) in result.error_lines[0]
    # Writable again, the same command refreshes and succeeds: the stored refresh token was kept alive.
    assert oauth_world.run(*command).code == 0
    assert len(oauth_world.refresh_forms(sandbox)) == 1


def test_no_refresh_on_a_full_disk(oauth_world, small_filesystem):
    sandbox = _logged_in_and_due(oauth_world, small_filesystem / "skytells")
    before = oauth_world.credentials_bytes()
    (oauth_world.config_dir / ".credentials.lock").touch(mode=0o600)
    filler = small_filesystem / "filler"
    with open(filler, "wb", buffering=0) as handle, pytest.raises(OSError) as full:
        while True:
            handle.write(b"\0" * 4096)
    assert full.value.errno == errno.ENOSPC

    result = oauth_world.run("auth", "token")

    _assert_nothing_spent(oauth_world, sandbox, result, before, "No space left on device")
    filler.unlink()
    assert oauth_world.run("auth", "token").code == 0


def test_no_refresh_on_a_read_only_file_system(oauth_world, small_filesystem):
    sandbox = _logged_in_and_due(oauth_world, small_filesystem / "skytells")
    (oauth_world.config_dir / ".credentials.lock").touch(mode=0o600)
    before = oauth_world.credentials_bytes()
    done = subprocess.run([shutil.which("mount") or "/bin/mount", "-o", "remount,ro", str(small_filesystem)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot remount read-only: {done.stderr.decode(errors='replace').strip()}")

    result = oauth_world.run("whoami")

    _assert_nothing_spent(oauth_world, sandbox, result, before, "Read-only file system")


def test_logout_revokes_nothing_when_it_cannot_remove_the_token(oauth_world, without_root_powers):
    sandbox = oauth_world.start_sandbox()
    oauth_world.login(sandbox)
    before = oauth_world.credentials_bytes()
    stored = oauth_world.profile()
    sandbox.clear_requests()

    with _read_only(oauth_world.config_dir):
        result = oauth_world.run("logout", "--force", prefix=without_root_powers)

    assert result.code == 1, str(result)
    assert len(result.error_lines) == 1 and "Permission denied" in result.stderr, str(result)
    assert oauth_world.seen(sandbox, "/oauth/revoke") == [], "revoked a token that stays on disk"
    assert sandbox.token_is_active(stored["token"]) and sandbox.refresh_token_is_active(stored["refresh_token"])
    assert oauth_world.credentials_bytes() == before
    done = oauth_world.run("logout", "--force")
    assert done.code == 0 and len(oauth_world.seen(sandbox, "/oauth/revoke")) == 2, str(done)


def _send_a_key(world, sandbox, command: str, env=None, prefix=()):
    if command == "link":
        key = world.secret(sandbox.issue_project_key("Kept"))
        return world.run("link", "-", input=key + "\n", env=env, prefix=prefix)
    key = world.secret(sandbox.issue_api_key())
    return world.run("api-key", "set", input=key + "\n", env=env, prefix=prefix)


@pytest.mark.parametrize("command", ["link", "api-key set"])
@pytest.mark.parametrize("config_dir", ["/dev/null", "/proc/self", "/proc/self/skytells", "/dev/null/skytells"])
def test_a_key_is_not_sent_when_the_config_dir_is_unusable(oauth_world, command, config_dir):
    sandbox = oauth_world.start_sandbox()

    result = _send_a_key(oauth_world, sandbox, command, env={"SKYTELLS_CONFIG_DIR": config_dir})

    assert result.code == 1, str(result)
    assert len(result.error_lines) == 1, str(result)
    assert config_dir.split("/skytells")[0] in result.error_lines[0], str(result)
    assert sandbox.requests_seen == [], f"{command} sent the key although the store could not keep it"


@pytest.mark.parametrize("command", ["link", "api-key set"])
def test_a_key_is_not_sent_into_a_directory_without_write_permission(oauth_world, without_root_powers, command):
    sandbox = oauth_world.start_sandbox()
    oauth_world.login(sandbox)
    before = oauth_world.credentials_bytes()
    sandbox.clear_requests()

    with _read_only(oauth_world.config_dir):
        result = _send_a_key(oauth_world, sandbox, command, prefix=without_root_powers)

    assert result.code == 1, str(result)
    assert len(result.error_lines) == 1 and "Permission denied" in result.stderr, str(result)
    assert sandbox.requests_seen == []
    assert oauth_world.credentials_bytes() == before
    assert _send_a_key(oauth_world, sandbox, command).code == 0  # writable again: it works
