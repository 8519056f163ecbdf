"""The pending login (``login --request``) is kept as safely as a token: killed saves and concurrent runs.

The crash harness of test_rel_crash_points.py kills a save at every os call;
here the change is a pending login stored the way ``set_pending_login``
stores it. The concurrency test runs ``login --request`` in many profiles at
once beside ``login --token`` runs, against one credentials file.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from reliability_support import World, crash_events, run_crash_point
from skytells_sandbox.server import Sandbox

from skytells.credentials.model import PENDING_LOGIN_FIELD, PendingLogin

OLD_DOCUMENT = json.dumps({"token": "sk_pat_" + "ab" * 32, "created_at": 1_700_000_000_000,
                           "editor_setting": {"kept": True}}, indent=2).encode()
PENDING = PendingLogin(method="device", expires_at=1_700_000_900_000, event={"event": "authorization_pending"},
                       state={"device_code": "dc-" + "f3" * 20, "user_code": "ABCD-1234",
                              "verification_uri": "https://console.example.test/device",
                              "server": "https://console.example.test", "scopes": ["inference"], "interval": 5.0,
                              "requested_at": 1_700_000_000_000, "expires_at": 1_700_000_900_000,
                              "not_before": 1_700_000_005_000})
CHANGE = {PENDING_LOGIN_FIELD: PENDING.to_document()}


@pytest.mark.parametrize("old", [OLD_DOCUMENT, None], ids=["beside a token", "first save"])
def test_a_pending_login_save_killed_at_any_step_leaves_a_whole_file(tmp_path: Path, old: bytes | None) -> None:
    events = crash_events(tmp_path / "count" / "skytells", old, CHANGE, tmp_path / "events.json")

    def one(number: int):
        return run_crash_point(tmp_path / f"crash-{number}" / "skytells", old, CHANGE, number, events[number - 1])

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(one, range(1, len(events) + 1)))
    assert len(outcomes) >= 26
    allowed = {"old", "new"} if old is not None else {"absent", "new"}
    for outcome in outcomes:
        assert outcome.killed, outcome.event
        assert outcome.state in allowed, f"killed at {outcome.event!r}: {outcome.state} {outcome.detail}"
        assert outcome.next_save_ok, f"after a kill at {outcome.event!r}: {outcome.detail}"
        assert outcome.temporaries_after_next_save == 0
    assert "new" in {o.state for o in outcomes}
    # The survivor parses, pending login included (parse_document checks it strictly).
    from skytells.credentials.stores.file import FileStore

    assert FileStore(tmp_path / f"crash-{len(outcomes)}" / "skytells").load().pending_login() == PENDING


def test_concurrent_requests_and_logins_keep_every_pending_login_and_token(rel_world: World,
                                                                           rel_sandbox: Sandbox) -> None:
    profiles = [f"p{n}" for n in range(8)]
    tokens = {f"t{n}": rel_sandbox.issue_token() for n in range(8)}
    processes = [rel_world.start("--profile", name, "login", "--request") for name in profiles]
    processes += [rel_world.start("--profile", name, "login", "--token", stdin_pipe=True) for name in tokens]
    for process, token in zip(processes[len(profiles):], tokens.values(), strict=True):
        process.write(token + "\n")
    runs = [process.finish(timeout=60) for process in processes]
    assert [run.code for run in runs] == [0] * len(runs), "\n".join(str(run) for run in runs if run.code)

    saved = rel_world.read_credentials()["profiles"]
    for name, run in zip(profiles, runs, strict=False):
        printed = json.loads(run.stdout)
        stored = saved[name][PENDING_LOGIN_FIELD]["state"]
        assert stored["user_code"] == printed["user_code"]
        assert stored["device_code"] == rel_sandbox.device_request(printed["user_code"]).device_code
        assert stored["device_code"] not in run.output
    for name, token in tokens.items():
        assert saved[name]["token"] == token
    assert rel_world.temporaries() == []
