"""``skytells.entry_index`` and ``skytells.command_index``: what invalidates them, and what they never do."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import time
from pathlib import Path

import pytest

from skytells import command_index, entry_index


def _dist_info(site: Path, dist: str, entry_points: str, *, kind: str = "dist-info") -> Path:
    meta = site / f"{dist}-1.0.{kind}"
    meta.mkdir(parents=True)
    (meta / ("PKG-INFO" if kind == "egg-info" else "METADATA")).write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (meta / "entry_points.txt").write_text(entry_points)
    return meta


def _backdate(*paths: Path, seconds: float = 60) -> None:
    moment = time.time() - seconds
    for path in paths:
        for each in [*path.rglob("*"), path] if path.is_dir() else [path]:
            os.utime(each, (moment, moment))


@pytest.fixture
def startup_site(tmp_path, monkeypatch, startup_quiet):
    """A fresh directory at the front of ``sys.path``, a private cache, and no entry points read yet."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    entry_index.forget()
    yield site
    entry_index.forget()


def _commands() -> dict[str, str]:
    entry_index.forget()
    return {ep.name: ep.value for ep in entry_index.entry_points("skytells.commands")}


def test_a_new_distribution_in_a_quiet_directory_is_seen(startup_site):
    _backdate(startup_site)
    assert "demo" not in _commands()
    assert (Path(os.environ["XDG_CACHE_HOME"]) / "skytells" / entry_index.INDEX_FILE).exists()
    _dist_info(startup_site, "demo", "[skytells.commands]\ndemo = demo_module:Demo\n")
    assert _commands()["demo"] == "demo_module:Demo"


def test_an_egg_info_rewritten_in_place_is_seen(startup_site):
    # setup.py develop rewrites <project>.egg-info/entry_points.txt without touching the directory above it.
    meta = _dist_info(startup_site, "legacy", "[skytells.commands]\nold = legacy_module:Old\n", kind="egg-info")
    _backdate(startup_site)
    assert _commands()["old"] == "legacy_module:Old"
    directory_stamp = entry_index.file_stamp(str(startup_site))
    with open(meta / "entry_points.txt", "w") as handle:  # in place: same inode, same directory entries
        handle.write("[skytells.commands]\nnew = legacy_module:New\n")
    assert entry_index.file_stamp(str(startup_site)) == directory_stamp
    commands = _commands()
    assert "old" not in commands and commands["new"] == "legacy_module:New"


def test_nothing_is_cached_while_the_environment_is_still_changing(startup_site):
    _dist_info(startup_site, "fresh", "[skytells.commands]\nfresh = fresh_module:Fresh\n")
    assert entry_index.is_racy(entry_index.path_stamps())
    assert _commands()["fresh"] == "fresh_module:Fresh"
    assert entry_index.read_slot(entry_index.INDEX_FILE) is None
    _backdate(startup_site)
    assert not entry_index.is_racy([entry_index.file_stamp(str(startup_site))])


def test_a_damaged_cache_file_is_rebuilt(startup_site):
    _dist_info(startup_site, "demo", "[skytells.commands]\ndemo = demo_module:Demo\n")
    _backdate(startup_site)
    path = Path(os.environ["XDG_CACHE_HOME"]) / "skytells" / entry_index.INDEX_FILE
    path.parent.mkdir(parents=True)
    for damage in ("{not json", json.dumps([1, 2]), json.dumps({"x": "y"})):
        path.write_text(damage)
        assert _commands()["demo"] == "demo_module:Demo"
    assert "demo_module:Demo" in path.read_text()


def test_cache_files_keep_a_few_environments(startup_site, monkeypatch):
    for number in range(entry_index.MAX_SLOTS + 3):
        monkeypatch.setattr("sys.executable", f"/opt/python-{number}/bin/python")
        entry_index.write_slot("slots.json", number)
    slots = json.loads((Path(os.environ["XDG_CACHE_HOME"]) / "skytells" / "slots.json").read_text())
    assert sorted(slots.values()) == list(range(3, entry_index.MAX_SLOTS + 3))
    assert entry_index.read_slot("slots.json") == entry_index.MAX_SLOTS + 2


@pytest.fixture
def startup_logging():
    """Give back the root logger as it was: running the app in this process configures logging."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


def test_a_warm_run_reads_no_distribution_metadata(startup_site, startup_logging, monkeypatch, tmp_path, capsys):
    """With warm caches, listing commands, help and a display command scan nothing and import no other command."""
    from skytells import plugins
    from skytells.main import main

    monkeypatch.setattr(plugins, "show_tracebacks", plugins.show_tracebacks)

    monkeypatch.setattr(entry_index, "RACY_SECONDS", 0.0)  # the real environment may have changed just now
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SKYTELLS_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("SKYTELLS_TOKEN", "SKYTELLS_ACCESS_KEY", "SKYTELLS_API_KEY", "SKYTELLS_API_URL", "SKYTELLS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "config").mkdir(mode=0o700)
    credentials = tmp_path / "config" / "credentials.json"
    credentials.write_text(json.dumps({"token": "sk_pat_" + "ab" * 32, "created_at": 1700000000000}))
    credentials.chmod(0o600)
    assert main(["help"]) == 0 and main(["whoami", "--offline"]) == 0
    warm = capsys.readouterr().out

    def no_scan(*_args, **_kwargs):
        raise AssertionError("read the metadata of every distribution")

    import cliff.command
    import stevedore._cache

    monkeypatch.setattr(entry_index, "_scan", no_scan)
    monkeypatch.setattr(importlib.metadata, "distributions", no_scan)
    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    monkeypatch.setattr(cliff.command, "packages_distributions", no_scan)
    monkeypatch.setattr(stevedore._cache, "_hash_settings_for_path", no_scan)
    monkeypatch.setattr(command_index, "describe", no_scan)  # every summary comes from the cache
    entry_index.forget()
    assert main(["help"]) == 0 and main(["whoami", "--offline"]) == 0
    assert capsys.readouterr().out == warm
