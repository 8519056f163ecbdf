"""The rules of skytells.extensions.plugins, in process: which plugin wins a name, what counts as broken, warnings."""

from __future__ import annotations

import json
import logging
from importlib.metadata import EntryPoint

import pytest

from skytells.config import settings
from skytells.credentials.stores.file import FileStore
from skytells.errors import PluginError, UsageError
from skytells.extensions import discovery, plugins
from skytells.login.base import Authenticator, LoginOption

AUTH = discovery.AUTHENTICATORS


class FakeEntryPoint(EntryPoint):
    """An entry point whose load returns (or raises) what the test says."""

    def __init__(self, name: str, value: str, group: str, result: object) -> None:
        super().__init__(name, value, group)
        vars(self)["result"] = result

    def load(self):
        result = vars(self)["result"]
        if isinstance(result, BaseException):
            raise result
        return result


class GoodAuth(Authenticator):
    name = "good"
    description = "A good one"

    def authenticate(self, login):
        raise NotImplementedError


@pytest.fixture
def rules_world(monkeypatch):
    """Fresh warning memory, and distributions for the fake entry points."""
    monkeypatch.setattr(plugins, "_warned", set())
    providers = {}
    monkeypatch.setattr(discovery, "distribution_of", lambda ep: providers.get((ep.group, ep.name, ep.value)))

    def add(ep, distribution, version="1.0"):
        providers[(ep.group, ep.name, ep.value)] = discovery.Distribution(distribution, version)
        return ep

    return add


def test_a_built_in_wins_wherever_it_is_listed(rules_world):
    plugin = rules_world(EntryPoint("token", "zzz_plugin:Auth", AUTH), "aaa-plugin")
    builtin = EntryPoint("token", "skytells.login.token:TokenLoader", AUTH)

    assert plugins.winner([plugin, builtin]) is builtin
    assert plugins.winner([builtin, plugin]) is builtin


def test_between_plugins_the_distribution_name_decides_not_the_listing_order(rules_world):
    beta = rules_world(EntryPoint("dup", "a_module:Auth", AUTH), "Skytells_Beta")
    alpha = rules_world(EntryPoint("dup", "z_module:Auth", AUTH), "skytells-alpha")

    assert plugins.winner([beta, alpha]) is alpha
    assert plugins.winner([alpha, beta]) is alpha


def test_a_clash_warns_once_per_run(rules_world, monkeypatch, caplog):
    beta = rules_world(EntryPoint("dup", "b:Auth", AUTH), "skytells-beta")
    alpha = rules_world(EntryPoint("dup", "a:Auth", AUTH), "skytells-alpha")
    monkeypatch.setattr(discovery, "entry_points", lambda group: [beta, alpha])

    with caplog.at_level(logging.WARNING):
        first = plugins.entry_points(AUTH)
        second = plugins.entry_points(AUTH)

    assert first == second == [alpha]
    assert len(caplog.records) == 1
    assert "skytells-alpha 1.0 is used, skytells-beta 1.0 ignored" in caplog.records[0].getMessage()


def test_a_broken_plugin_warns_once_and_only_debug_adds_the_traceback(rules_world, caplog):
    from skytells.cli.app import ConsoleFormatter

    ep = rules_world(FakeEntryPoint("bad", "bad:Auth", AUTH, ImportError("no module named bad_dep")), "bad-dist")
    with pytest.raises(plugins.BrokenPlugin) as caught:
        plugins.load(ep)

    with caplog.at_level(logging.WARNING):
        plugins.warn_broken(caught.value)
        plugins.warn_broken(caught.value)
    assert len(caplog.records) == 1
    record = caplog.records[0]
    assert record.getMessage() == (
        "The login method 'bad' from bad-dist 1.0 could not be loaded: ImportError: no module named bad_dep; "
        "it is skipped. Remove it with: pip uninstall bad-dist")
    assert record.exc_info[1] is caught.value.__cause__  # for --log-file and --debug
    # The console shows the one line; with --debug, the traceback under it.
    plain = ConsoleFormatter("%(message)s").format(record)
    assert plain == "warning: " + record.getMessage()
    debug = ConsoleFormatter("%(message)s", show_tracebacks=True).format(record)
    assert debug.startswith(plain + "\n") and "Traceback" in debug and "ImportError: no module named bad_dep" in debug
    assert ConsoleFormatter("%(message)s").format(record) == plain  # the traceback never sticks to the record


def test_sys_exit_in_a_plugin_does_not_end_the_run(rules_world):
    ep = FakeEntryPoint("quitter", "quitter:Auth", AUTH, SystemExit(3))

    with pytest.raises(plugins.BrokenPlugin, match=r"could not be loaded: SystemExit: 3\."):
        plugins.load(ep)


class Abstract(Authenticator):
    name = "abstract"
    description = "Forgot authenticate"


class NoDescription(GoodAuth):
    description = None


class BadOptions(GoodAuth):
    options = ("--flag",)


class TooNew(GoodAuth):
    api_version = 3


class TooOld(GoodAuth):
    api_version = 0


class NotANumber(GoodAuth):
    api_version = "1"


@pytest.mark.parametrize(("loaded", "problem"), [
    (lambda: None, "it names function, which is not a skytells.login.interface.MethodLoader subclass"),
    (FileStore, "it names FileStore, which is not a skytells.login.interface.MethodLoader subclass"),
    (Abstract, "it does not implement authenticate"),
    (NoDescription, "it has no description"),
    (BadOptions, "its options are not a tuple of LoginOption"),
    (TooNew, "it needs plugin interface version 3 and this skytells-cli implements 2"),
    (TooOld, "it was written for plugin interface version 0, which this skytells-cli no longer supports"),
    (NotANumber, "its api_version '1' is not an integer"),
])
def test_wrong_classes_are_broken_with_the_reason(rules_world, loaded, problem):
    ep = FakeEntryPoint("odd", "odd:Thing", AUTH, loaded)

    with pytest.raises(plugins.BrokenPlugin) as caught:
        plugins.load(ep)

    assert caught.value.problem.startswith(problem)


def test_a_good_class_with_options_loads(rules_world):
    class WithOptions(GoodAuth):
        options = (LoginOption("--flag", "A flag.", is_switch=True),)

    assert plugins.load(FakeEntryPoint("good", "good:Auth", AUTH, WithOptions)) is WithOptions


def test_an_unavailable_reason_that_raises_makes_the_plugin_broken(rules_world):
    class Raises(GoodAuth):
        @classmethod
        def unavailable_reason(cls):
            raise OSError("probe failed")

    ep = FakeEntryPoint("probe", "probe:Auth", AUTH, Raises)

    with pytest.raises(plugins.BrokenPlugin, match=r"its unavailable_reason\(\) raised OSError: probe failed"):
        plugins.unavailable_reason(ep, Raises)


def test_choose_names_what_chose_a_missing_plugin(rules_world, monkeypatch):
    monkeypatch.setattr(discovery, "entry_points", lambda group: [
        EntryPoint("file", "skytells.credentials.stores.file:FileStore", discovery.CREDENTIAL_STORES)])

    with pytest.raises(UsageError) as caught:
        plugins.choose(discovery.CREDENTIAL_STORES, "vault", chosen_by="SKYTELLS_CREDENTIAL_STORE")

    assert str(caught.value) == ("No credential store named 'vault' is installed (installed: file). "
                                 "It was chosen by SKYTELLS_CREDENTIAL_STORE.")


def test_choose_refuses_an_unavailable_plugin(rules_world, monkeypatch):
    class Unavailable(GoodAuth):
        @classmethod
        def unavailable_reason(cls):
            return "needs a smart card reader"

    monkeypatch.setattr(discovery, "entry_points",
                        lambda group: [FakeEntryPoint("card", "card:Auth", AUTH, Unavailable)])

    with pytest.raises(PluginError, match="The login method 'card' cannot be used here: needs a smart card reader"):
        plugins.choose(AUTH, "card")


# The store setting ------------------------------------------------------------------


@pytest.fixture
def rules_config(tmp_path, monkeypatch):
    monkeypatch.delenv(settings.ENV_CREDENTIAL_STORE, raising=False)
    monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(tmp_path))
    return tmp_path / "config.json"


def test_the_store_defaults_to_file(rules_config):
    assert settings.credential_store_choice() == ("file", "default")


def test_config_json_chooses_the_store(rules_config):
    rules_config.write_text(json.dumps({"credential_store": " keyring ", "other": 1}))

    assert settings.credential_store_choice() == ("keyring", f"credential_store in {rules_config}")


def test_the_environment_wins_over_config_json(rules_config, monkeypatch):
    rules_config.write_text(json.dumps({"credential_store": "keyring"}))
    monkeypatch.setenv(settings.ENV_CREDENTIAL_STORE, "file")

    assert settings.credential_store_choice() == ("file", "SKYTELLS_CREDENTIAL_STORE")


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", "is not valid JSON"),
    ('{"credential_store": 7}', "must be the name of a credential store"),
    ('{"credential_store": ""}', "must be the name of a credential store"),
])
def test_a_bad_config_json_is_a_usage_error(rules_config, text, message):
    rules_config.write_text(text)

    with pytest.raises(UsageError, match=message):
        settings.credential_store_choice()


def test_a_deprecated_interface_version_works_and_warns_once(rules_world, monkeypatch, caplog):
    from skytells.commands.plugin_list import inspect_plugin

    monkeypatch.setattr(plugins, "API_VERSION", 2)
    monkeypatch.setattr(plugins, "SUPPORTED_API_VERSIONS", frozenset({1, 2}))
    monkeypatch.setattr(plugins, "DEPRECATED_API_VERSIONS", frozenset({1}))
    ep = rules_world(FakeEntryPoint("old", "old:Auth", AUTH, GoodAuth), "skytells-old")
    monkeypatch.setattr(discovery, "entry_points", lambda group: [ep])

    with caplog.at_level(logging.WARNING):
        assert plugins.choose(AUTH, "old") is GoodAuth
        assert plugins.choose(AUTH, "old") is GoodAuth

    assert [record.getMessage() for record in caplog.records] == [
        "The login method 'old' (skytells-old 1.0) uses plugin interface version 1, which a future "
        "skytells-cli will not support. Upgrade the plugin."]
    assert inspect_plugin(ep) == ("A good one", "loaded (deprecated interface version 1)")
