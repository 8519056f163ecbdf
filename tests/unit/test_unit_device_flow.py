"""The device-flow state machine: ConsoleClient's device endpoints and DevicePoller, on a fake clock."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import pytest
import requests

from skytells.errors import AuthError, NetworkError, ServerError, SkytellsError
from skytells.exitcodes import ExitCode
from skytells.net.console_api import ConsoleClient
from skytells.net.protocol.device_grant import DEVICE_GRANT_TYPE, DeviceAuthorization, PollOutcome, parse_retry_after
from skytells.net.protocol.device_poller import MAX_FAILED_POLLS, MAX_SLOW_DOWNS, DevicePoller

BASE = "https://console.example.test"
HOST = "console.example.test"
TOKEN_URL = f"{BASE}/api/oauth/token"
DEVICE_URL = f"{BASE}/api/oauth/device"
DEVICE_CODE = "dc-5f0c9a7e1b2d4c6f8a0e3b5d7c9f1a2b"
START = 1000.0

# An answer of the scripted token endpoint: (status, body, headers) or an exception to raise.
Answer = Any

PENDING_CONSOLE: Answer = (428, {"error": "authorization_pending"}, {})
PENDING_RFC: Answer = (400, {"error": "authorization_pending"}, {})
SLOW_DOWN: Answer = (400, {"error": "slow_down"}, {})
APPROVED: Answer = (200, {"access_token": "sk_pat_" + "a" * 64, "token_type": "Bearer", "scopes": ["inference"]}, {})


def authorization(*, interval: float = 5.0, expires_in: float = 900.0) -> DeviceAuthorization:
    return DeviceAuthorization(device_code=DEVICE_CODE, user_code="ABCD-1234",
                               verification_uri=f"{BASE}/device", verification_uri_complete=None,
                               expires_in=expires_in, interval=interval)


def assert_no_device_code(*texts: object) -> None:
    for text in texts:
        assert DEVICE_CODE not in str(text)
        assert DEVICE_CODE not in repr(text)


class TokenEndpoint:
    """Scripted answers for POST /api/oauth/token; records the fake clock at every poll."""

    def __init__(self, requests_mock: Any, clock: Callable[[], float], answers: list[Answer]) -> None:
        self.clock = clock
        self.answers = list(answers)
        self.times: list[float] = []
        self.bodies: list[dict[str, Any]] = []
        requests_mock.post(TOKEN_URL, text=self._answer)

    def _answer(self, request: Any, context: Any) -> str:
        self.times.append(self.clock())
        self.bodies.append(request.json())
        assert self.answers, f"polled more often than scripted (poll {len(self.times)})"
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, body, headers = answer
        context.status_code = status
        context.headers.update(headers)
        return body if isinstance(body, str) else json.dumps(body)

    @property
    def gaps(self) -> list[float]:
        points = [START, *self.times]
        return [b - a for a, b in itertools.pairwise(points)]


def run(api: ConsoleClient, clock: Any, auth: DeviceAuthorization | None = None,
        problems: list[str] | None = None, ticks: list[float] | None = None) -> Any:
    poller = DevicePoller(api, clock=clock, sleep=clock.sleep)
    return poller.wait_for_token(
        auth or authorization(), started_at=clock(),
        on_problem=(problems.append if problems is not None else lambda _t: None),
        on_tick=(ticks.append if ticks is not None else lambda _t: None),
    )


# -- one poll: every answer class -------------------------------------------------


@pytest.mark.parametrize(("status", "body", "outcome"), [
    (428, {}, PollOutcome.PENDING),
    (428, "", PollOutcome.PENDING),
    (403, {"error": "access_denied"}, PollOutcome.DENIED),
    (403, "", PollOutcome.DENIED),
    (410, {"message": "expired"}, PollOutcome.EXPIRED),
    (400, {"error": "authorization_pending"}, PollOutcome.PENDING),
    (400, {"error": "slow_down"}, PollOutcome.SLOW_DOWN),
    (400, {"error": "access_denied"}, PollOutcome.DENIED),
    (400, {"error": "expired_token"}, PollOutcome.EXPIRED),
    (401, {"error": "access_denied"}, PollOutcome.DENIED),
    (500, {"error": "boom"}, PollOutcome.RETRY),
    (502, "<html><body>Bad gateway</body></html>", PollOutcome.RETRY),
    (503, "", PollOutcome.RETRY),
    (429, {"message": "too many"}, PollOutcome.RETRY),
])
def test_poll_classifies_every_answer(requests_mock: Any, unit_api: ConsoleClient, status: int, body: Any,
                                      outcome: PollOutcome) -> None:
    requests_mock.post(TOKEN_URL, status_code=status, text=body if isinstance(body, str) else json.dumps(body))
    result = unit_api.poll_device_token(DEVICE_CODE)
    assert result.outcome is outcome
    assert result.access_token is None
    assert_no_device_code(result, result.detail)


def test_poll_sends_device_code_and_grant_type(requests_mock: Any, unit_api: ConsoleClient) -> None:
    requests_mock.post(TOKEN_URL, status_code=428)
    unit_api.poll_device_token(DEVICE_CODE)
    assert requests_mock.last_request.json() == {"device_code": DEVICE_CODE, "grant_type": DEVICE_GRANT_TYPE}
    assert "Authorization" not in requests_mock.last_request.headers


@pytest.mark.parametrize(("body", "scopes", "token_type"), [
    ({"access_token": " tok-1-abcdef ", "token_type": "Bearer", "scopes": ["inference", "keys.read"]},
     ("inference", "keys.read"), "Bearer"),
    ({"data": {"access_token": "tok-1-abcdef", "scope": "inference projects.read"}},
     ("inference", "projects.read"), "Bearer"),
    ({"access_token": "tok-1-abcdef", "scope": "inference,account.read", "token_type": "bearer"},
     ("inference", "account.read"), "bearer"),
    ({"access_token": "tok-1-abcdef", "scopes": [1, 2], "token_type": 7}, None, "Bearer"),
])
def test_poll_approved(requests_mock: Any, unit_api: ConsoleClient, body: dict[str, Any],
                       scopes: tuple[str, ...] | None, token_type: str) -> None:
    requests_mock.post(TOKEN_URL, json=body)
    result = unit_api.poll_device_token(DEVICE_CODE)
    assert result.outcome is PollOutcome.APPROVED
    assert result.access_token == "tok-1-abcdef"
    assert result.scopes == scopes
    assert result.token_type == token_type
    assert "tok-1-abcdef" not in repr(result)


@pytest.mark.parametrize("text", [
    "{}",
    json.dumps({"token_type": "Bearer"}),
    json.dumps({"access_token": ""}),
    json.dumps({"access_token": "   "}),
    json.dumps({"access_token": 12345}),
    json.dumps({"access_token": None}),
    json.dumps({"access_token": "x" * 8193}),
    json.dumps(["access_token"]),
    "<html>Welcome to the hotel wifi</html>",
    "",
    "not json",
])
def test_poll_malformed_approval_is_a_server_error(requests_mock: Any, unit_api: ConsoleClient, text: str) -> None:
    requests_mock.post(TOKEN_URL, status_code=200, text=text)
    with pytest.raises(ServerError) as caught:
        unit_api.poll_device_token(DEVICE_CODE)
    assert "access_token" in str(caught.value)
    assert HOST in str(caught.value)
    assert_no_device_code(caught.value)


@pytest.mark.parametrize(("status", "body"), [
    (400, {"error": "invalid_grant"}),
    (400, {"error": "unsupported_grant_type", "error_description": "nope"}),
    (400, {}),
    (401, {"error": "invalid_client"}),
    (404, {"message": "Not found"}),
    (418, {"error": "slow_down"}),  # a standard code only counts with 400/401
])
def test_poll_unknown_refusal_is_an_auth_error(requests_mock: Any, unit_api: ConsoleClient, status: int,
                                              body: dict[str, Any]) -> None:
    requests_mock.post(TOKEN_URL, status_code=status, json=body)
    with pytest.raises(AuthError) as caught:
        unit_api.poll_device_token(DEVICE_CODE)
    assert caught.value.exit_code == ExitCode.AUTH
    assert f"HTTP {status}" in str(caught.value)
    assert_no_device_code(caught.value)


@pytest.mark.parametrize(("error", "phrase"), [
    (requests.exceptions.ConnectionError("Failed to establish a new connection: [Errno 111] Connection refused"),
     "connection refused"),
    (requests.exceptions.ReadTimeout("read timed out"), "did not answer in time"),
    (requests.exceptions.ConnectionError("Connection reset by peer"), "was reset"),
])
def test_poll_network_failure_is_a_retry(requests_mock: Any, unit_api: ConsoleClient, error: Exception,
                                         phrase: str) -> None:
    requests_mock.post(TOKEN_URL, exc=error)
    result = unit_api.poll_device_token(DEVICE_CODE)
    assert result.outcome is PollOutcome.RETRY
    assert HOST in result.detail
    assert phrase in result.detail


def test_server_echoing_the_device_code_does_not_leak_it(requests_mock: Any, unit_api: ConsoleClient) -> None:
    echo = {"error": "invalid_grant", "error_description": f"unknown device_code {DEVICE_CODE}"}
    requests_mock.post(TOKEN_URL, status_code=400, json=echo)
    with pytest.raises(AuthError) as caught:
        unit_api.poll_device_token(DEVICE_CODE)
    assert "unknown device_code" in str(caught.value)
    assert_no_device_code(caught.value)
    requests_mock.post(TOKEN_URL, status_code=500, json={"message": f"crash while reading {DEVICE_CODE}"})
    result = unit_api.poll_device_token(DEVICE_CODE)
    assert result.outcome is PollOutcome.RETRY
    assert "crash while reading" in result.detail
    assert_no_device_code(result.detail)


# -- the poller ---------------------------------------------------------------------


def test_approved_after_pending_never_polls_sooner_than_the_interval(requests_mock: Any, unit_api: ConsoleClient,
                                                                     unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE, PENDING_RFC, PENDING_CONSOLE, APPROVED])
    result = run(unit_api, unit_clock)
    assert result.outcome is PollOutcome.APPROVED
    assert result.access_token == "sk_pat_" + "a" * 64
    assert endpoint.times == [1005.0, 1010.0, 1015.0, 1020.0]
    assert all(body["device_code"] == DEVICE_CODE for body in endpoint.bodies)
    # The wait is made of short sleeps so the spinner can show the time left.
    assert max(unit_clock.sleeps) <= 1.0


def test_slow_down_adds_five_seconds_for_the_rest_of_the_flow(requests_mock: Any, unit_api: ConsoleClient,
                                                              unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [
        PENDING_RFC, SLOW_DOWN, PENDING_RFC, PENDING_CONSOLE, SLOW_DOWN, PENDING_RFC, APPROVED,
    ])
    run(unit_api, unit_clock)
    assert endpoint.times == [1005.0, 1010.0, 1020.0, 1030.0, 1040.0, 1055.0, 1070.0]
    assert endpoint.gaps == [5.0, 5.0, 10.0, 10.0, 10.0, 15.0, 15.0]


@pytest.mark.parametrize(("answer", "phrase"), [
    ((403, {}, {}), "denied"),
    ((400, {"error": "access_denied"}, {}), "denied"),
    ((410, {}, {}), "Device code expired"),
    ((400, {"error": "expired_token"}, {}), "Device code expired"),
])
def test_denied_and_expired_end_the_flow(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any,
                                         answer: Answer, phrase: str) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE, answer])
    with pytest.raises(AuthError) as caught:
        run(unit_api, unit_clock)
    assert phrase in str(caught.value)
    assert caught.value.exit_code == ExitCode.AUTH
    assert "skytells login" in str(caught.value)
    assert len(endpoint.times) == 2
    assert_no_device_code(caught.value)


def test_expired_message_names_the_window_in_minutes(requests_mock: Any, unit_api: ConsoleClient,
                                                     unit_clock: Any) -> None:
    TokenEndpoint(requests_mock, unit_clock, [(410, {}, {})])
    with pytest.raises(AuthError, match="within 15 minutes"):
        run(unit_api, unit_clock)


@pytest.mark.parametrize(("expires_in", "window"), [(900, "15 minutes"), (60, "1 minute"), (3, "1 minute"),
                                                    (3600, "60 minutes")])
def test_expired_message_window(expires_in: float, window: str) -> None:
    from skytells.net.protocol.device_poller import expired_error

    assert f"within {window}." in str(expired_error(expires_in))


def test_gives_up_at_expires_in_without_polling_past_it(requests_mock: Any, unit_api: ConsoleClient,
                                                        unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE] * 200)
    with pytest.raises(AuthError, match="Device code expired"):
        run(unit_api, unit_clock)
    assert len(endpoint.times) == 180  # one poll every 5 s for 900 s
    assert endpoint.times[-1] == 1900.0
    assert unit_clock.now <= 1900.0
    assert set(endpoint.gaps) == {5.0}


def test_short_expiry_stops_before_a_poll_that_would_be_late(requests_mock: Any, unit_api: ConsoleClient,
                                                             unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE] * 5)
    with pytest.raises(AuthError, match="Device code expired"):
        run(unit_api, unit_clock, authorization(expires_in=12))
    assert endpoint.times == [1005.0, 1010.0]
    assert unit_clock.now <= 1012.0


def test_slow_down_pushing_past_the_deadline_expires(requests_mock: Any, unit_api: ConsoleClient,
                                                     unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [SLOW_DOWN, SLOW_DOWN, PENDING_RFC])
    with pytest.raises(AuthError, match="Device code expired"):
        run(unit_api, unit_clock, authorization(expires_in=20))
    assert endpoint.times == [1005.0, 1015.0]  # the third poll would be at 1030, after the deadline


def test_transient_failures_back_off_and_recover(requests_mock: Any, unit_api: ConsoleClient,
                                                 unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [
        (500, {"message": "database down"}, {}),
        (503, "", {}),
        (502, "<html>bad gateway</html>", {}),
        PENDING_CONSOLE,
        APPROVED,
    ])
    problems: list[str] = []
    result = run(unit_api, unit_clock, problems=problems)
    assert result.outcome is PollOutcome.APPROVED
    assert endpoint.gaps == [5.0, 10.0, 20.0, 40.0, 5.0]
    assert problems == [
        f"{HOST} had a problem (HTTP 500: database down); retrying (giving up after 6 failed polls in a row).",
        "Connection restored; still waiting for authorization.",
    ]


def test_backoff_is_capped_at_a_minute(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [(500, {}, {})] * (MAX_FAILED_POLLS - 1) + [APPROVED])
    run(unit_api, unit_clock)
    assert endpoint.gaps == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0]


def test_on_problem_is_called_once_per_run_of_failures(requests_mock: Any, unit_api: ConsoleClient,
                                                       unit_clock: Any) -> None:
    refused = requests.exceptions.ConnectionError("[Errno 111] Connection refused")
    TokenEndpoint(requests_mock, unit_clock, [
        (500, {}, {}), (500, {}, {}), (500, {}, {}), PENDING_CONSOLE,
        refused, requests.exceptions.ConnectTimeout("timed out"), PENDING_RFC,
        APPROVED,
    ])
    problems: list[str] = []
    run(unit_api, unit_clock, problems=problems)
    assert problems == [
        f"{HOST} had a problem (HTTP 500); retrying (giving up after 6 failed polls in a row).",
        "Connection restored; still waiting for authorization.",
        f"Could not connect to {HOST} (connection refused); retrying (giving up after 6 failed polls in a row).",
        "Connection restored; still waiting for authorization.",
    ]


@pytest.mark.parametrize(("retry_after", "gap"), [
    ("30", 30.0),
    ("  45 ", 45.0),
    ("3600", 60.0),  # capped
    ("0", 10.0),  # never less than the backoff
    ("soon", 10.0),  # unreadable: the backoff
    ("\u00b2", 10.0),  # a digit to str.isdigit(), not to float()
    ("Fri, 31 Dec 2099 23:59:59 GMT", 60.0),  # far future: capped
    ("Thu, 01 Jan 1998 00:00:00 GMT", 10.0),  # in the past: the backoff
])
@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_honoured(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any, status: int,
                                 retry_after: str, gap: float) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [(status, {}, {"Retry-After": retry_after}), APPROVED])
    run(unit_api, unit_clock)
    assert endpoint.gaps == [5.0, gap]


def test_retry_after_http_date_is_relative_to_now() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 42, usegmt=True), now_epoch=now) == 42.0
    assert parse_retry_after(formatdate(now - 42, usegmt=True), now_epoch=now) == 0.0
    assert parse_retry_after(formatdate(now + 4200, usegmt=True), now_epoch=now) == 60.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("") is None


def test_rate_limit_message_names_the_host(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any) -> None:
    TokenEndpoint(requests_mock, unit_clock, [(429, {}, {"Retry-After": "7"}), APPROVED])
    problems: list[str] = []
    run(unit_api, unit_clock, problems=problems)
    assert problems == [f"{HOST} is rate limiting requests (HTTP 429); "
                        "retrying (giving up after 6 failed polls in a row)."]


def test_failures_until_expiry_end_with_the_expired_advice(requests_mock: Any, unit_api: ConsoleClient,
                                                           unit_clock: Any) -> None:
    refused = requests.exceptions.ConnectionError("[Errno 111] Connection refused")
    endpoint = TokenEndpoint(requests_mock, unit_clock, [refused] * MAX_FAILED_POLLS)
    problems: list[str] = []
    with pytest.raises(AuthError, match="Device code expired") as caught:
        run(unit_api, unit_clock, authorization(expires_in=60), problems=problems)
    assert "connection refused" in str(caught.value)  # the failure still going on
    assert len(problems) == 1
    assert endpoint.times == [1005.0, 1015.0, 1035.0]  # the next poll would be at 1075, after the deadline


def test_a_server_gone_mid_login_ends_after_the_failed_polls_allowed(requests_mock: Any, unit_api: ConsoleClient,
                                                                     unit_clock: Any) -> None:
    refused = requests.exceptions.ConnectionError("[Errno 111] Connection refused")
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE] + [refused] * MAX_FAILED_POLLS)
    with pytest.raises(NetworkError) as caught:
        run(unit_api, unit_clock)
    assert len(endpoint.times) == 1 + MAX_FAILED_POLLS
    assert endpoint.times[-1] < START + 900 / 2  # well before the code expires
    message = str(caught.value)
    assert caught.value.exit_code == ExitCode.FAILURE
    assert "\n" not in message
    assert f"after {MAX_FAILED_POLLS} failed polls in a row" in message
    assert f"Could not connect to {HOST} (connection refused)" in message
    assert "nothing was saved" in message
    assert_no_device_code(caught.value)


def test_storm_of_slow_down_ends_with_a_server_error(requests_mock: Any, unit_api: ConsoleClient,
                                                     unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [SLOW_DOWN] * (MAX_SLOW_DOWNS + 5))
    with pytest.raises(ServerError) as caught:
        run(unit_api, unit_clock)
    assert "slow down" in str(caught.value)
    assert "clock" in str(caught.value)
    assert len(endpoint.times) == MAX_SLOW_DOWNS + 1
    assert endpoint.gaps == [5.0 * (n + 1) for n in range(MAX_SLOW_DOWNS + 1)]
    assert_no_device_code(caught.value)


def test_pending_between_slow_downs_resets_the_storm_count(requests_mock: Any, unit_api: ConsoleClient,
                                                           unit_clock: Any) -> None:
    answers = [SLOW_DOWN] * MAX_SLOW_DOWNS + [PENDING_RFC] + [SLOW_DOWN] * 2 + [APPROVED]
    endpoint = TokenEndpoint(requests_mock, unit_clock, answers)
    result = run(unit_api, unit_clock, authorization(expires_in=3600))
    assert result.outcome is PollOutcome.APPROVED
    assert len(endpoint.times) == len(answers)


def test_backoff_never_polls_sooner_than_a_grown_interval(requests_mock: Any, unit_api: ConsoleClient,
                                                          unit_clock: Any) -> None:
    # interval 60 (the largest a server can set), then slow_down: 65 s for the rest of the flow,
    # even though transient failures back off at most 60 s.
    endpoint = TokenEndpoint(requests_mock, unit_clock, [SLOW_DOWN, (500, {}, {}), (500, {}, {}), APPROVED])
    run(unit_api, unit_clock, authorization(interval=60.0, expires_in=3600))
    assert endpoint.gaps[0] == 60.0
    assert all(gap >= 65.0 for gap in endpoint.gaps[1:]), endpoint.gaps


def test_on_tick_counts_down_the_time_left(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any) -> None:
    TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE, APPROVED])
    ticks: list[float] = []
    run(unit_api, unit_clock, authorization(expires_in=600), ticks=ticks)
    assert ticks[0] == 600.0
    assert ticks == sorted(ticks, reverse=True)
    assert ticks[-1] == 591.0
    assert len(ticks) == 10


def test_started_at_counts_time_spent_before_polling(requests_mock: Any, unit_api: ConsoleClient,
                                                     unit_clock: Any) -> None:
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE] * 10)
    poller = DevicePoller(unit_api, clock=unit_clock, sleep=unit_clock.sleep)
    with pytest.raises(AuthError, match="expired"):
        poller.wait_for_token(authorization(expires_in=20), started_at=unit_clock() - 8)
    assert endpoint.times == [1005.0, 1010.0]  # deadline 1012


def test_secrets_are_not_in_reprs() -> None:
    auth = authorization()
    assert_no_device_code(auth)
    assert "ABCD-1234" in repr(auth)


# -- starting the flow ---------------------------------------------------------------

GOOD_DEVICE_ANSWER = {
    "device_code": DEVICE_CODE,
    "user_code": "ABCD-1234",
    "verification_uri": f"{BASE}/device",
    "verification_uri_complete": f"{BASE}/device?user_code=ABCD-1234",
    "expires_in": 900,
    "interval": 5,
}


def device_answer(**changes: Any) -> dict[str, Any]:
    body = dict(GOOD_DEVICE_ANSWER)
    for key, value in changes.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    return body


def test_request_device_code_sends_client_and_scopes(requests_mock: Any, unit_api: ConsoleClient) -> None:
    requests_mock.post(DEVICE_URL, json=device_answer(user_code="  ABCD-1234 "))
    auth = unit_api.request_device_code("Skytells CLI", ("inference", "keys.read"))
    assert requests_mock.last_request.json() == {"client_name": "Skytells CLI", "scopes": ["inference", "keys.read"]}
    assert auth.device_code == DEVICE_CODE
    assert auth.user_code == "ABCD-1234"
    assert auth.verification_uri == f"{BASE}/device"
    assert auth.verification_uri_complete == f"{BASE}/device?user_code=ABCD-1234"
    assert (auth.expires_in, auth.interval) == (900.0, 5.0)


def test_request_device_code_unwraps_data(requests_mock: Any, unit_api: ConsoleClient) -> None:
    requests_mock.post(DEVICE_URL, json={"data": device_answer()})
    assert unit_api.request_device_code("c", ("inference",)).user_code == "ABCD-1234"


@pytest.mark.parametrize(("text", "interval"), [
    (json.dumps(device_answer(interval=...)), 5.0),
    (json.dumps(device_answer(interval=None)), 5.0),
    (json.dumps(device_answer(interval=0)), 5.0),
    (json.dumps(device_answer(interval=-3)), 5.0),
    (json.dumps(device_answer(interval=0.2)), 1.0),
    (json.dumps(device_answer(interval=10**9)), 60.0),
    (json.dumps(device_answer(interval="5")), 5.0),
    (json.dumps(device_answer(interval=True)), 5.0),
    (json.dumps(device_answer(interval=7)), 7.0),
    (json.dumps(device_answer(interval=2.5)), 2.5),
    (json.dumps(device_answer()).replace('"interval": 5', '"interval": NaN'), 5.0),
    (json.dumps(device_answer()).replace('"interval": 5', '"interval": Infinity'), 5.0),
    (json.dumps(device_answer()).replace('"interval": 5', '"interval": -Infinity'), 5.0),
])
def test_interval_default_and_clamping(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any,
                                       text: str, interval: float) -> None:
    requests_mock.post(DEVICE_URL, text=text)
    auth = unit_api.request_device_code("c", ("inference",))
    assert auth.interval == interval
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE, SLOW_DOWN, APPROVED])
    run(unit_api, unit_clock, auth)
    assert endpoint.gaps == [interval, interval, interval + 5]


@pytest.mark.parametrize(("text", "expires_in"), [
    (json.dumps(device_answer(expires_in=...)), 900.0),
    (json.dumps(device_answer(expires_in=0)), 900.0),
    (json.dumps(device_answer(expires_in=-60)), 900.0),
    (json.dumps(device_answer(expires_in="900")), 900.0),
    (json.dumps(device_answer(expires_in=120)), 120.0),
    (json.dumps(device_answer(expires_in=10**12)), 3600.0),
    (json.dumps(device_answer()).replace('"expires_in": 900', '"expires_in": NaN'), 900.0),
    (json.dumps(device_answer()).replace('"expires_in": 900', '"expires_in": Infinity'), 900.0),
])
def test_expires_in_default_and_cap(requests_mock: Any, unit_api: ConsoleClient, unit_clock: Any, text: str,
                                    expires_in: float) -> None:
    requests_mock.post(DEVICE_URL, text=text)
    auth = unit_api.request_device_code("c", ("inference",))
    assert auth.expires_in == expires_in
    endpoint = TokenEndpoint(requests_mock, unit_clock, [PENDING_CONSOLE] * 1000)
    with pytest.raises(AuthError, match="expired"):
        run(unit_api, unit_clock, auth)
    assert len(endpoint.times) == int(expires_in // 5)


@pytest.mark.parametrize(("changes", "field"), [
    ({"device_code": ...}, "device_code"),
    ({"device_code": 12345}, "device_code"),
    ({"device_code": ""}, "device_code"),
    ({"device_code": "x" * 4097}, "device_code"),
    ({"user_code": ...}, "user_code"),
    ({"user_code": ["ABCD"]}, "user_code"),
    ({"user_code": "   "}, "user_code"),
    ({"user_code": "A" * 65}, "user_code"),
    ({"verification_uri": ...}, "verification_uri"),
    ({"verification_uri": None}, "verification_uri"),
    ({"verification_uri": {"href": "https://x"}}, "verification_uri"),
    ({"verification_uri": "https://x/" + "a" * 2048}, "verification_uri"),
])
def test_request_device_code_refuses_missing_or_bad_fields(requests_mock: Any, unit_api: ConsoleClient,
                                                           changes: dict[str, Any], field: str) -> None:
    requests_mock.post(DEVICE_URL, json=device_answer(**changes))
    with pytest.raises(ServerError) as caught:
        unit_api.request_device_code("c", ("inference",))
    message = str(caught.value)
    assert f"missing or bad {field!r}" in message
    assert HOST in message
    assert_no_device_code(caught.value)


def test_request_device_code_ignores_a_bad_complete_uri(requests_mock: Any, unit_api: ConsoleClient) -> None:
    requests_mock.post(DEVICE_URL, json=device_answer(verification_uri_complete=["x"]))
    assert unit_api.request_device_code("c", ("inference",)).verification_uri_complete is None


@pytest.mark.parametrize(("text", "phrase"), [
    ("<!DOCTYPE html><html><body>Sign in to the wifi</body></html>", "not a JSON object"),
    ("[1, 2, 3]", "not a JSON object"),
    ('"device_code"', "not a JSON object"),
    ("", "not a JSON object"),
    ("{not json", "not a JSON object"),
])
def test_request_device_code_refuses_a_body_that_is_not_an_object(requests_mock: Any, unit_api: ConsoleClient,
                                                                  text: str, phrase: str) -> None:
    requests_mock.post(DEVICE_URL, status_code=200, text=text)
    with pytest.raises(ServerError, match=phrase) as caught:
        unit_api.request_device_code("c", ("inference",))
    assert HOST in str(caught.value)
    assert "<" not in str(caught.value)


@pytest.mark.parametrize(("status", "text", "error", "phrase"), [
    (500, json.dumps({"message": "internal"}), ServerError, "HTTP 500: internal"),
    (502, "<html><h1>502 Bad Gateway</h1></html>", ServerError, "HTML page instead of JSON"),
    (429, json.dumps({"error": "rate_limited"}), ServerError, "HTTP 429"),
    (404, json.dumps({"message": "Not found"}), ServerError, "HTTP 404: Not found"),
    (400, json.dumps({"error": "invalid_scope"}), ServerError, "HTTP 400: invalid_scope"),
    (401, json.dumps({"error": "invalid_client"}), AuthError, "not authenticated"),
    (201, json.dumps(GOOD_DEVICE_ANSWER), ServerError, "HTTP 201"),
])
def test_request_device_code_refuses_other_statuses(requests_mock: Any, unit_api: ConsoleClient, status: int,
                                                    text: str, error: type[SkytellsError], phrase: str) -> None:
    requests_mock.post(DEVICE_URL, status_code=status, text=text)
    with pytest.raises(error) as caught:
        unit_api.request_device_code("c", ("inference",))
    assert phrase in str(caught.value)
    assert "could not start the device authorization" in str(caught.value)
    assert_no_device_code(caught.value)


def test_request_device_code_network_failure_names_the_host(requests_mock: Any, unit_api: ConsoleClient) -> None:
    requests_mock.post(DEVICE_URL, exc=requests.exceptions.ConnectionError("[Errno 111] Connection refused"))
    with pytest.raises(NetworkError, match=f"Could not connect to {HOST}"):
        unit_api.request_device_code("c", ("inference",))
