"""The ``keyring`` credential store: secrets in the operating system's keyring, the rest in credentials.json.

Layout:

* Each secret (``token``, ``access_key``, ``api_key``, ``refresh_token``, for
  every profile) is one keyring entry: service ``skytells-cli:<config dir>``
  (so two configuration directories never share entries), user name
  ``<profile>/<field>``.
* Everything else (when and how each credential was obtained, scopes,
  profiles, fields this version does not know) stays in ``credentials.json``
  through the built-in file store, whose secret fields are left empty. The
  file also lists, under ``"keyring"``, which entries hold secrets, so
  loading asks the keyring only for those.

Consistency: an update runs inside the file store's update, so its lock
covers the keyring reads and writes too, and parallel ``skytells``
processes using one configuration directory never lose each other's changes.
If writing the keyring or the file fails, the keyring entries already written
are put back, and the previous credentials stay in force.

A secret found in plain text in ``credentials.json`` (written by the file
store or the official CLI) is newer than the keyring's (this store never
leaves one there): it is used, and moved into the keyring at the next change.

No usable keyring (a headless server, or only a plain-text or null backend):
the store is unavailable with the reason; it never falls back to plain text.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections.abc import Callable, Iterator
from typing import Any

from skytells.credentials import SECRET_FIELDS, StoredCredentials
from skytells.errors import StoreError
from skytells.sanitize import terminal_safe
from skytells.stores.base import CredentialStore
from skytells.stores.file import FileStore

LOG = logging.getLogger(__name__)

SERVICE = "skytells-cli"
#: Top-level field of credentials.json listing the entries kept in the keyring.
INDEX_FIELD = "keyring"
#: Keyring backends below this priority are refused (keyring's fail and null backends, plain-text files).
MIN_PRIORITY = 1.0
INSTALL_HINT = ("install or unlock a system keyring (built in on macOS and Windows; the Secret Service, such as "
                "GNOME Keyring or KWallet, on Linux) or pick one with PYTHON_KEYRING_BACKEND, "
                "or use SKYTELLS_CREDENTIAL_STORE=file")


class _RolledBack(Exception):
    """Ends a rollback's file-store update without writing the file."""


def _keyring() -> Any:
    import keyring  # noqa: PLC0415  # extension boundary: keyring and its backends load only when the store is used

    return keyring


def backend_problem(backend: Any) -> str | None:
    """Why ``backend`` cannot hold secrets safely, or None."""
    kind = type(backend)
    path = terminal_safe(f"{kind.__module__}.{kind.__name__}", 100)
    try:
        priority = float(kind.priority)
    except Exception as error:  # a backend's priority raises when it cannot work here
        return f"the keyring backend {path} cannot work here ({terminal_safe(error, 120)})"
    if priority < MIN_PRIORITY:
        return f"no usable keyring backend was found (keyring chose {path}, priority {priority:g})"
    return None


def entries(record: StoredCredentials) -> Iterator[tuple[str, StoredCredentials, str]]:
    """Every (entry name, profile, field) that may hold a secret in ``record``."""
    for profile_name in record.profile_names():
        profile = record.profile(profile_name)
        if profile is not None:
            for field in SECRET_FIELDS:
                yield f"{profile_name}/{field}", profile, field


class KeyringStore(CredentialStore):
    """Secrets in the operating system's keyring; details in credentials.json."""

    name = "keyring"
    description = "Secrets in the operating system's keyring; other details in credentials.json"
    api_version = 1

    def __init__(self) -> None:
        self.files = FileStore()
        self.service = f"{SERVICE}:{self.files.directory.resolve()}"

    @classmethod
    def unavailable_reason(cls) -> str | None:
        try:
            keyring = _keyring()
        except ImportError:
            return "the keyring library is not installed: pip install keyring"
        try:
            backend = keyring.get_keyring()
        except Exception as error:  # e.g. PYTHON_KEYRING_BACKEND names a backend that cannot be imported
            return f"the keyring library could not start ({terminal_safe(error, 120)}); {INSTALL_HINT}"
        problem = backend_problem(backend)
        return f"{problem}; {INSTALL_HINT}" if problem else None

    @property
    def location(self) -> str:
        try:
            backend = terminal_safe(type(_keyring().get_keyring()).name, 60)
        except Exception:
            backend = "the system keyring"
        return f"{backend} (details in {self.files.location})"

    def __repr__(self) -> str:
        return f"KeyringStore(service={self.service!r})"

    # -- reading ---------------------------------------------------------------

    def load(self) -> StoredCredentials:
        record = self.files.load()
        self._merge(record)
        return record

    def _merge(self, record: StoredCredentials) -> dict[str, str | None]:
        """Fill ``record`` with the keyring's secrets; return what the keyring holds, by entry."""
        listed = record.extra.pop(INDEX_FIELD, None)
        names = listed.get("entries") if isinstance(listed, dict) else None
        wanted = {name for name in names if isinstance(name, str) and "/" in name} if isinstance(names, list) else set()
        held: dict[str, str | None] = {}
        for name in sorted(wanted):
            profile_name, field = name.rsplit("/", 1)
            if field not in SECRET_FIELDS:
                continue
            held[name] = self._get(name)
            profile = record.profile(profile_name, create=True)
            assert profile is not None
            if getattr(profile, field) is not None:
                self._warn_plain_text(field)
            elif held[name] is not None:
                setattr(profile, field, held[name])
        for name, profile, field in entries(record):
            if name not in held and getattr(profile, field) is not None:
                self._warn_plain_text(field)
        return held

    _warned_plain_text = False

    def _warn_plain_text(self, field: str) -> None:
        if not KeyringStore._warned_plain_text:
            KeyringStore._warned_plain_text = True
            LOG.warning("%s holds a %s in plain text (written by another tool); it moves into the keyring "
                        "at the next change.", self.files.location, field)

    # -- writing ----------------------------------------------------------------

    def update(self, change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        written: list[tuple[str, str | None, str | None]] = []  # (entry, before, after)
        saved: list[StoredCredentials] = []

        def apply(record: StoredCredentials) -> None:
            held = self._merge(record)
            for name, profile, field in entries(record):
                if name not in held and getattr(profile, field) is not None:  # plain text from another tool
                    held[name] = self._get(name)
            change(record)
            wanted = {name: getattr(profile, field) for name, profile, field in entries(record)
                      if getattr(profile, field) is not None}
            try:
                for name in sorted(set(held) | set(wanted)):
                    before, after = held.get(name), wanted.get(name)
                    if before != after:
                        written.append((name, before, after))
                        self._put(name, after)
            except StoreError:
                self._restore(written)
                written.clear()
                raise
            saved.append(copy.deepcopy(record))
            for _name, profile, field in entries(record):
                setattr(profile, field, None)
            record.extra[INDEX_FIELD] = {"service": self.service, "entries": sorted(wanted)}

        try:
            self.files.update(apply)
        except BaseException:
            if written:
                self._restore_locked(written)
            raise
        return saved[0]

    def _restore_locked(self, written: list[tuple[str, str | None, str | None]]) -> None:
        """Undo keyring writes after the file could not be saved, under the file store's lock."""

        def restore(_record: StoredCredentials) -> None:
            self._restore(written)
            raise _RolledBack

        try:
            self.files.update(restore)
        except _RolledBack:
            pass
        except StoreError as error:
            LOG.warning("Could not put the keyring entries back: %s", error)

    def _restore(self, written: list[tuple[str, str | None, str | None]]) -> None:
        """Put back what ``written`` changed, where nobody changed it since (best effort)."""
        for name, before, after in reversed(written):
            try:
                if self._get(name) == after:
                    self._put(name, before)
            except StoreError as error:
                LOG.warning("Could not put the keyring entry %s back: %s", name, error)

    # -- the keyring ---------------------------------------------------------------

    def _get(self, name: str) -> str | None:
        keyring = _keyring()
        try:
            value = keyring.get_password(self.service, name)
        except Exception as error:
            raise self._error("read", name, error) from None
        return value if isinstance(value, str) and value else None

    def _put(self, name: str, value: str | None) -> None:
        keyring = _keyring()
        try:
            if value is None:
                with contextlib.suppress(keyring.errors.PasswordDeleteError):  # already absent
                    keyring.delete_password(self.service, name)
            else:
                keyring.set_password(self.service, name, value)
        except Exception as error:
            raise self._error("write" if value else "delete", name, error, value) from None

    def _error(self, verb: str, name: str, error: Exception, secret: str | None = None) -> StoreError:
        keyring = _keyring()
        detail = str(error).strip()
        if secret:
            detail = detail.replace(secret, "********")
        detail = terminal_safe(f"{type(error).__name__}: {detail}" if detail else type(error).__name__, 200)
        hint = "Unlock the keyring and try again." if isinstance(error, keyring.errors.KeyringLocked) else \
            "Check that the keyring is unlocked and reachable, then try again."
        return StoreError(f"Could not {verb} the keyring entry {name!r} ({detail}); "
                          "the stored credentials were not changed.", hint=hint)
