"""A server that goes away mid-login is given up on after a bounded number of failed polls.

The poller is driven by a scripted ``DeviceGrantClient`` (the Protocol every
device flow goes through) on a fake clock, over many patterns of failures,
answers and slow-downs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skytells.errors import NetworkError
from skytells.exitcodes import ExitCode
from skytells.net.protocol.device_grant import DeviceAuthorization, DeviceGrantClient, PollOutcome, PollResult
from skytells.net.protocol.device_poller import MAX_FAILED_POLLS, MAX_SLOW_DOWNS, DevicePoller
from tests.unit.conftest import UnitFakeClock

HOST = "auth.example.test"
DEVICE_CODE = "dc-0b7e2f4a9c1d3e5f7a9b1c3d5e7f9a1b"
EXPIRES_IN = 3600.0
FAILURES = (
    PollResult(PollOutcome.RETRY, detail=f"Could not connect to {HOST} (connection refused)."),
    PollResult(PollOutcome.RETRY, detail=f"{HOST} did not answer within 30 s"),
    PollResult(PollOutcome.RETRY, detail=f"{HOST} had a problem (HTTP 502)"),
    PollResult(PollOutcome.RETRY, detail=f"{HOST} had a problem (HTTP 503)", retry_after=60.0),
    PollResult(PollOutcome.RETRY, detail=f"{HOST} is rate limiting requests (HTTP 429)", retry_after=7.0),
)
PENDING = PollResult(PollOutcome.PENDING)
SLOW_DOWN = PollResult(PollOutcome.SLOW_DOWN)
APPROVED = PollResult(PollOutcome.APPROVED, access_token="at_" + "5" * 40)


FakeClock = UnitFakeClock  # a monotonic clock that moves only when the poller sleeps


@dataclass
class ScriptedServer:
    """A DeviceGrantClient answering each poll from a script."""

    answers: list[PollResult]
    host: str = HOST
    polls: int = 0
    codes: list[str] = field(default_factory=list)

    def request_device_code(self, client_name: str, scopes: tuple[str, ...]) -> DeviceAuthorization:
        raise AssertionError("the poller never starts an authorization")

    def poll_device_token(self, device_code: str) -> PollResult:
        self.codes.append(device_code)
        self.polls += 1
        assert self.answers, f"polled more often than scripted (poll {self.polls})"
        return self.answers.pop(0)


def wait(server: DeviceGrantClient, problems: list[str] | None = None) -> PollResult:
    clock = FakeClock()
    authorization = DeviceAuthorization(device_code=DEVICE_CODE, user_code="WXYZ-0000",
                                        verification_uri=f"https://{HOST}/device", verification_uri_complete=None,
                                        expires_in=EXPIRES_IN, interval=5.0)
    return DevicePoller(server, clock=clock, sleep=clock.sleep).wait_for_token(
        authorization, on_problem=(problems.append if problems is not None else lambda _text: None))


def expected_end(script: list[PollResult]) -> int | None:
    """The poll (1-based) at which the run of failures reaches the bound, or None if it never does."""
    in_a_row = 0
    for number, answer in enumerate(script, start=1):
        in_a_row = in_a_row + 1 if answer.outcome is PollOutcome.RETRY else 0
        if in_a_row == MAX_FAILED_POLLS:
            return number
    return None


# Slow-downs stay below the storm limit (another rule); every answer is a failure, pending or slow_down.
answers = st.lists(st.one_of(st.sampled_from(FAILURES), st.just(PENDING), st.just(SLOW_DOWN)), max_size=30) \
    .filter(lambda script: sum(answer is SLOW_DOWN for answer in script) <= MAX_SLOW_DOWNS)


@settings(max_examples=300, deadline=None, database=None)
@given(answers)
def test_only_a_full_run_of_failed_polls_ends_the_login(script: list[PollResult]) -> None:
    server = ScriptedServer([*script, APPROVED])
    end = expected_end(script)
    if end is None:
        assert wait(server) is APPROVED
        assert server.polls == len(script) + 1
        return
    with pytest.raises(NetworkError) as caught:
        wait(server)
    assert server.polls == end  # not one poll more
    last = script[end - 1]
    message = str(caught.value)
    assert caught.value.exit_code == ExitCode.FAILURE
    assert f"after {MAX_FAILED_POLLS} failed polls in a row" in message
    assert last.detail.rstrip(".") in message
    assert "\n" not in message
    assert DEVICE_CODE not in message and DEVICE_CODE not in repr(caught.value)


@pytest.mark.parametrize("failure", FAILURES, ids=["refused", "timeout", "502", "503 retry-after", "429"])
@pytest.mark.parametrize("answered_first", [0, 1, 3])
def test_each_kind_of_failure_counts(failure: PollResult, answered_first: int) -> None:
    server = ScriptedServer([PENDING] * answered_first + [failure] * MAX_FAILED_POLLS)
    problems: list[str] = []
    with pytest.raises(NetworkError, match=HOST):
        wait(server, problems)
    assert server.polls == answered_first + MAX_FAILED_POLLS
    assert problems == [f"{failure.detail.rstrip('.')}; retrying (giving up after {MAX_FAILED_POLLS} "
                        "failed polls in a row)."]


@pytest.mark.parametrize("answer", [PENDING, SLOW_DOWN], ids=["pending", "slow_down"])
def test_any_answer_from_the_server_starts_the_count_again(answer: PollResult) -> None:
    almost = [FAILURES[0]] * (MAX_FAILED_POLLS - 1)
    server = ScriptedServer([*almost, answer, *almost, answer, *almost, APPROVED])
    problems: list[str] = []
    assert wait(server, problems) is APPROVED
    assert problems.count("Connection restored; still waiting for authorization.") == 2


def test_the_bound_is_reached_long_before_a_long_code_expires() -> None:
    clock = FakeClock()
    server = ScriptedServer([FAILURES[0]] * MAX_FAILED_POLLS)
    authorization = DeviceAuthorization(device_code=DEVICE_CODE, user_code="WXYZ-0000",
                                        verification_uri=f"https://{HOST}/device", verification_uri_complete=None,
                                        expires_in=EXPIRES_IN, interval=5.0)
    with pytest.raises(NetworkError):
        DevicePoller(server, clock=clock, sleep=clock.sleep).wait_for_token(authorization)
    assert clock.now - 1000.0 <= 5 * 60  # within five minutes, not the hour the code lives
