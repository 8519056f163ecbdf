"""Opening the CLI's own files (credentials.json, its lock, config.json) whatever sits at their paths.

Only a regular file owned by the user running the CLI is used. Anything else
is refused with a :class:`~skytells.errors.StoreError` (exit 1) naming the
path, before a byte is read:

- a symbolic link (never followed: ``O_NOFOLLOW``);
- a FIFO, which would block the open or the read until a writer came; a
  device, which may never end (``/dev/zero``) or act when opened; a socket; a
  directory;
- a file larger than :data:`MAX_FILE_BYTES`: far more than any real store or
  configuration, small enough that reading it cannot exhaust memory;
- a file owned by another user: as root the CLI could read, re-mode or replace
  it, and acting on someone else's credentials is never what was meant.

The type is checked twice: with ``lstat`` before opening, so a device is
never even opened (opening one can act: a watchdog arms, a tape rewinds), and
with ``fstat`` on what was opened, against a swap in between; the open itself
never blocks (``O_NONBLOCK``) nor takes a terminal as the controlling one.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

from skytells.errors import StoreError

LOG = logging.getLogger(__name__)

#: The largest credentials.json or config.json read: 1 MiB.
MAX_FILE_BYTES = 1 << 20

_OPEN_FLAGS = (getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0))

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISLNK, "a symbolic link"), (stat.S_ISREG, "a regular file"))


def kind_of(mode: int) -> str:
    """What a file of ``st_mode`` is, as a phrase: "a FIFO (named pipe)", "a directory", ..."""
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def foreign_owner(info: os.stat_result) -> int | None:
    """The owner's uid when ``info`` is of a file that the user running the CLI does not own, else None."""
    if not hasattr(os, "geteuid") or info.st_uid == os.geteuid():
        return None
    return info.st_uid


def refusal(path: Path, info: os.stat_result, limit: int | None = None) -> str | None:
    """Why what ``info`` (from lstat or fstat) describes cannot be used as the regular file ``path``, or None.

    Symbolic links, anything but a regular file, and a file over ``limit``
    bytes are refused; the owner is :func:`foreign_owner`'s question.
    """
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link; refusing to follow it."
    if not stat.S_ISREG(info.st_mode):
        return f"{path} is {kind_of(info.st_mode)}, not a regular file; refusing to use it."
    if limit is not None and info.st_size > limit:
        return f"{path} is larger than {_size(limit)} ({info.st_size} bytes); refusing to read it."
    return None


def _size(count: int) -> str:
    return f"{count >> 20} MiB" if count % (1 << 20) == 0 else f"{count} bytes"


def _describe(error: OSError) -> str:
    return os.strerror(error.errno) if error.errno else str(error)


def _check(path: Path, info: os.stat_result, limit: int | None) -> None:
    problem = refusal(path, info, limit)
    if problem:
        raise StoreError(problem, hint="Move it away." if not stat.S_ISLNK(info.st_mode)
                         else "Replace it with a regular file.")
    owner = foreign_owner(info)
    if owner is not None:
        raise StoreError(f"{path} belongs to another user (uid {owner}); refusing to use it.",
                         hint="Run skytells as that user, or point SKYTELLS_CONFIG_DIR at a directory of your own.")


def _open(path: Path, flags: int, limit: int | None) -> tuple[int, os.stat_result] | None:
    """A descriptor of the regular file ``path`` that we own, and its fstat; None when nothing is there."""
    try:
        _check(path, os.lstat(path), limit)
    except FileNotFoundError:
        if not flags & os.O_CREAT:
            return None
    except OSError as error:
        raise StoreError(f"Could not open {path}: {_describe(error)}.") from None
    try:
        fd = os.open(path, flags | _OPEN_FLAGS, 0o600)
    except FileNotFoundError:
        if not flags & os.O_CREAT:
            return None
        raise StoreError(f"Could not open {path}: {os.strerror(errno.ENOENT)}.") from None
    except OSError as error:
        if error.errno == errno.ELOOP:  # replaced by a link since the lstat
            raise StoreError(f"{path} is a symbolic link; refusing to follow it.",
                             hint="Replace it with a regular file.") from None
        raise StoreError(f"Could not open {path}: {_describe(error)}.") from None
    try:
        info = os.fstat(fd)
        _check(path, info, limit)  # what was opened, whatever was swapped in since the lstat
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_regular_file(path: Path, limit: int = MAX_FILE_BYTES, *, private: bool = False) -> bytes | None:
    """The bytes of the regular file ``path``, or None when nothing is there.

    Refused with a StoreError naming the path (nothing read, nothing changed):
    a symbolic link, anything but a regular file, a file of another user, one
    over ``limit`` bytes (also if it grows past it while being read).
    ``private``: a mode giving group or others any access is repaired to 0600
    with a warning (on the open file, so never through a swapped-in link);
    if it cannot be, the file is refused with the ``chmod`` to run.
    """
    opened = _open(path, os.O_RDONLY, limit)
    if opened is None:
        return None
    fd, info = opened
    with os.fdopen(fd, "rb") as handle:
        if private:
            make_private(path, info, 0o600, fd=fd)
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise StoreError(f"Could not read {path}: {_describe(error)}.") from None
    if len(data) > limit:
        raise StoreError(f"{path} grew larger than {_size(limit)} while being read; refusing to use it.")
    return data


def open_lock_file(path: Path) -> int:
    """A read-write descriptor of the lock file ``path``, created 0600 if missing.

    Refused like :func:`read_regular_file` refuses (a link, a FIFO, a device,
    a socket, a directory, a file of another user); the open never blocks.
    """
    opened = _open(path, os.O_RDWR | os.O_CREAT, None)
    assert opened is not None  # O_CREAT: missing is an error, not None
    return opened[0]


def make_private(path: Path, info: os.stat_result, wanted: int, *, fd: int | None = None) -> None:
    """Tighten a mode that gives group or others any access to ``wanted``, with a warning naming ``path``.

    ``fd`` (when given) is changed rather than the path. A file of another
    user is never changed: its loose mode is only reported. A mode that
    cannot be changed is a StoreError with the ``chmod`` to run.
    """
    if os.name != "posix" or stat.S_IMODE(info.st_mode) & 0o077 == 0:
        return
    owner = foreign_owner(info)
    if owner is not None:
        LOG.warning("%s is accessible to other users (mode %o) and belongs to uid %d; it was left as it is.",
                    path, stat.S_IMODE(info.st_mode), owner)
        return
    try:
        if fd is None:
            os.chmod(path, wanted)
        else:
            os.fchmod(fd, wanted)
    except OSError as error:
        raise StoreError(f"{path} is readable by other users and its mode could not be fixed: "
                         f"{_describe(error)}.", hint=f"Run: chmod {wanted:o} {path}") from None
    LOG.warning("%s was accessible to other users (mode %o); changed it to %o.",
                path, stat.S_IMODE(info.st_mode), wanted)


def git_work_tree(path: Path) -> Path | None:
    """The root of the git work tree containing ``path``, if any (credentials there are one ``git add .``
    from a leak)."""
    for directory in [path, *path.parents]:
        if (directory / ".git").exists():
            return directory
    return None
