"""Test backends and helpers for the keyring store; fixture names start with ``keyring_``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).parent
sys.path.insert(0, str(TESTS))

import keyring_test_backend  # noqa: E402  (importable from here on, as PYTHON_KEYRING_BACKEND needs)


@pytest.fixture
def keyring_file(tmp_path, monkeypatch):
    """This process uses a FileKeyring in a fresh file (returned) for the test."""
    import keyring.core

    path = tmp_path / "test-keyring.json"
    monkeypatch.setenv(keyring_test_backend.ENV_FILE, str(path))
    monkeypatch.setattr(keyring.core, "_keyring_backend", keyring_test_backend.FileKeyring())
    return path
