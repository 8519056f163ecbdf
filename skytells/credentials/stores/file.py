"""The built-in ``file`` store: ``credentials.json`` in the configuration directory.

Guarantees: directory 0700 and file 0600 from the moment they exist; every
save is atomic (temporary file in the same directory, fsync, rename, fsync of
the directory); every read-modify-write holds an exclusive lock so parallel
``skytells`` processes never lose each other's changes; a file that does not
parse is never overwritten; only a regular file of the user running the CLI
is read (see :mod:`skytells.safety.safe_files`), so a symbolic link, a FIFO, a device,
a directory, an oversized file or another user's file is refused, never read
into memory, re-moded or written through.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

if sys.platform != "win32":  # Windows has no advisory locks: saves there stay atomic, without a lock
    import fcntl

from skytells.config import settings
from skytells.credentials.model import StoredCredentials
from skytells.credentials.stores.base import CredentialStore
from skytells.credentials.stores.document import parse_document, render_document
from skytells.errors import StoreError
from skytells.safety import safe_files

FILE_NAME = "credentials.json"
LOCK_NAME = ".credentials.lock"
LOCK_TIMEOUT_SECONDS = 15.0
#: Blank bytes reserved beyond the current document, for the change to grow it (a refreshed token, a new key).
RESERVE_MARGIN = 4096


def _describe(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)


class FileStore(CredentialStore):
    """Credentials in a JSON file shared with the official Skytells CLI."""

    name = "file"
    description = "credentials.json in the configuration directory (mode 0600), shared with the official CLI"

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory if directory is not None else settings.config_dir()
        self.path = self.directory / FILE_NAME
        #: The temporary file of the save under way (inside :meth:`_reserved`), and its handle.
        self._temporary: tuple[Path, BinaryIO] | None = None

    @property
    def location(self) -> str:
        return str(self.path)

    def load(self) -> StoredCredentials:
        raw = safe_files.read_regular_file(self.path, private=True)
        if raw is None:
            return StoredCredentials()
        self._repair_directory_mode()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = "\0"  # reported as "not valid JSON" below
        return parse_document(text, str(self.path))

    def update(self, change: Callable[[StoredCredentials], None]) -> StoredCredentials:
        """Apply ``change`` under the lock and save atomically.

        The temporary file is made, and space for the document reserved in
        it, before ``change`` runs: a change that spends something (a refresh
        sends the refresh token) runs only when the disk has taken the write.
        """
        self._ensure_directory()
        with self._locked():
            self._remove_stale_temporaries()
            record = self.load()
            self._refuse_unsafe_target()
            with self._reserved(len(render_document(record).encode("utf-8"))):
                change(record)
                self._write(record)
        return record

    def check_writable(self) -> None:
        """Prove that a save would succeed now: under the lock, make, fill and remove a temporary file.

        The directory is made if needed; a file that does not parse, a symbolic
        link or another user's file at the path, a read-only or full disk and
        a directory without write permission all raise StoreError here.
        """
        self._ensure_directory()
        with self._locked():
            self._remove_stale_temporaries()
            record = self.load()
            self._refuse_unsafe_target()
            with self._reserved(len(render_document(record).encode("utf-8"))) as (_path, handle):
                handle.close()

    # -- internals -------------------------------------------------------

    def _remove_stale_temporaries(self) -> None:
        """Delete temporary files a killed process left behind.

        Temporary files are only written while the lock is held, so any found
        by the lock's holder are leftovers.
        """
        for leftover in self.directory.glob(f".{FILE_NAME}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()

    def _repair_directory_mode(self) -> None:
        """Commands that only read repair a loose directory too; one of another user is only reported."""
        with contextlib.suppress(OSError):
            safe_files.make_private(self.directory, os.stat(self.directory), 0o700)

    def _ensure_directory(self) -> None:
        directory = self.directory
        try:
            info = os.lstat(directory)
        except NotADirectoryError:  # a parent is a file (SKYTELLS_CONFIG_DIR=/dev/null/skytells)
            raise StoreError(f"Could not create {directory}: a parent is not a directory.",
                             hint=f"Set {settings.ENV_CONFIG_DIR} to a directory.") from None
        except FileNotFoundError:
            try:
                # Missing parents too are made 0700 (as the XDG base directory spec asks), whatever the umask.
                for missing in reversed([directory, *(p for p in directory.parents if not p.exists())]):
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(missing, 0o700)
            except OSError as error:
                raise StoreError(f"Could not create {directory}: {_describe(error)}.") from None
            info = os.lstat(directory)
        if stat.S_ISLNK(info.st_mode):
            info = os.stat(directory)
        if not stat.S_ISDIR(info.st_mode):
            raise StoreError(f"{directory} is not a directory.")
        owner = safe_files.foreign_owner(info)
        if owner is not None:
            raise StoreError(f"{directory} belongs to another user (uid {owner}); refusing to write credentials "
                             "there.", hint=f"Set {settings.ENV_CONFIG_DIR} to a directory you own.")
        safe_files.make_private(directory, info, 0o700)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        if sys.platform == "win32":
            yield
            return
        lock_path = self.directory / LOCK_NAME
        fd = safe_files.open_lock_file(lock_path)
        try:
            deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"Another skytells process has held {lock_path} for {LOCK_TIMEOUT_SECONDS:.0f} s.",
                            hint="Try again when it has finished.",
                        ) from None
                    time.sleep(0.01)
            yield
        finally:
            os.close(fd)  # closing releases the lock, also when the process dies

    @contextlib.contextmanager
    def _reserved(self, size: int) -> Iterator[tuple[Path, BinaryIO]]:
        """A new temporary file (0600, never through a link) holding ``size`` + a margin of blank bytes.

        What the disk refuses (no space, a read-only file system, no write
        permission) is refused here, before the caller's change runs. The file
        is removed on the way out unless :meth:`_commit` renamed it into place.
        """
        temporary = self.directory / f".{FILE_NAME}.{secrets.token_hex(6)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(temporary, flags, 0o600)
        except OSError as error:
            raise StoreError(f"Could not save credentials in {self.directory}: {_describe(error)}.") from None
        try:
            with os.fdopen(fd, "wb") as handle:
                try:
                    handle.write(b" " * (size + RESERVE_MARGIN))
                    handle.flush()
                except OSError as error:
                    raise StoreError(f"Could not save credentials to {self.path}: {_describe(error)}; "
                                     "the previous file is unchanged.") from None
                self._temporary = (temporary, handle)
                yield temporary, handle
        finally:
            self._temporary = None
            with contextlib.suppress(OSError):
                os.unlink(temporary)  # gone already when it was renamed into place

    def _write(self, record: StoredCredentials) -> None:
        """Save ``record`` through the temporary file :meth:`_reserved` made (the one seam for a failing write)."""
        assert self._temporary is not None, "_write runs inside _reserved"
        self._commit(self._temporary, render_document(record).encode("utf-8"))

    def _commit(self, temporary: tuple[Path, BinaryIO], data: bytes) -> None:
        """Write ``data`` over the reserved space, fsync, and rename the temporary file over the credentials."""
        path, handle = temporary
        self._refuse_unsafe_target()  # the change may have taken a while: look again just before the rename
        try:
            handle.seek(0)
            handle.write(data)
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(path, self.path)
        except OSError as error:
            raise StoreError(f"Could not save credentials to {self.path}: {_describe(error)}; "
                             "the previous file is unchanged.") from None
        self._sync_directory()

    def _refuse_unsafe_target(self) -> None:
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        if stat.S_ISLNK(info.st_mode):
            raise StoreError(f"{self.path} is a symbolic link; refusing to write through it.",
                             hint="Replace it with a regular file.")
        owner = safe_files.foreign_owner(info)
        if owner is not None:
            raise StoreError(f"{self.path} belongs to another user (uid {owner}); refusing to replace it.")

    def _sync_directory(self) -> None:
        if os.name != "posix":
            return
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        except OSError:
            pass  # some file systems cannot fsync a directory; the rename already happened
        finally:
            os.close(fd)
