"""Kill a save at every step: the credentials file is always the whole old or the whole new document.

A child process runs one ``FileStore.update()`` with every os call the store
makes (open, fdopen, read, write, flush, fsync, replace, unlink, close, mkdir,
chmod, flock) wrapped, and SIGKILLs itself just before or just after call
number N. Every N from the first call to the last is tried.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from reliability_support import CrashOutcome, crash_events, run_crash_point

OLD_DOCUMENT = json.dumps({
    "token": "sk_pat_" + "ab" * 32,
    "access_key": "sk_proj_" + "cd" * 24,
    "created_at": 1_700_000_000_000,
    "editor_setting": {"kept": True},
}, indent=2).encode()
CHANGE = {"crash_test": "the new document", "count": 2}


def _all_outcomes(tmp_path: Path, old: bytes | None) -> list[CrashOutcome]:
    events = crash_events(tmp_path / "count" / "skytells", old, CHANGE, tmp_path / "events.json")
    assert {"before replace", "after replace", "before fsync", "before write"} <= set(events)

    def one(number: int) -> CrashOutcome:
        directory = tmp_path / f"crash-{number}" / "skytells"
        return run_crash_point(directory, old, CHANGE, number, events[number - 1])

    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(one, range(1, len(events) + 1)))


@pytest.mark.parametrize("old", [OLD_DOCUMENT, None], ids=["replacing a file", "first save"])
def test_a_save_killed_at_any_step_leaves_a_whole_file_and_the_next_save_cleans_up(tmp_path: Path,
                                                                                   old: bytes | None) -> None:
    outcomes = _all_outcomes(tmp_path, old)
    assert len(outcomes) >= 26  # every call of a save, before and after
    for outcome in outcomes:
        assert outcome.killed, f"the child was not killed at {outcome.event!r}"
        allowed = {"old", "new"} if old is not None else {"absent", "new"}
        assert outcome.state in allowed, f"killed at {outcome.event!r}: the file is {outcome.state} {outcome.detail}"
        assert outcome.next_save_ok, f"after a kill at {outcome.event!r} the next save failed: {outcome.detail}"
        assert outcome.temporaries_after_next_save == 0, f"a temporary file survived a kill at {outcome.event!r}"
    states = [o.state for o in outcomes]
    # Before the rename the old document stays; from the rename on, the new one is there.
    first_new = states.index("new")
    assert all(state != "new" for state in states[:first_new])
    assert all(state == "new" for state in states[first_new:])
    assert outcomes[first_new].event == "after replace"
    # Some kills really left a temporary file behind, which the next save removed.
    assert any(o.temporaries_after_crash for o in outcomes)
