"""``skytells login`` by device flow, against the sandbox in both dialects."""

from __future__ import annotations

import json
import os
import re
import stat
import time

import pytest
from skytells_sandbox.config import DEFAULT_SCOPES
from skytells_sandbox.state import DeviceStatus

DIALECTS = ("console", "rfc8628")
SAVED_LINE = "  Credentials saved to ~/.config/skytells/credentials.json"


def _fake_browser(e2e) -> tuple[dict[str, str], object]:
    """A $BROWSER that records the URL it is asked to open, so no real browser ever starts."""
    record = e2e.root / "browser-opened.txt"
    script = e2e.root / "record-browser"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{record}"\n')
    script.chmod(0o700)
    return {"BROWSER": str(script)}, record


def _assert_seed_lines(stderr: str, user_code: str, url: str) -> None:
    """The seed page's lines, in the seed page's order."""
    lines = stderr.splitlines()
    wanted = [
        "Initiating device authorization...",
        f"  Your device code is: {user_code}",
        "  Open this URL in your browser to authorize:",
        f"  {url}/device",
        "Waiting for authorization...",
    ]
    positions = []
    for line in wanted:
        assert line in lines, f"missing {line!r} in:\n{stderr}"
        positions.append(lines.index(line))
    done = [i for i, line in enumerate(lines) if line.endswith(" Authenticated successfully!")]
    assert len(done) == 1, stderr
    positions.append(done[0])
    assert lines[-1] == SAVED_LINE
    positions.append(len(lines) - 1)
    assert positions == sorted(positions), stderr


@pytest.mark.parametrize("dialect", DIALECTS)
def test_approved_login_saves_the_token_in_the_official_format(e2e, dialect):
    sandbox = e2e.start_sandbox(dialect=dialect)
    browser_env, opened = _fake_browser(e2e)
    before = int(time.time() * 1000)
    process = e2e.start("login", env=browser_env)
    user_code = e2e.wait_for_code()
    e2e.wait_for_polls(user_code, 1)  # told "pending" at least once before the approval
    sandbox.approve(user_code)
    result = process.finish()
    after = int(time.time() * 1000)

    assert result.code == 0, result
    assert result.stdout == ""
    assert re.fullmatch(r"[A-Z]{4}-[0-9]{4}", user_code)
    _assert_seed_lines(result.stderr, user_code, sandbox.url)
    assert not opened.exists(), "a browser was opened without a terminal"

    e2e.assert_private_file()
    data = e2e.read_credentials()
    assert re.fullmatch(r"sk_pat_[0-9a-f]{64}", data["token"])
    assert isinstance(data["created_at"], int) and before <= data["created_at"] <= after
    assert data["meta"]["token"]["scopes"] == list(DEFAULT_SCOPES)
    assert data["meta"]["token"]["method"] == "device"
    assert sandbox.token_scopes(data["token"]) == DEFAULT_SCOPES

    request = sandbox.device_request(user_code)
    assert request.status is DeviceStatus.REDEEMED
    assert request.polls == 2
    assert request.client_name == "Skytells CLI v0.1.0"
    assert request.scopes == DEFAULT_SCOPES


def test_files_are_private_even_with_a_permissive_umask(e2e):
    token = e2e.issue_token()
    result = e2e.run("login", "--token", input=token, umask=0)
    assert result.code == 0, result
    e2e.assert_private_file()
    leftovers = [p.name for p in e2e.config_dir.iterdir() if p.name != "credentials.json"]
    assert all(stat.S_IMODE(os.stat(e2e.config_dir / name).st_mode) & 0o077 == 0 for name in leftovers)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_denied_login_exits_4_and_writes_nothing(e2e, dialect):
    sandbox = e2e.start_sandbox(dialect=dialect)
    process = e2e.start("login", "--no-browser")
    user_code = e2e.wait_for_code()
    sandbox.deny(user_code)
    result = process.finish()

    assert result.code == 4, result
    assert result.stdout == ""
    assert "Authorization was denied in the browser; nothing was saved." in result.stderr
    assert "Authenticated successfully!" not in result.stderr
    assert not e2e.credentials_path.exists()
    assert sandbox.device_request(user_code).status is DeviceStatus.DENIED


@pytest.mark.parametrize("dialect", DIALECTS)
def test_expired_login_exits_4_and_leaves_the_stored_file_alone(e2e, dialect):
    sandbox = e2e.start_sandbox(dialect=dialect)
    original = e2e.write_credentials({"token": e2e.issue_token(), "created_at": 1700000000000})
    process = e2e.start("login", "--force")
    user_code = e2e.wait_for_code()
    sandbox.expire(user_code)
    result = process.finish()

    assert result.code == 4, result
    assert result.stdout == ""
    assert "Device code expired" in result.stderr
    assert "Run skytells login again." in result.stderr
    assert e2e.credentials_bytes() == original


def test_the_cli_gives_up_at_expires_in_without_polling(e2e):
    sandbox = e2e.start_sandbox(expires_in=1)
    process = e2e.start("login")
    user_code = e2e.wait_for_code()
    result = process.finish()

    assert result.code == 4, result
    assert "Device code expired" in result.stderr
    assert sandbox.device_request(user_code).polls == 0
    assert not e2e.credentials_path.exists()


def test_slow_down_adds_five_seconds_for_the_rest_of_the_flow(e2e):
    sandbox = e2e.start_sandbox(dialect="rfc8628", slow_down_polls=1)
    process = e2e.start("login")
    user_code = e2e.wait_for_code()
    sandbox.approve(user_code)  # the first poll is still told to slow down
    result = process.finish()

    assert result.code == 0, result
    request = sandbox.device_request(user_code)
    # A second poll sooner than 1 + 5 s would have been told to slow down again (a third poll).
    assert request.polls == 2
    assert request.poll_times[1] - request.poll_times[0] >= 6
    assert request.interval == 6
    assert e2e.read_credentials()["token"].startswith("sk_pat_")


def test_requested_scopes_are_sent_and_stored_beside_the_token(e2e):
    sandbox = e2e.start_sandbox(auto_approve=True)
    result = e2e.run("login", "--scopes", "inference, projects.write,inference")
    assert result.code == 0, result

    user_code = e2e.wait_for_code()
    assert sandbox.device_request(user_code).scopes == ("inference", "projects.write")
    data = e2e.read_credentials()
    assert data["meta"]["token"]["scopes"] == ["inference", "projects.write"]
    assert sandbox.token_scopes(data["token"]) == ("inference", "projects.write")

    shown = e2e.run("whoami", "--json")
    assert shown.code == 0, shown
    assert json.loads(shown.stdout)["scopes"] == ["inference", "projects.write"]
    # Without projects.read the server still accepts the token, and says what it lacks.
    assert '"token_status": "valid, lacks projects.read"' in shown.stdout


def test_unknown_scope_exits_2_listing_the_valid_ones(e2e):
    result = e2e.run("login", "--scopes", "inference,projects.delete")
    assert result.code == 2, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "Unknown scope 'projects.delete'" in result.stderr
    assert ("Valid scopes: inference, projects.read, projects.write, deployments.read, deployments.write, "
            "keys.read, keys.write, account.read.") in result.stderr
    assert e2e.sandbox.requests_seen == []
    assert not e2e.credentials_path.exists()


@pytest.mark.parametrize("stored", [False, True], ids=["no-file", "file-kept"])
def test_ctrl_c_while_waiting_exits_130_and_writes_nothing(e2e, stored):
    original = e2e.write_credentials({"token": e2e.issue_token(), "created_at": 1700000000000}) if stored else None
    process = e2e.start("login", "--force", default_sigint=True)
    user_code = e2e.wait_for_code()
    process.wait_for_text("Waiting for authorization...")
    process.interrupt()
    result = process.finish()

    assert result.code == 130, result
    assert result.stdout == ""
    assert "Interrupted." in result.stderr
    assert "Traceback" not in result.stderr
    assert e2e.credentials_bytes() == original
    assert e2e.sandbox.device_request(user_code).status is DeviceStatus.PENDING


def test_login_warns_when_the_environment_token_takes_precedence(e2e):
    e2e.start_sandbox(auto_approve=True)
    result = e2e.run("login", env={"SKYTELLS_TOKEN": e2e.issue_token()})
    e2e.wait_for_code()
    assert result.code == 0, result
    assert "SKYTELLS_TOKEN is set in this environment and takes precedence over the stored token." in result.stderr
    assert e2e.read_credentials()["token"].startswith("sk_pat_")


def test_device_login_on_a_terminal_opens_the_browser_and_shows_the_time_left(e2e):
    browser_env, opened = _fake_browser(e2e)
    terminal = e2e.spawn("login", env=browser_env)
    user_code = e2e.wait_for_code()
    terminal.expect(f"Your device code is: {user_code}")
    terminal.expect_regex(r"Waiting for authorization\.\.\. \(1?[0-9]:[0-5][0-9] left\)")
    e2e.sandbox.approve(user_code)
    terminal.expect("Authenticated successfully!")
    assert terminal.wait() == 0
    assert "Credentials saved to ~/.config/skytells/credentials.json" in terminal.plain
    assert opened.read_text().split() == [f"{e2e.sandbox.url}/device?code={user_code}"]
    e2e.assert_private_file()


def test_no_browser_on_a_terminal_prints_the_url_only(e2e):
    browser_env, opened = _fake_browser(e2e)
    terminal = e2e.spawn("login", "--no-browser", env=browser_env)
    user_code = e2e.wait_for_code()
    terminal.expect(f"{e2e.sandbox.url}/device")
    e2e.sandbox.approve(user_code)
    assert terminal.wait() == 0
    assert not opened.exists()


def test_ctrl_c_on_a_terminal_exits_130_without_a_traceback(e2e):
    terminal = e2e.spawn("login", "--no-browser", default_sigint=True)
    e2e.wait_for_code()
    terminal.expect("Waiting for authorization")
    terminal.sendintr()
    assert terminal.wait() == 130
    assert "Interrupted." in terminal.plain
    assert "Traceback" not in terminal.output
    assert not e2e.credentials_path.exists()
