"""Waiting for a prediction, with a fake clock and sleep: no test waits."""

from __future__ import annotations

import io

import pytest
from skytells.terminal.ui import Terminal

from skytells_models.waiting import StillRunningError, check_seconds, wait_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def answers(*statuses: str):
    replies = iter([{"id": "pred_1", "status": status} for status in statuses])
    return lambda: next(replies)


def test_a_final_prediction_is_returned_at_once():
    clock, stderr = Clock(), io.StringIO()
    done = {"id": "pred_1", "status": "succeeded"}
    assert wait_for(done, answers(), Terminal(stderr=stderr), clock=clock, sleep=clock.sleep) is done
    assert clock.slept == [] and stderr.getvalue() == ""


def test_it_asks_every_interval_and_prints_each_change_once():
    clock, stderr = Clock(), io.StringIO()
    result = wait_for({"id": "pred_1", "status": "starting"},
                      answers("starting", "processing", "processing", "succeeded"),
                      Terminal(stderr=stderr), clock=clock, sleep=clock.sleep, interval=2)
    assert result["status"] == "succeeded"
    assert clock.slept == [2, 2, 2, 2]
    assert stderr.getvalue().splitlines() == ["Prediction pred_1: starting...", "Prediction pred_1: processing",
                                              "Prediction pred_1: succeeded"]


def test_quiet_prints_nothing():
    clock, stderr = Clock(), io.StringIO()
    wait_for({"id": "pred_1", "status": "starting"}, answers("failed"), Terminal(stderr=stderr, quiet=True),
             clock=clock, sleep=clock.sleep)
    assert stderr.getvalue() == ""


def test_it_gives_up_at_the_timeout_without_oversleeping():
    clock = Clock()
    with pytest.raises(StillRunningError, match="still processing after 5 s") as raised:
        wait_for({"id": "pred_1", "status": "processing"}, lambda: {"id": "pred_1", "status": "processing"},
                 Terminal(stderr=io.StringIO()), clock=clock, sleep=clock.sleep, interval=2, timeout=5)
    assert clock.slept == [2, 2, 1]
    assert raised.value.exit_code == 1 and "skytells predictions get pred_1" in str(raised.value)


@pytest.mark.parametrize("text", ["0", "-1", "nan", "x", "4000"])
def test_bad_intervals_are_usage_errors(text):
    from skytells.errors import UsageError

    with pytest.raises(UsageError):
        check_seconds(text, "--interval", 0.05, 3600)
