"""``auth doctor`` checks the credentials file only when the file store is the store in use."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from skytells.cli import context as cli_context
from skytells.cli.context import Context
from skytells.commands import doctor_checks as doctor
from skytells.credentials.model import StoredCredentials
from skytells.credentials.stores.base import CredentialStore
from skytells.errors import StoreError

TOKEN = "sk_pat_" + "d" * 64


class MemoryStore(CredentialStore):
    """A throwaway store that keeps its record in memory and never touches credentials.json."""

    name = "memory"
    description = "in memory, for a test"

    def __init__(self, record: StoredCredentials | None = None, failure: BaseException | None = None) -> None:
        self.record = record or StoredCredentials()
        self.failure = failure
        self.loads = 0

    @property
    def location(self) -> str:
        return "memory://test"

    def load(self) -> StoredCredentials:
        self.loads += 1
        if self.failure is not None:
            raise self.failure
        return self.record

    def update(self, change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        raise AssertionError("the doctor never writes")


def _unusable_file(kind: str) -> Callable[[Path], None]:
    def make(directory: Path) -> None:
        path = directory / "credentials.json"
        if kind == "not JSON":
            path.write_text("{ not json")
            path.chmod(0o600)
        elif kind == "readable by others":
            path.write_text(json.dumps({"token": TOKEN}))
            path.chmod(0o644)
        elif kind == "a FIFO":
            os.mkfifo(path, 0o600)
        elif kind == "a symbolic link":
            path.symlink_to(directory / "elsewhere.json")
        elif kind == "a directory":
            path.mkdir()
        (directory / ".credentials.lock").mkdir()  # an unusable lock as well
    return make


FILE_PROBLEMS = ["not JSON", "readable by others", "a FIFO", "a symbolic link", "a directory"]


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "config"
    directory.mkdir(mode=0o700)
    monkeypatch.setenv("SKYTELLS_CONFIG_DIR", str(directory))
    for name in ("SKYTELLS_CREDENTIAL_STORE", "SKYTELLS_TOKEN", "SKYTELLS_ACCESS_KEY", "SKYTELLS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    return directory


def use_store(monkeypatch: pytest.MonkeyPatch, store: CredentialStore) -> None:
    monkeypatch.setenv("SKYTELLS_CREDENTIAL_STORE", store.name)
    monkeypatch.setattr(cli_context, "open_store", lambda: store)


def by_check(findings: list[doctor.Finding]) -> dict[str, doctor.Finding]:
    return {finding.check: finding for finding in findings}


@pytest.mark.parametrize("problem", FILE_PROBLEMS)
def test_another_store_never_checks_credentials_json(config_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                     problem: str) -> None:
    _unusable_file(problem)(config_dir)
    store = MemoryStore(StoredCredentials(token=TOKEN))
    use_store(monkeypatch, store)

    findings = doctor.run_checks(Context(), offline=True)

    checks = by_check(findings)
    assert checks["credential store"].detail == "memory"
    assert checks["store location"].detail == "memory://test"
    assert checks["credentials content"].status is doctor.Status.OK
    assert checks["credentials content"].detail == "holds token"
    assert store.loads == 1
    assert not [f for f in findings if f.check.startswith(("credentials file", "lock file"))], findings
    assert not [f for f in findings if "credentials.json" in f.detail or ".credentials.lock" in f.detail], findings
    assert all(TOKEN not in f.detail for f in findings)


@pytest.mark.parametrize("problem", FILE_PROBLEMS)
def test_the_file_store_checks_its_file(config_dir: Path, monkeypatch: pytest.MonkeyPatch, problem: str) -> None:
    _unusable_file(problem)(config_dir)

    findings = doctor.run_checks(Context(), offline=True)

    checks = by_check(findings)
    assert checks["credential store"].detail == "file"
    assert "store location" not in checks
    assert checks["lock file"].status is doctor.Status.FAIL
    flagged = [f for f in findings if f.check.startswith("credentials") and f.status is not doctor.Status.OK]
    assert flagged, findings


@pytest.mark.parametrize("failure", [StoreError("The vault at memory://test is locked."),
                                     RuntimeError("backend exploded")], ids=["store error", "plugin bug"])
def test_another_store_that_cannot_load_is_a_failed_check(config_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                                          failure: BaseException) -> None:
    use_store(monkeypatch, MemoryStore(failure=failure))

    checks = by_check(doctor.run_checks(Context(), offline=True))

    assert checks["credentials content"].status is doctor.Status.FAIL
    assert str(failure) in checks["credentials content"].detail
    assert "credentials file" not in checks


def test_a_store_that_cannot_be_opened_is_reported_and_no_file_is_checked(config_dir: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _unusable_file("not JSON")(config_dir)
    monkeypatch.setenv("SKYTELLS_CREDENTIAL_STORE", "no-such-store")

    findings = doctor.run_checks(Context(), offline=True)

    checks = by_check(findings)
    assert checks["credential store"].status is doctor.Status.FAIL
    assert "no-such-store" in checks["credential store"].detail
    assert not [f for f in findings if f.check.startswith(("credentials", "lock file"))], findings
