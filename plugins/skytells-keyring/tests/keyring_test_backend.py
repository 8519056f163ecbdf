"""Keyring backends for the tests, selected with PYTHON_KEYRING_BACKEND=keyring_test_backend.CLASS.

``FileKeyring`` keeps entries in the JSON file named by $SKYTELLS_TEST_KEYRING,
in plain text: for tests only. It is safe for several processes at once.
``RefusingKeyring`` reads like FileKeyring but refuses every write, and
``LockedKeyring`` is locked.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError, PasswordSetError

ENV_FILE = "SKYTELLS_TEST_KEYRING"
TESTS = Path(__file__).parent


def keyring_environment(keyring_file: Path, backend: str = "FileKeyring") -> dict[str, str]:
    """Variables that make a subprocess use the test backend ``backend`` with entries in ``keyring_file``."""
    python_path = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
    return {"PYTHON_KEYRING_BACKEND": f"keyring_test_backend.{backend}", "PYTHONPATH": python_path,
            ENV_FILE: str(keyring_file)}


class FileKeyring(KeyringBackend):
    """Entries in a JSON file: {service: {user name: password}}."""

    priority = 1

    @property
    def path(self) -> Path:
        return Path(os.environ[ENV_FILE])

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        with open(f"{self.path}.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data = self.read_all()
            before = json.dumps(data, sort_keys=True)
            yield data
            if json.dumps(data, sort_keys=True) != before:
                temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
                temporary.write_text(json.dumps(data))
                os.replace(temporary, self.path)

    def read_all(self) -> dict[str, Any]:
        try:
            result: dict[str, Any] = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        return result

    def get_password(self, service: str, username: str) -> str | None:
        value: str | None = self.read_all().get(service, {}).get(username)
        return value

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._locked() as data:
            data.setdefault(service, {})[username] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._locked() as data:
            if username not in data.get(service, {}):
                raise PasswordDeleteError("no such entry")
            del data[service][username]


class RefusingKeyring(FileKeyring):
    """Reads FileKeyring's file; every write fails like a keyring that said no."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise PasswordSetError(f"the vault refused to store {password}")

    def delete_password(self, service: str, username: str) -> None:
        raise PasswordSetError("the vault refused to delete")


class LockedKeyring(FileKeyring):
    """A keyring that is locked."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    set_password = get_password  # type: ignore[assignment]
