"""Many processes writing the store at once: no update is lost, the file is never seen half-written."""

from __future__ import annotations

from pathlib import Path

from reliability_support import World, concurrent_cli, hammer_store
from skytells_sandbox.server import Sandbox

WRITERS = 50
UPDATES = 20


def test_fifty_writers_times_twenty_updates_lose_nothing(tmp_path: Path) -> None:
    lost, bad_reads, reads = hammer_store(tmp_path / "skytells", WRITERS, UPDATES)
    assert lost == 0
    assert bad_reads == 0
    assert reads > 0
    assert sorted(p.name for p in (tmp_path / "skytells").iterdir()) == [".credentials.lock", "credentials.json"]


def test_concurrent_cli_runs_keep_every_update(rel_world: World, rel_sandbox: Sandbox) -> None:
    """35 ``skytells`` processes at once (login, link, api-key set, logout), each changing one credential."""
    outcome = concurrent_cli(rel_world, rel_sandbox, profiles=7)
    assert outcome.processes == 35
    assert outcome.failed == [], "\n".join(outcome.failed)
    assert outcome.lost == []
    assert outcome.unreadable_reads == 0 and outcome.reads > 0
    assert rel_world.temporaries() == []
