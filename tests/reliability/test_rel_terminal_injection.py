"""What a server says cannot take over the terminal, and the browser opens only safe URLs.

Server text (user code, verification URI, error descriptions, project names)
full of escape sequences, CR/LF and bidirectional overrides is printed by the
real CLI, through pipes and on a real pseudo-terminal; none of it reaches the
terminal raw. A ``$BROWSER`` stand-in records what the CLI asks to open.
"""

from __future__ import annotations

import os
from pathlib import Path

import pexpect
import pytest
from reliability_support import (
    UNSAFE_OUTPUT,
    HostileServer,
    World,
    device_answer,
    fake_device_code,
    json_reply,
    leaks,
)

# Each would do something to a terminal if printed raw: clear the screen, retitle the window,
# plant a hyperlink, ask the terminal to type its cursor position, fake a line of output, or reverse what follows.
# (A plain cursor move is left out: rich's spinner uses those itself on a terminal.)
PAYLOADS = ("\x1b[2J", "\x1b]0;owned\x07", "\x1b]8;;https://evil.example\x1b\\", "\x1b[6n", "\r\nerror: fake",
            "\u202e", "\u2066", "\x9b2J", "\x07")
HOSTILE_TEXT = "".join(PAYLOADS)
APPROVED = json_reply(200, {"access_token": "at_" + "9" * 40, "token_type": "Bearer"})


def _device_server(rel_hostile: type[HostileServer], device_code: str, **fields: str) -> HostileServer:
    server = rel_hostile()
    server.set("/api/oauth/device", json_reply(200, device_answer(server, device_code, **fields)))
    server.set("/api/oauth/token", APPROVED)
    return server


def _assert_no_payload(text: str) -> None:
    for payload in PAYLOADS:
        assert payload not in text, f"{payload!r} reached the terminal"


def test_hostile_device_answer_is_neutralised_in_plain_output(rel_world: World,
                                                              rel_hostile: type[HostileServer]) -> None:
    device_code = fake_device_code()
    server = _device_server(rel_hostile, device_code, user_code="WDJB" + HOSTILE_TEXT[:40])
    rel_world.point_at(server.url)
    run = rel_world.run("login", "--no-browser", virtual_clock=True)
    assert run.code == 0, run
    assert UNSAFE_OUTPUT.search(run.output) is None
    assert "Your device code is: WDJB\ufffd" in run.stderr
    assert not leaks([("output", run.output)], [device_code])


@pytest.mark.parametrize("where", ["verification_uri", "verification_uri_complete"])
def test_a_hostile_verification_url_is_refused_in_one_neutral_line(rel_world: World,
                                                                    rel_hostile: type[HostileServer],
                                                                    where: str) -> None:
    device_code = fake_device_code()
    server = rel_hostile()
    server.set("/api/oauth/device", json_reply(200, device_answer(server, device_code,
                                                                  **{where: f"{server.url}/device" + HOSTILE_TEXT})))
    rel_world.point_at(server.url)
    run = rel_world.run("login", "--no-browser", virtual_clock=True)
    assert run.code == 1, run
    assert UNSAFE_OUTPUT.search(run.output) is None
    assert len(run.error_lines) == 1 and "not a plain https URL" in run.stderr
    assert "WDJB-MJHT" not in run.stderr  # nothing was shown
    assert not leaks([("output", run.output)], [device_code])


@pytest.mark.parametrize("where", ["error_description", "message"])
def test_hostile_error_descriptions_are_neutralised(rel_world: World, rel_hostile: type[HostileServer],
                                                    where: str) -> None:
    device_code = fake_device_code()
    server = _device_server(rel_hostile, device_code)
    server.set("/api/oauth/token", json_reply(400, {"error": "access_denied", where: HOSTILE_TEXT + device_code}))
    rel_world.point_at(server.url)
    run = rel_world.run("login", "--no-browser", virtual_clock=True)
    assert run.code == 4, run
    assert UNSAFE_OUTPUT.search(run.output) is None
    assert len(run.error_lines) == 1
    assert not leaks([("output", run.output)], [device_code])  # an echoed device code is blanked


def test_hostile_project_name_is_neutralised_everywhere_it_is_shown(rel_world: World,
                                                                    rel_hostile: type[HostileServer]) -> None:
    project = {"id": "proj_1", "name": "Evil" + HOSTILE_TEXT, "slug": "evil" + HOSTILE_TEXT, "status": "active"}
    server = rel_hostile({"/api/v1/cli/project": json_reply(200, {"data": project}),
                          "/api/v1/cli/projects": json_reply(200, {"data": []})})
    rel_world.point_at(server.url)
    assert rel_world.run("login", "--token", input="sk_pat_" + "3" * 64 + "\n").code == 0
    runs = [rel_world.run("link", "-", input="sk_proj_" + "4" * 48 + "\n")]
    runs += [rel_world.run("whoami", *fmt) for fmt in ((), ("-f", "json"), ("-f", "yaml"), ("-f", "shell"),
                                                       ("-f", "value"), ("--offline",))]
    for run in runs:
        assert run.code == 0, run
        assert UNSAFE_OUTPUT.search(run.output) is None, run
    assert "Linked project Evil\ufffd" in runs[0].stderr


def _recorder(tmp_path: Path) -> tuple[Path, Path]:
    log = tmp_path / "opened.txt"
    script = tmp_path / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" >> "{log}"\n')
    os.chmod(script, 0o700)
    return script, log


def _login_on_a_terminal(world: World, server: HostileServer, browser: Path, status: int = 0) -> str:
    world.point_at(server.url)
    child = world.spawn("login", env={"BROWSER": str(browser)}, virtual_clock=True)
    try:
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close()
    assert child.exitstatus == status, child.before
    return child.before


@pytest.mark.parametrize("url", ["http://evil.example/device", "javascript:alert(1)", "file:///etc/passwd",
                                 "ftp://evil.example/", "//evil.example/x", "HTTP://evil.example/",
                                 "https://evil.example/device"])
def test_the_browser_is_never_opened_for_an_unsafe_url(rel_world: World, rel_hostile: type[HostileServer],
                                                       tmp_path: Path, url: str) -> None:
    browser, opened = _recorder(tmp_path)
    server = _device_server(rel_hostile, fake_device_code(), verification_uri=url, verification_uri_complete=url)
    shown = _login_on_a_terminal(rel_world, server, browser, status=1)
    _assert_no_payload(shown)
    assert not opened.exists(), f"the browser was asked to open {url!r}"
    assert "refusing the login, nothing was shown" in shown and "WDJB-MJHT" not in shown


def test_the_browser_opens_a_loopback_url_and_gets_no_secret(rel_world: World, rel_hostile: type[HostileServer],
                                                             tmp_path: Path) -> None:
    browser, opened = _recorder(tmp_path)
    device_code = fake_device_code()
    server = _device_server(rel_hostile, device_code)
    shown = _login_on_a_terminal(rel_world, server, browser)
    assert opened.read_text().splitlines() == [f"{server.url}/device?code=WDJB-MJHT"]
    assert "Authenticated successfully!" in shown
    assert not leaks([("browser argv", opened.read_text()), ("terminal", shown)], [device_code])
