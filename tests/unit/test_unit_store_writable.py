"""The store proves it can take a write before a credential is spent, and says what happened when it still fails.

``CredentialStore.check_writable`` (a no-op by default, so third-party stores
keep working), the file store's override, the registering wrapper passing it
on, ``CredentialService.ensure_writable``, and a refresh whose save fails
after the server rotated the tokens.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from skytells.credentials import tokens
from skytells.credentials.hints import command_for
from skytells.credentials.model import Credential, StoredCredentials
from skytells.credentials.service import CredentialService
from skytells.credentials.stores.base import CredentialStore
from skytells.credentials.stores.file import FileStore
from skytells.credentials.stores.registering import RegisteringStore
from skytells.errors import StoreError

ISSUER = "https://issuer.example.test"
OLD = Credential(token="sbx_at_" + "1a" * 32, method="device", host="https://console.example.test",
                 expires_at=1, refresh_token="sbx_rt_" + "2b" * 32, issuer=ISSUER, client_id="skytells-cli")


class FlakyStore(CredentialStore):
    """A store in memory whose writability check and save can each be made to fail."""

    name = "flaky"
    description = "In memory, failing on demand"

    def __init__(self, *, check_fails: bool = False, save_fails: bool = False, profile: str | None = None) -> None:
        self.profile = profile
        self.record = self._with_token(OLD)
        self.check_fails, self.save_fails = check_fails, save_fails
        self.checks = 0

    @property
    def location(self) -> str:
        return "memory"

    def load(self) -> StoredCredentials:
        return self.record

    def _with_token(self, credential: Credential) -> StoredCredentials:
        record = StoredCredentials()
        target = record.profile(self.profile, create=True)
        assert target is not None
        target.set_token(credential)
        return record

    def update(self, change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        draft = self._with_token(OLD)
        change(draft)
        if self.save_fails:
            raise StoreError("Could not save credentials to memory: No space left on device.")
        self.record = draft
        return draft

    def check_writable(self) -> None:
        self.checks += 1
        if self.check_fails:
            raise StoreError("Could not save credentials in memory: Read-only file system.")


class LegacyStore(CredentialStore):
    """A third-party store written before ``check_writable`` existed."""

    name = "legacy"
    description = "Without check_writable"

    @property
    def location(self) -> str:
        return "legacy"

    def load(self) -> StoredCredentials:
        return StoredCredentials()

    def update(self, change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        record = StoredCredentials()
        change(record)
        return record


@pytest.fixture
def refreshes(monkeypatch: pytest.MonkeyPatch) -> list[Credential]:
    """Stand in for the issuer: every refresh is recorded and rotates both tokens."""
    sent: list[Credential] = []

    def refreshed(credential: Credential) -> Credential:
        sent.append(credential)
        return replace(credential, token="sbx_at_" + "3c" * 32, refresh_token="sbx_rt_" + "4d" * 32,
                       expires_at=None)

    monkeypatch.setattr(tokens, "_refreshed", refreshed)
    return sent


def test_a_store_without_the_method_keeps_working() -> None:
    store = LegacyStore()
    store.check_writable()  # the default does nothing
    CredentialService(RegisteringStore(store), None).ensure_writable()


def test_the_registering_wrapper_passes_the_check_on() -> None:
    inner = FlakyStore(check_fails=True)
    with pytest.raises(StoreError, match="Read-only"):
        CredentialService(RegisteringStore(inner), None).ensure_writable()
    assert inner.checks == 1


@pytest.mark.parametrize("profile", [None, "work", "-x"])
def test_no_refresh_is_sent_when_the_store_cannot_take_it(refreshes: list[Credential], profile: str | None) -> None:
    store = FlakyStore(check_fails=True, profile=profile)
    with pytest.raises(StoreError, match="Read-only"):
        tokens.refresh_under_lock(store, profile, OLD)
    assert refreshes == []
    stored = store.record.profile(profile)
    assert stored is not None and stored.token_credential() == OLD


@pytest.mark.parametrize("profile", [None, "work", "-x"])
def test_a_save_failing_after_a_rotation_says_the_old_refresh_token_is_spent(refreshes: list[Credential],
                                                                            profile: str | None) -> None:
    store = FlakyStore(save_fails=True, profile=profile)
    with pytest.raises(StoreError) as raised:
        tokens.refresh_under_lock(store, profile, OLD)
    assert len(refreshes) == 1
    error = raised.value
    assert error.message.startswith(f"{ISSUER} issued new tokens, but they could not be saved (")
    assert "No space left on device" in error.message and "was spent and no longer works" in error.message
    assert error.hint == f"Make the store writable again, then run {command_for(profile, 'login')}."
    for secret in ("1a" * 16, "2b" * 16, "3c" * 16, "4d" * 16):
        assert secret not in str(error)


def test_a_save_failing_without_a_rotation_says_the_refresh_token_still_works(monkeypatch: pytest.MonkeyPatch
                                                                             ) -> None:
    monkeypatch.setattr(tokens, "_refreshed", lambda credential: replace(credential, token="sbx_at_" + "5e" * 32))
    with pytest.raises(StoreError, match="the stored refresh token still works") as raised:
        tokens.refresh_under_lock(FlakyStore(save_fails=True), None, OLD)
    assert raised.value.hint == "Try again once the store can be written."


def test_the_file_store_check_leaves_nothing_behind(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "fresh" / "skytells")
    store.check_writable()
    assert sorted(p.name for p in store.directory.iterdir()) == [".credentials.lock"]
    assert oct(os.stat(store.directory).st_mode & 0o777) == "0o700"


@pytest.mark.parametrize("config_dir", ["/dev/null", "/dev/null/skytells", "/proc/self"])
def test_the_file_store_check_refuses_a_directory_that_is_none(config_dir: str) -> None:
    with pytest.raises(StoreError, match=config_dir.split("/skytells")[0]):
        FileStore(Path(config_dir)).check_writable()


def test_the_file_store_check_refuses_a_file_that_does_not_parse(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.path.write_text("{not json", encoding="utf-8")
    os.chmod(store.path, 0o600)
    with pytest.raises(StoreError, match=r"credentials\.json"):
        store.check_writable()
    assert store.path.read_text(encoding="utf-8") == "{not json"


def test_the_file_store_makes_its_temporary_file_before_the_change_runs(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    seen: list[list[str]] = []

    def change(record: StoredCredentials) -> None:
        seen.append(sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")))
        record.api_key = "sbx_key_" + "6f" * 20

    store.update(change)
    assert len(seen[0]) == 1, "the change ran before the temporary file existed"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert store.load().api_key == "sbx_key_" + "6f" * 20


def test_a_failed_change_leaves_no_temporary_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path)

    def change(record: StoredCredentials) -> None:
        raise RuntimeError("the server refused")

    with pytest.raises(RuntimeError):
        store.update(change)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    assert not store.path.exists()
