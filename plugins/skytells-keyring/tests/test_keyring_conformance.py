"""The standard credential-store checks of skytells.testing, applied to the keyring store."""

from __future__ import annotations

import keyring.core
import pytest
from keyring_test_backend import FileKeyring, keyring_environment
from skytells_keyring.store import KeyringStore

from skytells.testing import CredentialStoreConformance


class TestKeyringStoreConformance(CredentialStoreConformance):
    store_class = KeyringStore

    @pytest.fixture
    def store_environment(self, tmp_path, monkeypatch):
        monkeypatch.setattr(keyring.core, "_keyring_backend", FileKeyring())
        return keyring_environment(tmp_path / "test-keyring.json")
