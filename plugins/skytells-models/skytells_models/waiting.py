"""Waiting for a prediction to finish: a spinner on a terminal, one plain line per change otherwise.

The clock and the sleep are parameters, so tests never wait.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from skytells.errors import SkytellsError, UsageError
from skytells.terminal.ui import Terminal

from skytells_models.api import FINAL_STATUSES

#: How often the official CLI asks (seconds).
DEFAULT_INTERVAL = 2.0
#: How long ``--wait`` waits by default (seconds).
DEFAULT_TIMEOUT = 900.0


class StillRunningError(SkytellsError):
    """``--wait`` gave up: the prediction had not finished in time (it goes on at the server)."""


def status_of(prediction: dict[str, Any]) -> str:
    """The prediction's status, ``unknown`` when it has none."""
    status = prediction.get("status")
    return status if isinstance(status, str) and status else "unknown"


def check_seconds(text: str, what: str, minimum: float, maximum: float) -> float:
    """``text`` as a number of seconds in [minimum, maximum]; UsageError otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not minimum <= value <= maximum:
        raise UsageError(f"{what} must be a number of seconds from {minimum:g} to {maximum:g}.")
    return value


def wait_for(prediction: dict[str, Any], fetch: Callable[[], dict[str, Any]], terminal: Terminal, *,
             clock: Callable[[], float], sleep: Callable[[float], None], interval: float = DEFAULT_INTERVAL,
             timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Ask ``fetch()`` every ``interval`` seconds until the prediction is final; return it.

    On a terminal a spinner shows the status and the time waited; otherwise
    each new status is one line on stderr (none with ``-q``). Raises
    :class:`StillRunningError` after ``timeout`` seconds.
    """
    status = status_of(prediction)
    if status in FINAL_STATUSES:
        return prediction
    name = str(prediction.get("id", "the prediction"))
    started = clock()
    with terminal.activity(f"Prediction {name}: {status}...") as update:
        while True:
            waited = clock() - started
            if waited >= timeout:
                raise StillRunningError(f"Prediction {name} is still {status} after {waited:.0f} s.",
                                        hint=f"It goes on; see it with: skytells predictions get {name}")
            sleep(min(interval, max(timeout - waited, 0.0)))
            prediction = fetch()
            new_status = status_of(prediction)
            if new_status != status and not terminal.animate:
                terminal.detail(f"Prediction {name}: {new_status}")
            status = new_status
            if status in FINAL_STATUSES:
                return prediction
            update(f"Prediction {name}: {status}... ({clock() - started:.0f} s)")
