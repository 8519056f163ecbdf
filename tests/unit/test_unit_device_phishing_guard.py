"""The device flow's phishing guard with a standard server: the code is entered only on the issuer's
host or one its metadata names, and the person is told where and by what it was requested."""

from __future__ import annotations

from typing import Any

import pytest

from skytells.errors import ServerError
from skytells.login.device import DeviceLoader
from skytells.login.device_flow import requesting_host
from skytells.login.interface import LoginRun
from skytells.net.console_api import ConsoleClient
from skytells.terminal import browser

ISSUER = "https://id.example.test"
DEVICE = "https://device.example.test/device_authorization"
METADATA = {"issuer": ISSUER, "device_authorization_endpoint": DEVICE, "token_endpoint": f"{ISSUER}/token"}
DEVICE_CODE = "dc-" + "7" * 40


def serve(requests_mock: Any, uri: str, complete: str | None = None) -> None:
    requests_mock.get(f"{ISSUER}/.well-known/oauth-authorization-server", json=METADATA)
    answer = {"device_code": DEVICE_CODE, "user_code": "WDJB-MJHT", "verification_uri": uri,
              "expires_in": 600, "interval": 1}
    if complete:
        answer["verification_uri_complete"] = complete
    requests_mock.post(DEVICE, json=answer)
    requests_mock.post(f"{ISSUER}/token", json={"access_token": "at_" + "5" * 40, "token_type": "Bearer"})


def login(terminal: Any, api: ConsoleClient, clock: Any) -> Any:
    options = {"issuer": ISSUER, "client_id": "cli"}
    run = LoginRun(terminal=terminal, api=api, server="https://console.example.test", scopes=("inference",),
                   scopes_requested=False, options=options, clock=clock, sleep=clock.sleep)
    return DeviceLoader().build(options).run(run)


@pytest.mark.parametrize("uri", [f"{ISSUER}/device", "https://device.example.test/activate"])
def test_the_issuers_host_and_those_its_metadata_names_may_take_the_code(
        requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any, unit_terminal_factory: Any,
        monkeypatch: pytest.MonkeyPatch, uri: str) -> None:
    serve(requests_mock, uri, uri + "?code=WDJB-MJHT")
    monkeypatch.setattr(browser, "has_display", lambda: False)
    terminal = unit_terminal_factory()

    assert login(terminal, unit_api, unit_clock).token == "at_" + "5" * 40

    assert "  Your device code is: WDJB-MJHT" in terminal.output
    assert f"  Requested by `skytells login` on {requesting_host()}." in terminal.output


@pytest.mark.parametrize(("uri", "complete"), [
    ("https://console.example.test/device", None),  # the console is not this login's server
    ("https://evil.example.test/device", None),
    (f"{ISSUER}/device", "https://evil.example.test/device?code=WDJB-MJHT"),
    ("https://id.example.test.evil.example/device", None),
])
def test_any_other_host_is_refused_and_the_code_never_redeemed(
        requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any, unit_terminal_factory: Any,
        uri: str, complete: str | None) -> None:
    serve(requests_mock, uri, complete)
    terminal = unit_terminal_factory()

    with pytest.raises(ServerError, match="on another host"):
        login(terminal, unit_api, unit_clock)

    assert "WDJB-MJHT" not in terminal.output
    assert [request.url for request in requests_mock.request_history if request.method == "POST"] == [DEVICE]
