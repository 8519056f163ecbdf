"""The device login method: what the person sees, and when a browser is (not) opened."""

from __future__ import annotations

import json
from typing import Any

import pytest

from skytells.credentials.model import Credential
from skytells.errors import AuthError, ServerError
from skytells.login.device import DeviceLoader
from skytells.login.device_flow import format_time_left, requesting_host
from skytells.login.interface import LoginRun
from skytells.net.console_api import ConsoleClient
from skytells.terminal import browser

BASE = "https://console.example.test"
DEVICE_CODE = "dc-91d2e0b7c4a84f3e9b6d5a1c0e7f2b48"
TOKEN = "sk_pat_" + "b" * 64
SCOPES = ("inference", "projects.read")


class Browser:
    """Stands in for skytells.terminal.browser: records what would have been opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, display: bool = True, works: bool = True) -> None:
        self.opened: list[str] = []
        self.works = works
        monkeypatch.setattr(browser, "open_browser", self._open)
        monkeypatch.setattr(browser, "has_display", lambda: display)

    def _open(self, url: str) -> bool:
        self.opened.append(url)
        return self.works


def serve(requests_mock: Any, *, token_answers: list[tuple[int, dict[str, Any]]] | None = None,
          **device_fields: Any) -> None:
    body = {
        "device_code": DEVICE_CODE,
        "user_code": "ABCD-1234",
        "verification_uri": f"{BASE}/device",
        "verification_uri_complete": f"{BASE}/device?user_code=ABCD-1234",
        "expires_in": 900,
        "interval": 5,
        **device_fields,
    }
    requests_mock.post(f"{BASE}/api/oauth/device", json=body)
    answers = token_answers or [(428, {}), (200, {"access_token": TOKEN, "scopes": ["inference"]})]
    requests_mock.post(f"{BASE}/api/oauth/token",
                       [{"status_code": status, "text": json.dumps(data)} for status, data in answers])


def device_login(terminal: Any, api: ConsoleClient, clock: Any, server: str = BASE, **options: Any) -> Credential:
    """One device login in this process, as ``skytells login`` runs it (``server``: the console URL it is for)."""
    run = LoginRun(terminal=terminal, api=api, server=server, scopes=SCOPES, scopes_requested=False,
                   options=options, clock=clock, sleep=clock.sleep)
    return DeviceLoader().build(options).run(run)


def test_output_follows_the_seed_page_without_a_terminal(requests_mock: Any, unit_api: ConsoleClient,
                                                         unit_clock: Any, unit_terminal_factory: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock)
    opener = Browser(monkeypatch)
    terminal = unit_terminal_factory()
    credential = device_login(terminal, unit_api, unit_clock)
    assert terminal.output.splitlines() == [
        "Initiating device authorization...",
        "",
        "  Your device code is: ABCD-1234",
        f"  Requested by `skytells login` on {requesting_host()}.",
        "  Enter it only if you ran that command yourself, just now.",
        "",
        "  Open this URL in your browser to authorize:",
        f"  {BASE}/device",
        "",
        "Waiting for authorization...",
    ]
    assert opener.opened == []  # no TTY: the URL is printed only
    assert credential.token == TOKEN
    assert credential.method == "device"
    assert credential.host == BASE
    assert credential.scopes == ("inference",)
    assert DEVICE_CODE not in terminal.output
    assert TOKEN not in terminal.output
    assert requests_mock.request_history[0].json() == {"client_name": "Skytells CLI", "scopes": list(SCOPES)}
    assert unit_clock.now == 1010.0  # two polls, 5 s apart


def test_requested_scopes_are_kept_when_the_server_names_none(requests_mock: Any, unit_api: ConsoleClient,
                                                              unit_clock: Any, unit_terminal_factory: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock, token_answers=[(200, {"access_token": TOKEN, "token_type": "Bearer"})])
    Browser(monkeypatch)
    credential = device_login(unit_terminal_factory(), unit_api, unit_clock)
    assert credential.scopes == SCOPES
    assert credential.token_type == "Bearer"


def test_browser_opens_on_a_terminal_with_the_complete_uri(requests_mock: Any, unit_api: ConsoleClient,
                                                           unit_clock: Any, unit_terminal_factory: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock)
    opener = Browser(monkeypatch)
    device_login(unit_terminal_factory(tty=True), unit_api, unit_clock)
    assert opener.opened == [f"{BASE}/device?user_code=ABCD-1234"]


def test_browser_opens_the_plain_uri_when_there_is_no_complete_one(requests_mock: Any, unit_api: ConsoleClient,
                                                                   unit_clock: Any, unit_terminal_factory: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock, verification_uri_complete=None)
    opener = Browser(monkeypatch)
    device_login(unit_terminal_factory(tty=True), unit_api, unit_clock)
    assert opener.opened == [f"{BASE}/device"]


@pytest.mark.parametrize(("tty", "display", "no_browser"), [
    (True, True, True),  # --no-browser
    (True, False, False),  # no display
    (False, True, False),  # no TTY
])
def test_browser_is_not_opened(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any,
                               unit_terminal_factory: Any, monkeypatch: pytest.MonkeyPatch, tty: bool,
                               display: bool, no_browser: bool) -> None:
    serve(requests_mock)
    opener = Browser(monkeypatch, display=display)
    terminal = unit_terminal_factory(tty=tty)
    device_login(terminal, unit_api, unit_clock, no_browser=no_browser)
    assert opener.opened == []
    assert "Could not open a browser" not in terminal.output


def test_a_browser_that_fails_to_open_is_reported(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any,
                                                  unit_terminal_factory: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock)
    opener = Browser(monkeypatch, works=False)
    terminal = unit_terminal_factory(tty=True)
    device_login(terminal, unit_api, unit_clock)
    assert len(opener.opened) == 1
    assert "(Could not open a browser; open the URL above yourself.)" in terminal.output


@pytest.mark.parametrize(("uri", "complete"), [
    ("http://console.example.test/device", None),
    ("http://evil.example/device", "http://evil.example/device?user_code=ABCD-1234"),
    (f"{BASE}/device", "http://evil.example/device?user_code=ABCD-1234"),
    (f"{BASE}/device", "https://evil.example/device?user_code=ABCD-1234"),
    ("https://evil.example/device", None),
    ("https://console.example.test.evil.example/device", None),
    ("https://console.example.test:8443/device", None),
    ("javascript:alert(1)", None),
    ("file:///etc/passwd", None),
    ("ftp://console.example.test/device", None),
    ("http://127.0.0.1.evil.example/device", None),
])
@pytest.mark.parametrize("tty", [True, False])
def test_a_verification_url_off_the_console_or_not_plain_https_is_refused_before_anything_is_shown(
        requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any, unit_terminal_factory: Any,
        monkeypatch: pytest.MonkeyPatch, uri: str, complete: str | None, tty: bool) -> None:
    serve(requests_mock, verification_uri=uri, verification_uri_complete=complete)
    opener = Browser(monkeypatch)
    terminal = unit_terminal_factory(tty=tty)
    with pytest.raises(ServerError, match="refusing the login, nothing was shown") as caught:
        device_login(terminal, unit_api, unit_clock)
    assert "\n" not in str(caught.value)
    assert opener.opened == []
    assert "Your device code" not in terminal.output and "ABCD-1234" not in terminal.output
    assert len(requests_mock.request_history) == 1  # no poll: the code is never redeemed


@pytest.mark.parametrize("uri", ["http://127.0.0.1:8765/device", "http://localhost:8765/device",
                                 "http://[::1]:8765/device"])
def test_loopback_http_is_opened(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any,
                                 unit_terminal_factory: Any, monkeypatch: pytest.MonkeyPatch, uri: str) -> None:
    serve(requests_mock, verification_uri=uri, verification_uri_complete=None)
    opener = Browser(monkeypatch)
    device_login(unit_terminal_factory(tty=True), unit_api, unit_clock, server=uri.removesuffix("/device"))
    assert opener.opened == [uri]


@pytest.mark.parametrize("qr", [True, False])
def test_the_code_and_where_it_was_requested_are_shown_with_a_complete_url_and_a_qr_code(
        requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any, unit_terminal_factory: Any,
        monkeypatch: pytest.MonkeyPatch, qr: bool) -> None:
    serve(requests_mock)
    opener = Browser(monkeypatch)
    terminal = unit_terminal_factory(tty=True)
    device_login(terminal, unit_api, unit_clock, qr=qr)
    assert opener.opened == [f"{BASE}/device?user_code=ABCD-1234"]  # the code is filled in there...
    assert "  Your device code is: ABCD-1234" in terminal.output  # ...and still shown, to compare
    assert f"Requested by `skytells login` on {requesting_host()}." in terminal.output
    assert "Enter it only if you ran that command yourself, just now." in terminal.output


HOSTILE = ["\x1b", "\x07", "\x9b", "\r", "\x00", "\u202e", "\u2066", "\u200f", "\u061c"]


def test_escape_sequences_and_bidi_characters_are_neutralised(requests_mock: Any, unit_api: ConsoleClient,
                                                              unit_clock: Any, unit_terminal_factory: Any,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock,
          user_code="\x1b[2J\x1b]0;owned\x07AB\u202eCD-12\u206634\r\nFAKE\x9b31m\u061c",
          verification_uri=f"{BASE}/device", verification_uri_complete=None)
    opener = Browser(monkeypatch)
    terminal = unit_terminal_factory()
    device_login(terminal, unit_api, unit_clock)
    output = terminal.output
    for character in HOSTILE:
        assert character not in output, repr(character)
    lines = output.splitlines()
    assert len(lines) == 10  # nothing the server sent started a line of its own
    assert [n for n, line in enumerate(lines) if line.startswith("  Your device code is:")] == [2]
    assert "owned" in lines[2]
    assert opener.opened == []  # no terminal: nothing is opened


def test_a_verification_url_with_control_characters_is_refused_in_one_safe_line(
        requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any, unit_terminal_factory: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock, verification_uri=f"{BASE}/device\x1b[8m\u200fhidden\r\n  Your device code is: EVIL-0000\x00",
          verification_uri_complete=None)
    opener = Browser(monkeypatch)
    terminal = unit_terminal_factory(tty=True)
    with pytest.raises(ServerError, match="not a plain https URL") as caught:
        device_login(terminal, unit_api, unit_clock)
    for character in HOSTILE:
        assert character not in str(caught.value), repr(character)
    assert opener.opened == [] and "EVIL-0000" not in terminal.output


def test_transient_failures_are_reported_on_the_terminal(requests_mock: Any, unit_api: ConsoleClient,
                                                         unit_clock: Any, unit_terminal_factory: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    serve(requests_mock, token_answers=[(503, {"message": "maintenance"}), (428, {}), (200, {"access_token": TOKEN})])
    Browser(monkeypatch)
    terminal = unit_terminal_factory()
    device_login(terminal, unit_api, unit_clock)
    assert ("! console.example.test had a problem (HTTP 503: maintenance); "
            "retrying (giving up after 6 failed polls in a row)." in terminal.output.splitlines())
    assert "! Connection restored; still waiting for authorization." in terminal.output.splitlines()


@pytest.mark.parametrize(("answer", "phrase"), [
    ((403, {}), "denied"),
    ((410, {}), "Device code expired"),
    ((400, {"error": "access_denied"}), "denied"),
    ((400, {"error": "expired_token"}), "Device code expired"),
])
def test_denied_or_expired_login_returns_nothing(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any,
                                                 unit_terminal_factory: Any, monkeypatch: pytest.MonkeyPatch,
                                                 answer: tuple[int, dict[str, Any]], phrase: str) -> None:
    serve(requests_mock, token_answers=[(428, {}), answer])
    Browser(monkeypatch)
    terminal = unit_terminal_factory()
    with pytest.raises(AuthError, match=phrase) as caught:
        device_login(terminal, unit_api, unit_clock)
    assert DEVICE_CODE not in str(caught.value)
    assert DEVICE_CODE not in terminal.output


@pytest.mark.parametrize(("seconds", "text"), [(900, "15:00"), (845.7, "14:05"), (59.9, "0:59"), (0, "0:00"),
                                               (-3, "0:00")])
def test_format_time_left(seconds: float, text: str) -> None:
    assert format_time_left(seconds) == text


@pytest.mark.parametrize(("url", "safe"), [
    ("https://console.skytells.ai/device?code=ABCD-1234", True),
    ("http://127.0.0.1:8765/device", True),
    ("http://localhost:8765/device", True),
    ("http://console.skytells.ai/device", False),
    ("javascript:alert(1)", False),
    ("file:///etc/passwd", False),
    ("https://console.skytells.ai/device\x1b]0;owned\x07", False),
    ("https://console.skytells.ai/de\u202evice", False),
    ("https://console.skytells.ai/device --new-window", False),
])
def test_only_plain_https_or_loopback_urls_are_opened(url: str, safe: bool) -> None:
    from skytells.terminal.browser import safe_to_open

    assert safe_to_open(url) is safe
