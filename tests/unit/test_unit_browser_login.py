"""The browser login in process: PKCE, the state and iss checks, the listener, and the wait on an injected clock."""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from skytells.errors import AccessDeniedError, AuthError, ExpiredTokenError, ServerError, UsageError
from skytells.login import browser_flow, loopback
from skytells.login.browser import BrowserLoader
from skytells.login.browser_flow import check_callback, check_issuer, refuse_without_s256
from skytells.login.interface import LoginRun
from skytells.login.loopback import IDLE_LIMIT, Callback, LoopbackListener
from skytells.net.console_api import ConsoleClient
from skytells.net.protocol.oauth import ServerMetadata, new_code_verifier, s256_challenge
from skytells.safety.urls import parse_service_url
from skytells.terminal import browser

ISSUER = "https://id.example.test"
METADATA = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize", "token_endpoint": f"{ISSUER}/token",
            "code_challenge_methods_supported": ["S256"], "authorization_response_iss_parameter_supported": True}
ACCESS = "at_" + "a" * 40
REFRESH = "rt_" + "r" * 40


def metadata(**changes: Any) -> ServerMetadata:
    fields: dict[str, Any] = {"issuer": ISSUER, "device_authorization_endpoint": None,
                              "token_endpoint": parse_service_url(f"{ISSUER}/token", "t", endpoint=True),
                              "authorization_endpoint": parse_service_url(f"{ISSUER}/authorize", "a", endpoint=True),
                              "code_challenge_methods_supported": ("S256",),
                              "authorization_response_iss_parameter_supported": True}
    fields.update(changes)
    return ServerMetadata(**fields)


# -- PKCE ----------------------------------------------------------------------------------------------------


def test_s256_of_the_rfc_7636_appendix_b_example() -> None:
    assert s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == \
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_code_verifiers_are_long_unreserved_and_fresh() -> None:
    verifiers = {new_code_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def test_a_server_that_names_pkce_methods_without_s256_is_refused() -> None:
    with pytest.raises(ServerError, match="S256"):
        refuse_without_s256(metadata(code_challenge_methods_supported=("plain",)))
    refuse_without_s256(metadata(code_challenge_methods_supported=None))  # names none: S256 is sent anyway


# -- the callback's checks -----------------------------------------------------------------------------------


@pytest.fixture
def answered() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, browsers = socket.socketpair()
    yield ours, browsers
    ours.close()
    browsers.close()


def callback(pair: tuple[socket.socket, socket.socket], **parameters: str) -> Callback:
    return Callback(urllib.parse.urlencode(parameters), pair[0])


def page_of(pair: tuple[socket.socket, socket.socket]) -> str:
    pair[1].settimeout(5)
    return pair[1].recv(65536).decode()


def test_a_callback_with_this_logins_state_and_issuer_gives_the_code(answered: Any) -> None:
    code = check_callback(callback(answered, code="the-code-1234", state="s" * 43, iss=ISSUER), "s" * 43,
                          metadata())
    assert code == "the-code-1234"


@pytest.mark.parametrize("state", [None, "", "t" * 43, "s" * 42])
def test_another_state_is_refused_and_the_browser_told(answered: Any, state: str | None) -> None:
    fields = {"code": "c0de-c0de-c0de", "iss": ISSUER, **({"state": state} if state is not None else {})}
    with pytest.raises(AuthError, match="state that is not this login's"):
        check_callback(callback(answered, **fields), "s" * 43, metadata())
    page = page_of(answered)
    assert page.startswith("HTTP/1.1 400") and "does not belong" in page and "c0de" not in page


def test_a_repeated_parameter_is_refused(answered: Any) -> None:
    query = f"code=a&state={'s' * 43}&state={'s' * 43}&iss={urllib.parse.quote(ISSUER)}"
    with pytest.raises(AuthError, match="'state' twice"):
        check_callback(Callback(query, answered[0]), "s" * 43, metadata())


def test_a_denial_is_access_denied(answered: Any) -> None:
    with pytest.raises(AccessDeniedError):
        check_callback(callback(answered, error="access_denied", state="s" * 43, iss=ISSUER), "s" * 43, metadata())


def test_another_error_names_it_terminal_safe(answered: Any) -> None:
    with pytest.raises(AuthError, match="temporarily_unavailable: down\ufffd") as caught:
        check_callback(callback(answered, error="temporarily_unavailable", error_description="down\x1b[2J",
                                state="s" * 43, iss=ISSUER), "s" * 43, metadata())
    assert "\x1b" not in str(caught.value)


def test_a_callback_without_a_code_is_refused(answered: Any) -> None:
    with pytest.raises(ServerError, match="without an authorization code"):
        check_callback(callback(answered, state="s" * 43, iss=ISSUER), "s" * 43, metadata())


def test_iss_is_required_when_the_server_promises_it() -> None:
    with pytest.raises(ServerError, match="RFC 9207"):
        check_issuer(None, metadata())
    check_issuer(ISSUER, metadata())
    check_issuer(None, metadata(authorization_response_iss_parameter_supported=False))


@pytest.mark.parametrize("promised", [True, False])
def test_a_wrong_iss_is_refused_whether_or_not_it_was_promised(promised: bool) -> None:
    for wrong in ("https://evil.example.test", ISSUER + "/", ISSUER.upper()):
        with pytest.raises(ServerError, match="another issuer"):
            check_issuer(wrong, metadata(authorization_response_iss_parameter_supported=promised))


# -- the listener --------------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def send(port: int, request: str) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=5)
    connection.sendall(request.encode("latin-1"))
    return connection


def answer_of(connection: socket.socket) -> str:
    chunks = []
    while chunk := connection.recv(4096):
        chunks.append(chunk)
    connection.close()
    return b"".join(chunks).decode()


def poll_until(listener: LoopbackListener, done: Any, tries: int = 500) -> Callback | None:
    found = None
    for _ in range(tries):
        found = listener.poll() or found
        if done():
            return found
        threading.Event().wait(0.01)
    raise AssertionError("the listener never got there")


def test_the_listener_is_on_127_0_0_1_only_on_a_port_the_system_picks() -> None:
    with LoopbackListener() as listener:
        assert listener._socket is not None
        assert listener._socket.getsockname()[0] == "127.0.0.1"
        assert listener.port > 0 and listener.redirect_uri == f"http://127.0.0.1:{listener.port}/callback"
    assert listener.closed


def test_strays_get_a_404_and_the_callback_comes_through() -> None:
    with LoopbackListener() as listener:
        host = f"Host: 127.0.0.1:{listener.port}\r\n"
        strays = [send(listener.port, f"GET /favicon.ico HTTP/1.1\r\n{host}\r\n"),
                  send(listener.port, f"POST /callback?state=x HTTP/1.1\r\n{host}Content-Length: 0\r\n\r\n"),
                  send(listener.port, f"GET /callback/x?state=x HTTP/1.1\r\n{host}\r\n"),
                  send(listener.port, "GET /callback?state=x HTTP/1.1\r\nHost: rebound.example:80\r\n\r\n"),
                  send(listener.port, "GET /callback?state=x HTTP/1.1\r\n\r\n"),
                  send(listener.port, "nonsense\r\n\r\n")]
        answers: list[str] = []
        reader = threading.Thread(target=lambda: answers.extend(answer_of(stray) for stray in strays))
        reader.start()
        assert poll_until(listener, lambda: not reader.is_alive()) is None
        reader.join()
        assert [answer.split(" ")[1] for answer in answers] == ["404", "404", "404", "404", "404", "400"]
        assert all("Cache-Control: no-store" in answer for answer in answers)
        browser_side = send(listener.port, f"GET /callback?state=s&code=c HTTP/1.1\r\n{host}\r\n")
        found = poll_until(listener, lambda: listener._connections == [])
        assert found is not None and found.value("code") == "c" and found.value("state") == "s"
        found.answer(browser_flow.SIGNED_IN)
        assert "Signed in" in answer_of(browser_side)


def test_a_silent_connection_is_dropped_after_the_idle_limit() -> None:
    clock = Clock()
    with LoopbackListener(clock=clock) as listener:
        silent = socket.create_connection(("127.0.0.1", listener.port), timeout=5)
        poll_until(listener, lambda: len(listener._connections) == 1)
        clock.sleep(IDLE_LIMIT + 1)
        listener.poll()
        assert listener._connections == []
        assert silent.recv(10) == b""
        silent.close()


def test_a_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        with pytest.raises(UsageError, match="is in use"):
            LoopbackListener(taken.getsockname()[1])


# -- the whole method, on an injected clock ------------------------------------------------------------------


class Recorded(LoopbackListener):
    made: ClassVar[list[LoopbackListener]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        Recorded.made.append(self)


@pytest.fixture
def served(requests_mock: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    requests_mock.get(f"{ISSUER}/.well-known/oauth-authorization-server", json=METADATA)
    requests_mock.post(f"{ISSUER}/token", json={"access_token": ACCESS, "refresh_token": REFRESH,
                                                 "expires_in": 600, "token_type": "Bearer"})
    requests_mock.real_http = True  # the listener on 127.0.0.1 is real
    Recorded.made = []
    monkeypatch.setattr(browser_flow, "LoopbackListener", Recorded)
    monkeypatch.setenv("BROWSER", "stand-in")
    return requests_mock


def login_run(terminal: Any, api: ConsoleClient, clock: Clock, **options: Any) -> tuple[LoginRun, list[Any]]:
    events: list[Any] = []
    run = LoginRun(terminal=terminal, api=api, server="https://console.example.test", scopes=("inference",),
                   scopes_requested=False, options=options, clock=clock, sleep=clock.sleep,
                   wall_clock=lambda: 1_750_000_000.0, events=events.append)
    return run, events


def come_back(url: str, **change: str) -> bool:
    """A browser that approves at once: it calls the callback with a code, in a thread."""
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    back = {"code": "approved-code-123456", "state": query["state"], "iss": ISSUER, **change}
    target = query["redirect_uri"] + "?" + urllib.parse.urlencode(back)

    def call() -> None:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with contextlib.suppress(OSError):
            opener.open(target, timeout=10).read()

    threading.Thread(target=call, daemon=True).start()
    return True


def test_a_login_in_process(served: Any, unit_api: ConsoleClient, unit_terminal_factory: Any,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "open_browser", come_back)
    clock = Clock()
    run, events = login_run(unit_terminal_factory(), unit_api, clock, issuer=ISSUER, client_id="cli")

    credential = BrowserLoader().build(run.options).run(run)

    assert (credential.token, credential.refresh_token) == (ACCESS, REFRESH)
    assert (credential.method, credential.issuer, credential.client_id) == ("browser", ISSUER, "cli")
    assert [event["event"] for event in events] == ["authorization_url", "browser_opened"]
    form = urllib.parse.parse_qs(served.request_history[-1].text)
    assert form["grant_type"] == ["authorization_code"] and form["code"] == ["approved-code-123456"]
    assert s256_challenge(form["code_verifier"][0]) == \
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(events[0]["url"]).query))["code_challenge"]
    assert all(listener.closed for listener in Recorded.made)


def test_the_wait_ends_on_the_injected_clock(served: Any, unit_api: ConsoleClient, unit_terminal_factory: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "open_browser", lambda url: True)  # a browser that never comes back
    clock = Clock()
    run, _events = login_run(unit_terminal_factory(), unit_api, clock, issuer=ISSUER, client_id="cli", timeout=120)

    with pytest.raises(ExpiredTokenError, match="within 2:00"):
        BrowserLoader().build(run.options).run(run)

    assert 120 <= clock.now - 100.0 < 121
    assert [listener.closed for listener in Recorded.made] == [True]
    assert len(served.request_history) == 1  # the metadata; no token request


def test_ctrl_c_closes_the_listener(served: Any, unit_api: ConsoleClient, unit_terminal_factory: Any,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "open_browser", lambda url: True)
    clock = Clock()

    def interrupted(_seconds: float) -> None:
        raise KeyboardInterrupt

    run, _events = login_run(unit_terminal_factory(), unit_api, clock, issuer=ISSUER, client_id="cli")
    run.sleep = interrupted
    with pytest.raises(KeyboardInterrupt):
        BrowserLoader().build(run.options).run(run)
    assert [listener.closed for listener in Recorded.made] == [True]


def test_a_browser_that_fails_to_open_is_said_and_the_wait_goes_on(served: Any, unit_api: ConsoleClient,
                                                                   unit_terminal_factory: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "open_browser", lambda url: False)
    clock = Clock()
    terminal = unit_terminal_factory()
    run, events = login_run(terminal, unit_api, clock, issuer=ISSUER, client_id="cli", timeout=5)

    with pytest.raises(ExpiredTokenError):
        BrowserLoader().build(run.options).run(run)

    assert "Could not open a browser" in terminal.output
    assert [event["event"] for event in events] == ["authorization_url"]


def test_a_server_without_an_authorization_endpoint_names_the_device_method(
        served: Any, unit_api: ConsoleClient, unit_terminal_factory: Any) -> None:
    served.get(f"{ISSUER}/.well-known/oauth-authorization-server",
               json={key: value for key, value in METADATA.items() if key != "authorization_endpoint"})
    run, _events = login_run(unit_terminal_factory(), unit_api, Clock(), issuer=ISSUER, client_id="cli")

    with pytest.raises(UsageError, match="no authorization_endpoint") as caught:
        BrowserLoader().build(run.options).run(run)
    assert "--method device" in str(caught.value)
    assert [listener.closed for listener in Recorded.made] == [True]


def test_the_page_never_carries_what_the_browser_brought() -> None:
    for page in (browser_flow.SIGNED_IN, browser_flow.CANCELLED, browser_flow.FAILED, browser_flow.STRANGER,
                 loopback.NOT_HERE):
        rendered = page.render().decode()
        assert "the terminal" in rendered or "sign-in" in rendered
        assert "script" not in rendered.lower() and "default-src 'none'" in rendered
