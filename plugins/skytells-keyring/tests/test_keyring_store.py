"""What the keyring store adds to the standard checks: layout, migration, failing closed, rollback."""

from __future__ import annotations

import json
import logging
import secrets

import keyring.core
import pytest
from keyring.backends import fail, null
from keyring_test_backend import FileKeyring, LockedKeyring, RefusingKeyring
from skytells_keyring.store import KeyringStore

from skytells.credentials import Credential
from skytells.errors import StoreError
from skytells.stores.file import FileStore


def new_token():
    return "sk_pat_" + secrets.token_hex(32)


@pytest.fixture
def keyring_config(tmp_path, monkeypatch, keyring_file):
    """An empty configuration directory in use, with the file-backed test keyring."""
    config = tmp_path / "config"
    monkeypatch.setenv("SKYTELLS_CONFIG_DIR", str(config))
    return config


def use_backend(monkeypatch, backend):
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)


def test_credentials_json_holds_no_secret(keyring_config, keyring_file):
    token, refresh, key, other = new_token(), "refresh-" + secrets.token_hex(16), "sk_" + "e" * 40, new_token()

    def change(record):
        record.set_token(Credential(token=token, method="device", host="https://console.example",
                                    refresh_token=refresh))
        record.set_secret("api_key", key)
        record.profile("work", create=True).token = other

    KeyringStore().update(change)

    text = (keyring_config / "credentials.json").read_text()
    document = json.loads(text)
    for secret in (token, refresh, key, other):
        assert secret not in text
    assert "token" not in document and "api_key" not in document
    assert document["meta"]["token"]["method"] == "device"
    assert document["keyring"]["entries"] == ["default/api_key", "default/refresh_token", "default/token",
                                              "work/token"]
    stored = json.loads(keyring_file.read_text())
    assert stored[f"skytells-cli:{keyring_config.resolve()}"] == {
        "default/token": token, "default/refresh_token": refresh, "default/api_key": key, "work/token": other}
    loaded = KeyringStore().load()
    assert (loaded.token, loaded.refresh_token, loaded.api_key) == (token, refresh, key)
    assert loaded.profile("work").token == other
    assert "keyring" not in loaded.extra


def test_removing_a_secret_deletes_its_keyring_entry(keyring_config, keyring_file):
    KeyringStore().update(lambda record: record.set_secret("api_key", "sk_" + "f" * 40))

    KeyringStore().update(lambda record: record.remove("api_key"))

    assert json.loads(keyring_file.read_text()) == {f"skytells-cli:{keyring_config.resolve()}": {}}
    assert json.loads((keyring_config / "credentials.json").read_text())["keyring"]["entries"] == []


def test_a_plain_text_secret_from_another_tool_is_used_then_moved(keyring_config, keyring_file, caplog):
    token = new_token()
    FileStore().update(lambda record: setattr(record, "token", token))

    with caplog.at_level(logging.WARNING):
        loaded = KeyringStore().load()
    assert loaded.token == token
    assert "holds a token in plain text" in caplog.text and token not in caplog.text

    KeyringStore().update(lambda record: record.set_secret("api_key", "sk_" + "1" * 40))

    assert token not in (keyring_config / "credentials.json").read_text()
    assert KeyringStore().load().token == token


def test_a_plain_text_secret_wins_over_an_older_keyring_entry(keyring_config):
    old, new = new_token(), new_token()
    KeyringStore().update(lambda record: setattr(record, "token", old))

    def official_cli_login(record):  # writes the official field, keeps the rest of the file
        record.token = new

    FileStore().update(official_cli_login)

    assert KeyringStore().load().token == new


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_usable_backend_makes_the_store_unavailable(monkeypatch, backend):
    use_backend(monkeypatch, backend)

    reason = KeyringStore.unavailable_reason()

    assert reason is not None and "no usable keyring backend" in reason
    assert "SKYTELLS_CREDENTIAL_STORE=file" in reason and "PYTHON_KEYRING_BACKEND" in reason


def test_a_low_priority_backend_such_as_a_plain_text_file_is_refused(monkeypatch):
    class PlainTextKeyring(FileKeyring):
        priority = 0.5

    use_backend(monkeypatch, PlainTextKeyring())

    assert "priority 0.5" in KeyringStore.unavailable_reason()


class _RaisingPriority:
    """keyring backends' priority raises when they cannot work here (no D-Bus session, say)."""

    def __get__(self, instance, owner):
        raise RuntimeError("no D-Bus session")


def test_a_backend_that_cannot_work_here_is_reported(monkeypatch):
    class NoBusKeyring(FileKeyring):
        priority = _RaisingPriority()

    use_backend(monkeypatch, NoBusKeyring())

    assert "cannot work here (no D-Bus session)" in KeyringStore.unavailable_reason()


def test_without_the_keyring_library_the_reason_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "keyring", None)

    assert KeyringStore.unavailable_reason() == "the keyring library is not installed: pip install keyring"


def test_the_test_backend_is_usable(keyring_file):
    assert KeyringStore.unavailable_reason() is None


def test_location_names_the_backend_and_the_file(keyring_config):
    location = KeyringStore().location

    assert "FileKeyring" in location and str(keyring_config / "credentials.json") in location


def test_a_refused_write_is_a_store_error_and_changes_nothing(keyring_config, monkeypatch):
    old, new = new_token(), new_token()
    KeyringStore().update(lambda record: setattr(record, "token", old))
    use_backend(monkeypatch, RefusingKeyring())

    with pytest.raises(StoreError) as caught:
        KeyringStore().update(lambda record: setattr(record, "token", new))

    message = str(caught.value)
    assert "Could not write the keyring entry 'default/token'" in message
    assert new not in message and "********" in message
    assert "\n" not in message
    assert KeyringStore().load().token == old


def test_a_locked_keyring_is_a_store_error_on_load(keyring_config, monkeypatch):
    KeyringStore().update(lambda record: setattr(record, "token", new_token()))
    use_backend(monkeypatch, LockedKeyring())

    with pytest.raises(StoreError, match="Could not read the keyring entry") as caught:
        KeyringStore().load()

    assert "Unlock the keyring" in str(caught.value)


def test_a_failed_second_write_puts_the_first_back(keyring_config, monkeypatch):
    old_token, old_key = new_token(), "sk_" + "2" * 40

    def first(record):
        record.token, record.api_key = old_token, old_key

    KeyringStore().update(first)

    class FailsOnApiKey(FileKeyring):
        def set_password(self, service, username, password):
            if username.endswith("api_key"):
                raise OSError("disk full")
            super().set_password(service, username, password)

    use_backend(monkeypatch, FailsOnApiKey())

    def second(record):
        record.token, record.api_key = new_token(), "sk_" + "3" * 40

    with pytest.raises(StoreError):
        KeyringStore().update(second)

    loaded = KeyringStore().load()
    assert (loaded.token, loaded.api_key) == (old_token, old_key)


def test_a_failed_file_write_puts_the_keyring_back(keyring_config, monkeypatch):
    old = new_token()
    KeyringStore().update(lambda record: setattr(record, "token", old))

    def refuse(self, record):
        raise StoreError("Could not save credentials: No space left on device.")

    with monkeypatch.context() as patch:
        patch.setattr(FileStore, "_write", refuse)
        with pytest.raises(StoreError, match="No space left"):
            KeyringStore().update(lambda record: setattr(record, "token", new_token()))

    assert KeyringStore().load().token == old


def test_entries_of_unknown_fields_in_the_index_are_ignored(keyring_config):
    KeyringStore().update(lambda record: record.set_secret("api_key", "sk_" + "4" * 40))
    path = keyring_config / "credentials.json"
    document = json.loads(path.read_text())
    document["keyring"]["entries"] += ["default/password", "no-slash", 7]
    path.write_text(json.dumps(document))

    loaded = KeyringStore().load()

    assert loaded.api_key == "sk_" + "4" * 40
    assert not hasattr(loaded, "password")


def test_a_backend_that_cannot_be_imported_is_reported(monkeypatch):
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Backend")

    reason = KeyringStore.unavailable_reason()

    assert reason.startswith("the keyring library could not start (No module named 'no_such_module')")
