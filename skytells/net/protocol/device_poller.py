"""Waiting for the user to approve a device authorization (RFC 8628 section 3.4-3.5).

The loop never polls sooner than the current interval, adds 5 s to it for the
rest of the flow on ``slow_down``, backs off on transient failures, and gives
up at ``expires_in`` or after ``MAX_FAILED_POLLS`` failed polls in a row (a
server that went away is not waited for until the code expires). Every device
flow, whatever the server, goes through here. Clock and sleep are injected so
tests never wait out a real interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from skytells.errors import AccessDeniedError, AuthError, ExpiredTokenError, NetworkError, ServerError
from skytells.net.protocol.device_grant import DeviceAuthorization, DeviceGrantClient, PollOutcome, PollResult

SLOW_DOWN_STEP = 5.0
MAX_SLOW_DOWNS = 10
MAX_BACKOFF = 60.0
#: Failed polls in a row (no connection, 5xx, 429) after which the server is taken to be gone.
MAX_FAILED_POLLS = 6
TICK = 1.0


def expired_error(expires_in: float, problem: str = "") -> ExpiredTokenError:
    """The seed page's "Device code expired" advice, with the failure that was still going on, if any."""
    minutes = max(1, round(expires_in / 60))
    window = "1 minute" if minutes == 1 else f"{minutes} minutes"
    still = f" (the last attempt failed: {problem.rstrip('.')})" if problem else ""
    return ExpiredTokenError("Device code expired: the browser authorization was not completed within "
                             f"{window}{still}.", hint="Run skytells login again.")


def denied_error() -> AccessDeniedError:
    """The error for an authorization the user denied."""
    return AccessDeniedError("Authorization was denied in the browser; nothing was saved.",
                             hint="Run skytells login again to retry.")


def next_interval(interval: float, outcome: PollOutcome) -> float:
    """The polling interval after a poll: ``slow_down`` adds 5 s for the rest of the flow (RFC 8628 section 3.5)."""
    return interval + SLOW_DOWN_STEP if outcome is PollOutcome.SLOW_DOWN else interval


def final_error(result: PollResult, expires_in: float) -> AuthError | None:
    """The error that ends the flow after ``result`` (denied, expired), or None when it goes on or succeeded."""
    if result.outcome is PollOutcome.DENIED:
        return denied_error()
    if result.outcome is PollOutcome.EXPIRED:
        return expired_error(expires_in)
    return None


def gone_error(failures: int, problem: str) -> NetworkError:
    """The error for a server that stopped answering mid-login; ``problem`` (the last failure) names it."""
    return NetworkError(f"Gave up waiting for authorization after {failures} failed polls in a row "
                        f"(the last: {problem.rstrip('.')}); nothing was saved.",
                        hint="Check the connection to the server, then run skytells login again.")


class DevicePoller:
    """Polls the token endpoint until the user approves, denies or the code expires."""

    def __init__(self, api: DeviceGrantClient, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.api = api
        self.clock = clock
        self.sleep = sleep

    def wait_for_token(self, authorization: DeviceAuthorization, *, started_at: float | None = None,
                       on_tick: Callable[[float], None] = lambda _left: None,
                       on_problem: Callable[[str], None] = lambda _text: None,
                       first_wait: float | None = None) -> PollResult:
        """Return the approved poll result, or raise AccessDeniedError, ExpiredTokenError, ServerError or NetworkError.

        ``on_tick`` receives the seconds left before the code expires, about
        once a second; ``on_problem`` receives a message when transient
        failures start (once per run of failures). ``first_wait`` (at most one
        interval) replaces the interval before the first poll, for an
        authorization polled before (``login --check --wait``).
        """
        start = self.clock() if started_at is None else started_at
        deadline = start + authorization.expires_in
        interval = authorization.interval
        failures = 0
        slow_downs = 0
        wait = interval if first_wait is None else min(max(first_wait, 0.0), interval)
        result = PollResult(PollOutcome.PENDING)
        while True:
            if not self._wait(wait, deadline, on_tick):
                raise expired_error(authorization.expires_in, result.detail if failures else "")
            result = self.api.poll_device_token(authorization.device_code)
            outcome = result.outcome
            if outcome is PollOutcome.APPROVED:
                return result
            if (error := final_error(result, authorization.expires_in)) is not None:
                raise error
            if outcome in (PollOutcome.PENDING, PollOutcome.SLOW_DOWN):  # the server answers again
                if failures:
                    on_problem("Connection restored; still waiting for authorization.")
                failures = 0
            if outcome is PollOutcome.SLOW_DOWN:
                slow_downs += 1
                if slow_downs > MAX_SLOW_DOWNS:
                    raise ServerError(f"{self.api.host} asked the CLI to slow down {slow_downs} times in a row; "
                                      "check the system clock and network, then try again later.")
                interval = next_interval(interval, outcome)
                wait = interval
            elif outcome is PollOutcome.RETRY:
                if failures == 0:
                    on_problem(f"{result.detail.rstrip('.')}; retrying (giving up after "
                               f"{MAX_FAILED_POLLS} failed polls in a row).")
                failures += 1
                if failures >= MAX_FAILED_POLLS:
                    raise gone_error(failures, result.detail)
                backoff = min(max(interval * (2 ** min(failures, 6)), result.retry_after or 0.0), MAX_BACKOFF)
                wait = max(backoff, interval)  # slow_down can grow the interval past the backoff cap
            else:  # PENDING
                slow_downs = 0
                wait = interval

    def poll_once(self, authorization: DeviceAuthorization, *, wait: float = 0.0) -> PollResult:
        """Wait ``wait`` seconds (at most one interval), then poll once: for a client that polls from time to time.

        Returns the result when approved, pending or asked to slow down
        (:func:`next_interval` gives the interval that applies next); raises
        AuthError when denied or expired, NetworkError when the server could
        not be asked (transient: the same authorization may be polled again).
        """
        wait = min(max(wait, 0.0), authorization.interval)
        if wait:
            self.sleep(wait)
        result = self.api.poll_device_token(authorization.device_code)
        if (error := final_error(result, authorization.expires_in)) is not None:
            raise error
        if result.outcome is PollOutcome.RETRY:
            raise NetworkError(f"Could not ask for the authorization ({result.detail.rstrip('.')}); "
                               "the pending login is kept.", hint="Try again later.")
        return result

    def _wait(self, seconds: float, deadline: float, on_tick: Callable[[float], None]) -> bool:
        """Sleep ``seconds`` in ticks; False if the deadline passes first."""
        until = self.clock() + seconds
        if until > deadline:
            return False
        while True:
            now = self.clock()
            if now >= until:
                return True
            on_tick(deadline - now)
            self.sleep(min(TICK, until - now))
