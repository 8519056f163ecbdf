"""A device login in two steps (``login --request``, ``login --check``): the pending login, its storage and its poll.

The token endpoint is requests-mock; the clock is a fake that only moves
when the code sleeps, so the interval logic is checked without waiting.
"""

from __future__ import annotations

import dataclasses
import io
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skytells.credentials.model import PENDING_LOGIN_FIELD, PendingLogin, StoredCredentials
from skytells.credentials.service import CredentialService
from skytells.credentials.stores.document import parse_document, render_document
from skytells.errors import AuthError, NetworkError, StoreError, UsageError
from skytells.exitcodes import ExitCode
from skytells.login.device import DeviceLoader
from skytells.login.device_flow import DeviceLogin, DeviceState, check_state, pending_event, stored_server
from skytells.login.interface import LoginRun
from skytells.net.console_api import ConsoleClient
from skytells.net.http import HttpClient
from skytells.net.protocol.oauth import OAuthClient, ServerMetadata
from skytells.safety import redaction
from skytells.safety.urls import parse_service_url
from skytells.safety.values import BadValue
from skytells.terminal.ui import Terminal

BASE = "https://console.example.test"
TOKEN_URL = f"{BASE}/api/oauth/token"
DEVICE_CODE = "dc-7a1f0c9e3b5d4c6f8a0e2b4d6c8f0a1b"
START_S = 1_750_000_000.0
PENDING_CONSOLE = {"status_code": 428, "json": {"error": "authorization_pending"}}
PENDING_RFC = {"status_code": 400, "json": {"error": "authorization_pending"}}
SLOW_DOWN = {"status_code": 400, "json": {"error": "slow_down"}}
APPROVED = {"status_code": 200, "json": {"access_token": "sk_pat_" + "b" * 64, "scopes": ["inference"]}}


class WallClock:
    """Seconds since the epoch that move only when ``sleep`` is called (every sleep recorded)."""

    def __init__(self, now: float = START_S) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        self.sleeps.append(seconds)
        self.now += seconds


def check_pending(state: DeviceState, api: Any, **kwargs: Any) -> tuple[Any, DeviceState]:
    return check_state(state, api, keep_waiting=kwargs.pop("keep_waiting", False), **kwargs)


def stored(state: DeviceState, **changes: Any) -> PendingLogin:
    """``state`` as the pending login the store keeps for the device method."""
    return PendingLogin(method="device", state=state.to_document(), expires_at=state.expires_at,
                        event=pending_event(state.authorization, state.expires_at), **changes)


def pending(**changes: Any) -> DeviceState:
    base = DeviceState(device_code=DEVICE_CODE, user_code="ABCD-1234", verification_uri=f"{BASE}/device",
                        server=BASE, scopes=("inference",), interval=5.0, requested_at=int(START_S * 1000),
                        expires_at=int(START_S * 1000) + 900_000, not_before=int(START_S * 1000) + 5000)
    return dataclasses.replace(base, **changes)


@pytest.fixture
def console() -> ConsoleClient:
    return ConsoleClient(HttpClient(BASE))


# -- the interval --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("called_after", "expected_sleep"), [
    (0.0, 5.0),      # at once after --request: the whole interval
    (1.5, 3.5),      # early: the rest of it
    (4.9, 0.1),
    (5.0, None),     # due: no wait
    (120.0, None),   # long after: no wait
])
def test_check_waits_the_rest_of_the_interval_and_no_more(requests_mock, console, called_after, expected_sleep):
    clock = WallClock(START_S + called_after)
    requests_mock.post(TOKEN_URL, **PENDING_CONSOLE)
    result, after = check_pending(pending(), console, clock=clock, sleep=clock.sleep)
    assert result is None
    assert clock.sleeps == ([] if expected_sleep is None else [pytest.approx(expected_sleep)])
    assert requests_mock.call_count == 1
    assert after.interval == 5.0
    assert after.not_before == int(clock.now * 1000) + 5000


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_the_wait_is_never_longer_than_one_interval(not_before_offset):
    """Whatever the stored next poll (a clock moved back, a hand-edited file), one check waits at most one interval."""
    clock = WallClock()

    class Pending:
        host = "console.example.test"

        def poll_device_token(self, device_code):
            from skytells.net.protocol.device_grant import PollOutcome, PollResult

            return PollResult(PollOutcome.PENDING)

    grant = pending(not_before=max(0, int(START_S * 1000) + not_before_offset))
    check_pending(grant, Pending(), clock=clock, sleep=clock.sleep)
    assert sum(clock.sleeps) <= grant.interval


@pytest.mark.parametrize("answer", [PENDING_CONSOLE, PENDING_RFC])
def test_pending_in_either_dialect_keeps_the_interval(requests_mock, console, answer):
    clock = WallClock(START_S + 10)
    requests_mock.post(TOKEN_URL, **answer)
    result, after = check_pending(pending(), console, clock=clock, sleep=clock.sleep)
    assert result is None and after.interval == 5.0 and after.device_code == DEVICE_CODE


def test_slow_down_grows_the_interval_for_the_next_check(requests_mock, console):
    clock = WallClock(START_S + 10)
    requests_mock.post(TOKEN_URL, **SLOW_DOWN)
    _result, after = check_pending(pending(), console, clock=clock, sleep=clock.sleep)
    assert after.interval == 10.0
    assert after.not_before == int(clock.now * 1000) + 10_000


def test_approved_returns_the_tokens(requests_mock, console):
    clock = WallClock(START_S + 10)
    requests_mock.post(TOKEN_URL, **APPROVED)
    result, _after = check_pending(pending(), console, clock=clock, sleep=clock.sleep)
    assert result is not None and result.access_token == "sk_pat_" + "b" * 64
    assert requests_mock.last_request.json()["device_code"] == DEVICE_CODE


@pytest.mark.parametrize(("answer", "reason"), [
    ({"status_code": 403, "json": {"error": "access_denied"}}, "access_denied"),
    ({"status_code": 400, "json": {"error": "access_denied"}}, "access_denied"),
    ({"status_code": 410, "json": {"error": "expired_token"}}, "expired_token"),
    ({"status_code": 400, "json": {"error": "expired_token"}}, "expired_token"),
])
def test_denied_and_expired_are_auth_errors_with_their_reason(requests_mock, console, answer, reason):
    clock = WallClock(START_S + 10)
    requests_mock.post(TOKEN_URL, **answer)
    with pytest.raises(AuthError) as raised:
        check_pending(pending(), console, clock=clock, sleep=clock.sleep)
    assert raised.value.exit_code == ExitCode.AUTH
    assert getattr(raised.value, "reason", None) == reason
    assert DEVICE_CODE not in str(raised.value)


def test_an_expired_pending_login_is_not_polled(requests_mock, console):
    clock = WallClock(START_S + 901)
    requests_mock.post(TOKEN_URL, **APPROVED)
    with pytest.raises(AuthError) as raised:
        check_pending(pending(), console, clock=clock, sleep=clock.sleep)
    assert getattr(raised.value, "reason", None) == "expired_token"
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("answer", [{"status_code": 503, "text": "down"}, {"status_code": 429, "json": {}}])
def test_a_server_that_cannot_answer_is_a_network_error_and_nothing_is_decided(requests_mock, console, answer):
    clock = WallClock(START_S + 10)
    requests_mock.post(TOKEN_URL, **answer)
    with pytest.raises(NetworkError) as raised:
        check_pending(pending(), console, clock=clock, sleep=clock.sleep)
    assert "kept" in raised.value.message


def test_wait_polls_on_until_approved_without_real_waiting(requests_mock, console):
    clock = WallClock(START_S + 2)
    requests_mock.post(TOKEN_URL, [PENDING_CONSOLE, SLOW_DOWN, PENDING_CONSOLE, APPROVED])
    result, _after = check_pending(pending(), console, keep_waiting=True, clock=clock, sleep=clock.sleep)
    assert result is not None and result.access_token
    assert requests_mock.call_count == 4
    # Called 2 s in: the rest of the interval (3), then 5, then 10 and 10 once slowed down.
    assert clock.now - START_S == pytest.approx(2 + 3 + 5 + 10 + 10)


def test_wait_gives_up_when_the_code_expires(requests_mock, console):
    clock = WallClock(START_S + 880)
    requests_mock.post(TOKEN_URL, **PENDING_CONSOLE)
    with pytest.raises(AuthError) as raised:
        check_pending(pending(), console, keep_waiting=True, clock=clock, sleep=clock.sleep)
    assert getattr(raised.value, "reason", None) == "expired_token"
    assert clock.now <= START_S + 900


def test_a_standard_providers_pending_login_is_polled_at_its_token_endpoint(requests_mock):
    token_endpoint = "https://id.example.test/o/token/"
    grant = pending(issuer="https://id.example.test", client_id="cli", token_endpoint=token_endpoint)
    requests_mock.post(token_endpoint, **APPROVED)
    login = LoginRun(terminal=None, api=None, server=BASE, scopes=(), scopes_requested=False,  # type: ignore[arg-type]
                     console=lambda server: pytest.fail("the console is not asked"))
    client = stored_server(login, grant).client
    clock = WallClock(START_S + 10)
    result, _ = check_pending(grant, client, clock=clock, sleep=clock.sleep)
    assert result is not None
    form = requests_mock.last_request.text
    assert "client_id=cli" in form and "device_code=" in form


# -- the pending login as stored -----------------------------------------------------------------------------


def test_round_trip_through_the_document():
    grant = pending(verification_uri_complete=f"{BASE}/device?code=ABCD-1234", scopes_requested=True)
    record = StoredCredentials()
    record.profile("work", create=True).set_pending_login(stored(grant))
    parsed = parse_document(render_document(record), "credentials.json")
    assert parsed.profile("work").pending_login() == stored(grant)
    assert DeviceState.from_document(parsed.profile("work").pending_login().state) == grant
    assert parsed.pending_login() is None


def test_a_device_login_kept_by_the_previous_version_is_read_as_the_device_methods_state():
    grant = pending()
    parsed = parse_document(json.dumps({PENDING_LOGIN_FIELD: grant.to_document()}), "credentials.json")
    kept = parsed.pending_login()
    assert kept.method is None and kept.expires_at == grant.expires_at  # the default method's
    assert DeviceState.from_document(kept.state) == grant


def test_the_device_code_is_never_in_repr():
    assert DEVICE_CODE not in repr(pending())


@pytest.mark.parametrize(("change", "problem"), [
    ({"device_code": ""}, "device_code"),
    ({"device_code": 12345678}, "device_code"),
    ({"device_code": "a\x1b[31mb"}, "device_code"),
    ({"device_code": "x" * 4097}, "device_code"),
    ({"user_code": "\u202eABCD"}, "user_code"),
    ({"verification_uri": None}, "verification_uri"),
    ({"server": ["https://x"]}, "server"),
    ({"scopes": "bad scope\x00"}, "scopes"),
    ({"interval": 0}, "interval"),
    ({"interval": True}, "interval"),
    ({"interval": float("nan")}, "interval"),
    ({"interval": 100000}, "interval"),
    ({"expires_at": -1}, "expires_at"),
    ({"expires_at": "soon"}, "expires_at"),
    ({"not_before": None}, "not_before"),
    ({"requested_at": 10**20}, "requested_at"),
    ({"scopes_requested": "yes"}, "scopes_requested"),
    ({"issuer": "https://id.example.test"}, "some of"),
    ({"surprise": 1}, "does not know"),
    ({"expires_at": 1}, "expires before"),
])
def test_the_device_method_refuses_an_unusable_state_and_never_shows_the_code(change, problem):
    document = pending().to_document()
    document.update(change)
    document = {k: v for k, v in document.items() if v is not None}
    with pytest.raises(BadValue) as raised:
        DeviceState.from_document(document)
    assert problem in str(raised.value)
    assert DEVICE_CODE not in str(raised.value)


def test_an_unusable_stored_state_is_a_store_error_that_says_how_to_start_again():
    document = {**pending().to_document(), "interval": 0}
    kept = PendingLogin(method="device", state=document, expires_at=int(START_S * 1000) + 900_000)
    with pytest.raises(StoreError) as raised:
        DeviceLogin({}).resume(None, kept, wait=False)  # type: ignore[arg-type]
    assert "interval" in str(raised.value) and "--request" in str(raised.value)
    assert DEVICE_CODE not in str(raised.value)


@pytest.mark.parametrize(("change", "problem"), [
    ({"method": ""}, "method"),
    ({"method": "a\x1b[31mb"}, "method"),
    ({"method": None}, "lacks 'method'"),
    ({"expires_at": "soon"}, "expires_at"),
    ({"state": None}, "lacks 'state'"),
    ({"state": []}, "state"),
    ({"state": {"x": "y" * 40000}}, "state"),
    ({"event": "pending"}, "event"),
    ({"surprise": 1}, "does not know"),
])
def test_the_parser_refuses_an_unusable_envelope_and_leaves_the_file_alone(change, problem):
    document = stored(pending()).to_document()
    document.update(change)
    document = {k: v for k, v in document.items() if v is not None}
    for where in ("top", "profile"):
        data: dict[str, Any] = {"token": "sk_pat_" + "c" * 64}
        target = data if where == "top" else data.setdefault("profiles", {}).setdefault("work", {})
        target[PENDING_LOGIN_FIELD] = document
        with pytest.raises(StoreError) as raised:
            parse_document(json.dumps(data), "credentials.json")
        assert problem in str(raised.value) and "left untouched" in str(raised.value)
        assert DEVICE_CODE not in str(raised.value)


@pytest.mark.parametrize("value", [[], "text", 3, True])
def test_a_pending_login_that_is_not_an_object_is_refused(value):
    with pytest.raises(StoreError):
        parse_document(json.dumps({PENDING_LOGIN_FIELD: value}), "credentials.json")


def test_the_stored_device_code_is_registered_for_redaction_when_the_store_is_read():
    redaction.reset()
    record = StoredCredentials()
    record.profile("work", create=True).set_pending_login(stored(pending()))
    redaction.REDACTOR.register_stored(parse_document(render_document(record), "credentials.json"))
    assert DEVICE_CODE not in redaction.redact(f"echo {DEVICE_CODE}")
    redaction.reset()


def test_secret_field_names_cover_the_pending_logins_secret():
    assert redaction.is_secret_field("device_code")
    secret_fields = [name for name in pending().to_document() if redaction.is_secret_field(name)]
    assert secret_fields == ["device_code"]


def test_switching_the_default_profile_moves_its_pending_login_with_it():
    record = StoredCredentials(token="sk_pat_" + "d" * 64)
    record.set_pending_login(stored(pending(user_code="TOP-1")))
    record.profile("work", create=True).set_pending_login(stored(pending(user_code="WORK-1")))
    record.switch_default("work")
    assert record.pending_login().state["user_code"] == "WORK-1"
    assert record.profile("default").pending_login().state["user_code"] == "TOP-1"
    again = parse_document(render_document(record), "credentials.json")
    assert again.pending_login().state["user_code"] == "WORK-1"
    assert again.profile("default").pending_login().state["user_code"] == "TOP-1"


# -- the credential service ----------------------------------------------------------------------------------


@pytest.fixture
def service_for(tmp_path):
    """``service_for(profile)``: a CredentialService on a FileStore in a temporary directory."""
    from skytells.credentials.stores.file import FileStore

    store = FileStore(tmp_path / "skytells")
    return lambda profile=None: CredentialService(store, profile)


@pytest.mark.parametrize("profile", [None, "work"])
def test_service_saves_reads_updates_and_removes_per_profile(service_for, profile):
    service = service_for(profile)
    assert service.pending_login() is None
    service.save_pending_login(stored(pending()))
    assert service.pending_login() == stored(pending())
    other = CredentialService(service.store, "other" if profile else "work")
    assert other.pending_login() is None
    moved = stored(dataclasses.replace(pending(), interval=10.0))
    assert service.update_pending_login(stored(pending()), moved) is True
    assert service.pending_login().state["interval"] == 10.0
    assert service.remove_pending_login(stored(pending(device_code="some-other-device-code"))) is False
    assert service.remove_pending_login(moved) is True
    assert service.pending_login() is None
    assert service.remove_pending_login() is False


def test_an_update_never_brings_back_a_replaced_pending_login(service_for):
    service = service_for()
    service.save_pending_login(stored(pending()))
    service.save_pending_login(stored(pending(device_code="dc-a-newer-request-0123456789")))
    assert service.update_pending_login(stored(pending()), stored(dataclasses.replace(pending(), interval=10.0))) \
        is False
    assert service.pending_login().state["device_code"] == "dc-a-newer-request-0123456789"


def test_a_pending_login_keeps_the_stored_token(service_for):
    service = service_for()
    service.store.update(lambda record: setattr(record, "token", "sk_pat_" + "e" * 64))
    service.save_pending_login(stored(pending()))
    service.remove_pending_login()
    assert service.profile_record().token == "sk_pat_" + "e" * 64


# -- the events ----------------------------------------------------------------------------------------------


def test_pending_event_has_the_documented_fields_and_no_device_code():
    event = pending_event(pending().authorization, pending().expires_at)
    assert event == {"event": "authorization_pending", "user_code": "ABCD-1234",
                     "verification_uri": f"{BASE}/device", "expires_at": "2025-06-15T15:21:40Z", "interval": 5}
    assert DEVICE_CODE not in json.dumps(event)


@pytest.mark.parametrize("answer", [
    {"device_code": DEVICE_CODE, "user_code": "WXYZ-9876", "verification_uri": f"{BASE}/device",
     "verification_uri_complete": f"{BASE}/device?code=WXYZ-9876", "expires_in": 600, "interval": 2},
    {"device_code": DEVICE_CODE, "user_code": "WXYZ-9876", "verification_uri": f"{BASE}/device"},
])
def test_a_started_device_login_carries_its_pending_event(requests_mock, console, answer):
    requests_mock.post(f"{BASE}/api/oauth/device", json=answer)
    seen: list[dict[str, Any]] = []
    login = LoginRun(terminal=Terminal(stdin=io.StringIO(), stderr=io.StringIO()), api=console, server=BASE,
                     scopes=("inference",), scopes_requested=False, events=seen.append)
    kept = DeviceLoader().build({}).start(login)
    event = kept.event
    assert seen == []  # reported by the login command once the pending login is stored
    assert kept.state["device_code"] == DEVICE_CODE  # for the store to keep, never for the event
    assert event["user_code"] == "WXYZ-9876"
    assert ("verification_uri_complete" in event) == ("verification_uri_complete" in answer)
    assert event["interval"] == answer.get("interval", 5)
    assert DEVICE_CODE not in json.dumps(event)


def test_a_metadata_without_a_device_endpoint_asks_for_the_option(requests_mock):
    metadata = ServerMetadata(issuer="https://id.example.test", device_authorization_endpoint=None,
                              token_endpoint=parse_service_url("https://id.example.test/o/token/", "t", endpoint=True))
    with pytest.raises(UsageError) as raised:
        OAuthClient(metadata, "cli").request_device_code("Skytells CLI", ("inference",))
    assert "device_authorization_endpoint" in raised.value.message
    assert "--device-authorization-endpoint" in str(raised.value)
    assert requests_mock.call_count == 0


def test_discovery_without_a_device_endpoint_still_serves_refresh(requests_mock):
    from skytells.net.protocol.oauth import discover

    requests_mock.get("https://id.example.test/.well-known/oauth-authorization-server",
                      json={"issuer": "https://id.example.test", "token_endpoint": "https://id.example.test/o/token/"})
    metadata = discover("https://id.example.test")
    assert metadata.device_authorization_endpoint is None
    assert metadata.token_endpoint.text == "https://id.example.test/o/token/"


def test_bad_values_build_no_pending_login():
    with pytest.raises(BadValue):
        pending(interval=0.5)


@pytest.mark.parametrize("hostile", ["AB\x1b]52;c;b3duZWQ=\x07CD", "AB\u202eCD", "AB\x1b[2JCD", "A\x00B\x9bC"])
def test_the_pending_event_is_terminal_safe_whatever_the_server_sent(hostile):
    """Programs are told to show user_code and the URIs to a person: what a server put there cannot drive a terminal."""
    authorization = dataclasses.replace(pending().authorization, user_code=hostile,
                                        verification_uri=f"{BASE}/device{hostile}",
                                        verification_uri_complete=f"{BASE}/device?c={hostile}")
    event = pending_event(authorization, pending().expires_at)
    for name in ("user_code", "verification_uri", "verification_uri_complete"):
        assert not any(ord(char) < 32 or 0x7f <= ord(char) < 0xa0 or char in "\u202a\u202b\u202c\u202d\u202e"
                       for char in event[name]), (name, event[name])


def test_slow_down_never_grows_the_stored_interval_past_what_the_state_accepts(requests_mock, console):
    clock = WallClock(START_S + 10)
    requests_mock.post(TOKEN_URL, **SLOW_DOWN)
    _result, after = check_pending(pending(interval=3598.0), console, clock=clock, sleep=clock.sleep)
    assert after.interval == 3600.0
    assert DeviceState.from_document(after.to_document()) == after
