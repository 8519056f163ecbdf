"""Standard checks every credential store must pass.

Subclass :class:`CredentialStoreConformance` in a test module and name the
store class; pytest then runs every check against it::

    from skytells.testing import CredentialStoreConformance
    from my_plugin.store import MyStore

    class TestMyStore(CredentialStoreConformance):
        store_class = MyStore

Each check runs with an empty configuration directory set as
``SKYTELLS_CONFIG_DIR``. A store that needs more (a test keyring backend, a
server) overrides the ``store_environment`` fixture: the variables it returns
are set in the test process and passed to the worker processes of the
concurrency check. The store class must be importable by those workers and
constructible without arguments, as ``skytells`` constructs it.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pytest

from skytells.config import settings
from skytells.credentials.model import Credential, StoredCredentials
from skytells.credentials.stores.base import CredentialStore
from skytells.errors import SkytellsError
from skytells.testing.checks import assert_declared, exception_texts

COUNTER_FIELD = "conformance_counter"
COUNTER_PREFIX = "sk_counter_"


def new_token() -> str:
    """A random personal access token (``sk_pat_`` and 64 hex digits)."""
    return "sk_pat_" + secrets.token_hex(32)


def new_project_key() -> str:
    """A random project access key."""
    return "sk_proj_" + secrets.token_hex(24)


def new_api_key() -> str:
    """A random inference API key."""
    return "sk_" + secrets.token_hex(24)


class CredentialStoreConformance:
    """Round trip, missing entries, deletion, failures, isolation, concurrency and secrecy checks."""

    #: The store under test.
    store_class: ClassVar[type[CredentialStore]]
    #: The concurrency check: this many processes, each making this many updates at once.
    concurrent_processes: ClassVar[int] = 4
    updates_per_process: ClassVar[int] = 8

    @pytest.fixture
    def store_environment(self, tmp_path: Path) -> dict[str, str]:
        """Variables the store needs in tests (override to select a test backend)."""
        return {}

    @pytest.fixture
    def store_config_dir(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                         store_environment: dict[str, str]) -> Path:
        """An empty configuration directory, set as SKYTELLS_CONFIG_DIR, with ``store_environment`` applied."""
        for name in list(os.environ):
            if name.startswith("SKYTELLS_"):
                monkeypatch.delenv(name)
        for name, value in store_environment.items():
            monkeypatch.setenv(name, value)
        config_dir = tmp_path / "skytells-config"
        monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(config_dir))
        return config_dir

    def new_store(self) -> CredentialStore:
        """A fresh instance, as ``skytells`` makes one for each run."""
        return self.store_class()

    def fill(self, store: CredentialStore) -> dict[str, str]:
        """Store one of each credential; return them by field."""
        values = {"token": new_token(), "access_key": new_project_key(), "api_key": new_api_key()}

        def change(record: StoredCredentials) -> None:
            record.set_token(Credential(token=values["token"], method="token", host="https://console.example",
                                        scopes=("inference", "projects.read"), expires_at=4_102_444_800_000))
            record.set_secret("access_key", values["access_key"], host="https://console.example",
                              project={"id": "proj_1", "name": "Demo", "slug": "demo"})
            record.set_secret("api_key", values["api_key"])

        store.update(change)
        return values

    # -- the interface ---------------------------------------------------

    def test_declares_name_and_description(self) -> None:
        assert_declared(self.store_class)

    def test_is_available_in_the_test_environment(self, store_config_dir: Path) -> None:
        reason = self.store_class.unavailable_reason()
        assert reason is None, f"the store is unavailable here ({reason}); select a test backend in store_environment"

    def test_location_is_text(self, store_config_dir: Path) -> None:
        location = self.new_store().location
        assert isinstance(location, str) and location.strip()

    # -- reading and writing -----------------------------------------------

    def test_missing_entry_loads_empty(self, store_config_dir: Path) -> None:
        record = self.new_store().load()

        assert record.is_empty()
        assert (record.token, record.access_key, record.api_key) == (None, None, None)

    def test_round_trip_through_a_new_instance(self, store_config_dir: Path) -> None:
        saved = self.fill(self.new_store())

        loaded = self.new_store().load()

        assert (loaded.token, loaded.access_key, loaded.api_key) == (
            saved["token"], saved["access_key"], saved["api_key"])
        assert loaded.meta["token"]["method"] == "token"
        assert loaded.meta["token"]["scopes"] == ["inference", "projects.read"]
        assert loaded.meta["token"]["expires_at"] == 4_102_444_800_000
        assert loaded.meta["access_key"]["project"]["slug"] == "demo"
        assert isinstance(loaded.created_at, int)

    def test_update_returns_what_was_saved(self, store_config_dir: Path) -> None:
        token = new_token()
        returned = self.new_store().update(lambda record: setattr(record, "token", token))

        assert returned.token == token
        assert self.new_store().load().token == token

    def test_change_sees_the_stored_credentials(self, store_config_dir: Path) -> None:
        saved = self.fill(self.new_store())
        seen: dict[str, Any] = {}

        self.new_store().update(lambda record: seen.update(token=record.token, api_key=record.api_key))

        assert seen == {"token": saved["token"], "api_key": saved["api_key"]}

    def test_unknown_fields_and_other_profiles_are_kept(self, store_config_dir: Path) -> None:
        other_token = new_token()

        def change(record: StoredCredentials) -> None:
            record.extra["future_field"] = {"kept": True}
            record.profile("work", create=True).set_secret("api_key", other_token, note="second profile")

        self.new_store().update(change)
        self.new_store().update(lambda record: record.set_secret("access_key", new_project_key()))
        loaded = self.new_store().load()

        assert loaded.extra.get("future_field") == {"kept": True}
        work = loaded.profile("work")
        assert work is not None and work.api_key == other_token
        assert work.meta["api_key"]["note"] == "second profile"

    # -- deletion ----------------------------------------------------------

    def test_removing_one_credential_keeps_the_others(self, store_config_dir: Path) -> None:
        saved = self.fill(self.new_store())
        removed: list[bool] = []

        self.new_store().update(lambda record: removed.append(record.remove("token")))
        loaded = self.new_store().load()

        assert removed == [True]
        assert loaded.token is None and "token" not in loaded.meta
        assert (loaded.access_key, loaded.api_key) == (saved["access_key"], saved["api_key"])
        assert loaded.meta["access_key"]["project"]["slug"] == "demo"

    def test_removing_a_missing_credential_changes_nothing(self, store_config_dir: Path) -> None:
        store = self.new_store()
        store.update(lambda record: record.set_secret("api_key", "sk_" + "a" * 48))
        removed: list[bool] = []

        store.update(lambda record: removed.append(record.remove("access_key")))

        assert removed == [False]
        assert self.new_store().load().api_key == "sk_" + "a" * 48

    def test_removing_everything_leaves_an_empty_record(self, store_config_dir: Path) -> None:
        self.fill(self.new_store())

        def remove_all(record: StoredCredentials) -> None:
            for name in ("token", "access_key", "api_key"):
                record.remove(name)

        self.new_store().update(remove_all)

        assert self.new_store().load().is_empty()

    # -- failures and isolation --------------------------------------------

    def test_a_failing_change_keeps_the_previous_credentials(self, store_config_dir: Path) -> None:
        saved = self.fill(self.new_store())
        replacement = new_token()

        def change(record: StoredCredentials) -> None:
            record.token = replacement
            record.remove("api_key")
            raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError, match="the change failed"):
            self.new_store().update(change)
        loaded = self.new_store().load()

        assert (loaded.token, loaded.api_key) == (saved["token"], saved["api_key"])

    def test_two_configuration_directories_do_not_share_credentials(
            self, store_config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        first = self.fill(self.new_store())
        monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(store_config_dir.parent / "other-config"))
        assert self.new_store().load().is_empty()
        second = self.fill(self.new_store())

        monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(store_config_dir))
        assert self.new_store().load().token == first["token"]
        monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(store_config_dir.parent / "other-config"))
        assert self.new_store().load().token == second["token"]

    def test_concurrent_updates_from_several_processes_are_not_lost(self, store_config_dir: Path) -> None:
        target = f"{self.store_class.__module__}:{self.store_class.__qualname__}"
        command = [sys.executable, "-m", "skytells.testing.store_worker", target, str(self.updates_per_process)]
        workers = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=dict(os.environ)) for _ in range(self.concurrent_processes)]
        failures = []
        for worker in workers:
            _out, err = worker.communicate(timeout=120)
            if worker.returncode != 0:
                failures.append(f"exit {worker.returncode}: {err.strip()[-2000:]}")
        assert not failures, "worker processes failed:\n" + "\n".join(failures)

        loaded = self.new_store().load()
        expected = self.concurrent_processes * self.updates_per_process
        assert loaded.extra.get(COUNTER_FIELD) == expected, "updates to non-secret fields were lost"
        assert loaded.api_key == f"{COUNTER_PREFIX}{expected}", "updates to a secret were lost"

    # -- secrecy -------------------------------------------------------------

    def test_secrets_never_appear_in_output_logs_or_errors(
            self, store_config_dir: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> None:
        caplog.set_level(logging.DEBUG)
        store = self.new_store()
        saved = self.fill(store)
        record = store.load()

        def remove_api_key(current: StoredCredentials) -> None:
            current.remove("api_key")

        store.update(remove_api_key)
        texts = [repr(store), str(store), store.location, repr(record), str(record)]

        # A store that cannot write reports it without the secret it was given.
        blocked = store_config_dir.parent / "not-a-directory"
        blocked.write_text("this file is in the way\n")
        monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(blocked))
        extra_secret = new_token()
        try:
            self.new_store().update(lambda current: setattr(current, "token", extra_secret))
        except SkytellsError as error:
            texts.extend(exception_texts(error))
        except Exception as error:  # any other type is a contract failure; show it without the secret
            raise AssertionError(f"a failed save raised {type(error).__name__}, not a StoreError") from None

        captured = capfd.readouterr()
        texts.extend([caplog.text, captured.out, captured.err])
        everything = "\n".join(texts)
        for name, secret in {**saved, "unsaved token": extra_secret}.items():
            assert secret not in everything, f"the {name} appeared in a repr, a log, the output or an error"


def counter_change(record: StoredCredentials) -> None:
    """One step of the concurrency check: add one to a non-secret and to a secret counter."""
    record.extra[COUNTER_FIELD] = int(record.extra.get(COUNTER_FIELD, 0)) + 1
    current = record.api_key or f"{COUNTER_PREFIX}0"
    record.api_key = f"{COUNTER_PREFIX}{int(current.removeprefix(COUNTER_PREFIX)) + 1}"


def run_counter_updates(store_factory: Callable[[], CredentialStore], count: int) -> None:
    """Make ``count`` counter updates, each through a fresh store instance."""
    for _ in range(count):
        store_factory().update(counter_change)
