"""``skytells.extensions.discovery`` and the summary cache: what invalidates them, what they never do."""

from __future__ import annotations

import importlib.metadata
import json
import logging
import os
import time
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skytells.cli import command as command_module
from skytells.extensions import discovery, plugins


def _dist_info(site: Path, dist: str, entry_points: str, *, kind: str = "dist-info", version: str = "1.0") -> Path:
    meta = site / f"{dist}-{version}.{kind}"
    meta.mkdir(parents=True)
    (meta / ("PKG-INFO" if kind == "egg-info" else "METADATA")).write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
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
    discovery.forget()
    yield site
    discovery.forget()


def _commands() -> dict[str, str]:
    discovery.forget()
    return {ep.name: ep.value for ep in discovery.entry_points("skytells.commands")}


def test_a_new_distribution_in_a_quiet_directory_is_seen(startup_site):
    _backdate(startup_site)
    assert "demo" not in _commands()
    assert (Path(os.environ["XDG_CACHE_HOME"]) / "skytells" / discovery.INDEX_FILE).exists()
    _dist_info(startup_site, "demo", "[skytells.commands]\ndemo = demo_module:Demo\n")
    assert _commands()["demo"] == "demo_module:Demo"


def test_an_egg_info_rewritten_in_place_is_seen(startup_site):
    # setup.py develop rewrites <project>.egg-info/entry_points.txt without touching the directory above it.
    meta = _dist_info(startup_site, "legacy", "[skytells.commands]\nold = legacy_module:Old\n", kind="egg-info")
    _backdate(startup_site)
    assert _commands()["old"] == "legacy_module:Old"
    directory_stamp = discovery.file_stamp(str(startup_site))
    with open(meta / "entry_points.txt", "w") as handle:  # in place: same inode, same directory entries
        handle.write("[skytells.commands]\nnew = legacy_module:New\n")
    assert discovery.file_stamp(str(startup_site)) == directory_stamp
    commands = _commands()
    assert "old" not in commands and commands["new"] == "legacy_module:New"


def test_nothing_is_cached_while_the_environment_is_still_changing(startup_site):
    _dist_info(startup_site, "fresh", "[skytells.commands]\nfresh = fresh_module:Fresh\n")
    assert discovery.is_racy(discovery.path_stamps())
    assert _commands()["fresh"] == "fresh_module:Fresh"
    assert discovery.read_slot(discovery.INDEX_FILE) is None
    _backdate(startup_site)
    assert not discovery.is_racy([discovery.file_stamp(str(startup_site))])


def test_a_damaged_cache_file_is_rebuilt(startup_site):
    _dist_info(startup_site, "demo", "[skytells.commands]\ndemo = demo_module:Demo\n")
    _backdate(startup_site)
    path = Path(os.environ["XDG_CACHE_HOME"]) / "skytells" / discovery.INDEX_FILE
    path.parent.mkdir(parents=True)
    for damage in ("{not json", json.dumps([1, 2]), json.dumps({"x": "y"})):
        path.write_text(damage)
        assert _commands()["demo"] == "demo_module:Demo"
    assert "demo_module:Demo" in path.read_text()


def _valid_slot(site: Path, monkeypatch) -> dict:
    monkeypatch.setattr(discovery, "RACY_SECONDS", 0.0)  # the real environment may have changed just now
    _dist_info(site, "demo", "[skytells.commands]\ndemo = demo_module:Demo\n")
    _backdate(site)
    _commands()
    return discovery.read_slot(discovery.INDEX_FILE)


@pytest.mark.parametrize("damage", [
    lambda slot: slot.update(groups=[]),
    lambda slot: slot.update(groups={"skytells.commands": "demo"}),
    lambda slot: slot.update(groups={"skytells.commands": [["demo", "demo_module:Demo"]]}),
    lambda slot: slot.update(groups={"skytells.commands": [["demo", "demo_module:Demo", "demo", 1]]}),
    lambda slot: slot.update(groups={"skytells.commands": [None]}),
    lambda slot: slot.update(egg_info="not a list"),
    lambda slot: slot.update(egg_info=[[7]]),
    lambda slot: slot.update(version=1),
    lambda slot: slot.pop("groups"),
], ids=["groups-not-a-dict", "group-not-a-list", "short-row", "row-with-a-number", "row-not-a-list",
        "egg-info-not-a-list", "egg-info-stamp-not-a-path", "old-format", "no-groups"])
def test_a_damaged_index_slot_is_rebuilt_not_trusted(startup_site, monkeypatch, damage):
    slot = _valid_slot(startup_site, monkeypatch)
    assert slot["groups"]["skytells.commands"][0] == ["demo", "demo_module:Demo", "demo", "1.0"]
    damage(slot)
    discovery.write_slot(discovery.INDEX_FILE, slot)
    assert _commands()["demo"] == "demo_module:Demo"
    assert discovery.read_slot(discovery.INDEX_FILE)["groups"]["skytells.commands"][0][0] == "demo"


def test_a_shadowed_copy_of_a_distribution_is_skipped_as_python_skips_it(startup_site, tmp_path, monkeypatch):
    later = tmp_path / "later"
    later.mkdir()
    monkeypatch.syspath_prepend(str(later))
    monkeypatch.syspath_prepend(str(startup_site))  # startup_site first, then later
    _dist_info(startup_site, "Demo_Plugin", "[skytells.commands]\ndemo = new_module:Demo\n", version="2.0")
    _dist_info(later, "demo_plugin", "[skytells.commands]\ndemo = old_module:Demo\nold = old_module:Old\n")
    discovery.forget()
    (ep,) = [ep for ep in discovery.entry_points("skytells.commands") if ep.name in ("demo", "old")]
    assert ep.value == "new_module:Demo"
    assert discovery.distribution_of(ep) == discovery.Distribution("Demo_Plugin", "2.0")


def test_distributions_come_from_the_index_without_reading_metadata(startup_site, monkeypatch, caplog):
    """Who provides what (clash warnings, "provided by", skytells plugins) is answered by the warm index."""
    _dist_info(startup_site, "Skytells_Beta.Tools", "[skytells.authenticators]\ndup = beta_module:Auth\n",
               version="3.1")
    _dist_info(startup_site, "skytells-alpha", "[skytells.authenticators]\ndup = alpha_module:Auth\n")
    monkeypatch.setattr(discovery, "RACY_SECONDS", 0.0)  # the real environment may have changed just now
    _commands()  # writes the index

    def no_scan(*_args, **_kwargs):
        raise AssertionError("read the metadata of every distribution")

    monkeypatch.setattr(importlib.metadata, "distributions", no_scan)
    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    monkeypatch.setattr(plugins, "_warned", set())
    discovery.forget()
    with caplog.at_level(logging.WARNING):
        (chosen,) = [ep for ep in plugins.entry_points(discovery.AUTHENTICATORS) if ep.name == "dup"]
    assert chosen.value == "alpha_module:Auth"
    assert "skytells-alpha 1.0 is used, Skytells_Beta.Tools 3.1 ignored" in caplog.text
    assert discovery.provider("beta_module") == discovery.Distribution("Skytells_Beta.Tools", "3.1")
    assert discovery.provider("gamma_module") is None


def test_distribution_names_from_the_metadata_are_made_safe_for_a_terminal(startup_site):
    _dist_info(startup_site, "evil", "[skytells.commands]\nevil = evil_module:Evil\n")
    metadata = next(startup_site.glob("evil-*.dist-info")) / "METADATA"
    metadata.write_text("Metadata-Version: 2.1\nName: evil\x1b[31mred\nVersion: 1.0\x07\n")
    (ep,) = [ep for ep in discovery.entry_points("skytells.commands") if ep.name == "evil"]
    dist = discovery.distribution_of(ep)
    assert "\x1b" not in dist.name and "\x07" not in dist.version and dist.name.startswith("evil")


_WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=6)
_SEPARATORS = st.text(alphabet="-_.", min_size=1, max_size=3)


@given(st.lists(st.tuples(_WORDS, _SEPARATORS, st.booleans()), min_size=1, max_size=4))
def test_distribution_names_are_compared_as_pep_503_normalises_them(parts):
    """Any case and any run of ``-``, ``_`` and ``.`` between the same words name one distribution."""
    spelled = "".join((word.upper() if shout else word) + separator for word, separator, shout in parts)
    canonical = "-".join(word for word, _separator, _shout in parts)
    assert discovery.Distribution(spelled.rstrip("-_."), "1").key == canonical


@given(st.permutations(["skytells-gamma", "Skytells_Beta", "skytells.alpha", "SKYTELLS--DELTA"]))
def test_the_winner_of_a_name_does_not_depend_on_the_listing_order(names):
    candidates = [importlib.metadata.EntryPoint("dup", f"module_{number}:Auth", discovery.AUTHENTICATORS)
                  for number, _name in enumerate(names)]
    dists = {ep.value: discovery.Distribution(name, "1") for ep, name in zip(candidates, names, strict=True)}
    with mock.patch.object(discovery, "distribution_of", lambda ep: dists[ep.value]):
        assert dists[plugins.winner(candidates).value].name == "skytells.alpha"


def test_every_plugin_group_names_a_base_class_and_its_own_label_and_kind():
    groups = list(discovery.GROUPS.values())
    assert [group.name for group in groups] == list(discovery.GROUPS)
    assert len({group.label for group in groups}) == len({group.kind for group in groups}) == len(groups)
    for group in groups:
        assert group.name.startswith(discovery.INDEXED_PREFIXES)
        assert isinstance(group.base_class(), type)


def test_cache_files_keep_a_few_environments(startup_site, monkeypatch):
    for number in range(discovery.MAX_SLOTS + 3):
        monkeypatch.setattr("sys.executable", f"/opt/python-{number}/bin/python")
        discovery.write_slot("slots.json", number)
    slots = json.loads((Path(os.environ["XDG_CACHE_HOME"]) / "skytells" / "slots.json").read_text())
    assert sorted(slots.values()) == list(range(3, discovery.MAX_SLOTS + 3))
    assert discovery.read_slot("slots.json") == discovery.MAX_SLOTS + 2


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
    from skytells.main import main

    monkeypatch.setattr(discovery, "RACY_SECONDS", 0.0)  # the real environment may have changed just now
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

    monkeypatch.setattr(discovery, "_scan", no_scan)
    monkeypatch.setattr(importlib.metadata, "distributions", no_scan)
    monkeypatch.setattr(importlib.metadata, "entry_points", no_scan)
    monkeypatch.setattr(cliff.command, "packages_distributions", no_scan)
    monkeypatch.setattr(stevedore._cache, "_hash_settings_for_path", no_scan)
    monkeypatch.setattr(command_module, "summary", no_scan)  # every summary comes from the cache
    discovery.forget()
    assert main(["help"]) == 0 and main(["whoami", "--offline"]) == 0
    assert capsys.readouterr().out == warm
