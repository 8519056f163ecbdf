"""The file credential store: format, permissions, refusal to damage a file, atomic saves, locking."""

from __future__ import annotations

import errno
import fcntl
import json
import multiprocessing
import os
import socket
import stat
import tempfile
from pathlib import Path
from typing import Any

import pytest

from skytells.config import settings
from skytells.credentials import model as credentials_module
from skytells.credentials.model import Credential, StoredCredentials, now_ms
from skytells.credentials.stores import file as file_module
from skytells.credentials.stores.document import parse_document, render_document
from skytells.credentials.stores.file import FileStore
from skytells.errors import StoreError
from skytells.safety import safe_files

PAT = "sk_pat_" + "1f" * 32
PROJECT_KEY = "sk_proj_a1b2c3d4e5f6g7h8"
API_KEY = "sk_live_0123456789"


@pytest.fixture
def unit_store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "config" / "skytells")


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def login(record: StoredCredentials) -> None:
    record.set_token(Credential(token=PAT, method="device", host="https://console.skytells.ai",
                                scopes=("inference", "projects.read")))


def write_file(store: FileStore, content: bytes, file_mode: int = 0o600) -> None:
    store.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    store.path.write_bytes(content)
    os.chmod(store.path, file_mode)


# -- format -------------------------------------------------------------------------


def test_nothing_stored_loads_as_empty(unit_store: FileStore) -> None:
    record = unit_store.load()
    assert record.is_empty()
    assert not unit_store.directory.exists()  # loading creates nothing


def test_round_trip(unit_store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials_module, "now_ms", lambda: 1_700_000_000_123)
    saved = unit_store.update(login)
    unit_store.update(lambda r: r.set_secret("access_key", PROJECT_KEY, project="demo"))
    loaded = unit_store.load()
    assert loaded.token == PAT
    assert loaded.access_key == PROJECT_KEY
    assert loaded.api_key is None
    assert loaded.created_at == saved.created_at == 1_700_000_000_123
    assert loaded.meta["token"] | {"token_type": "Bearer"} == {
        "method": "device", "host": "https://console.skytells.ai", "saved_at": 1_700_000_000_123,
        "scopes": ["inference", "projects.read"], "token_type": "Bearer"}
    assert loaded.meta["access_key"] == {"saved_at": 1_700_000_000_123, "project": "demo"}
    assert unit_store.location == str(unit_store.path)
    assert unit_store.path.name == "credentials.json"


def test_official_fields_are_at_the_top_level(unit_store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials_module, "now_ms", lambda: 1_700_000_000_123)
    unit_store.update(login)
    unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    data = json.loads(unit_store.path.read_text())
    assert data["token"] == PAT
    assert data["api_key"] == API_KEY
    assert data["created_at"] == 1_700_000_000_123
    assert isinstance(data["created_at"], int)
    assert "access_key" not in data  # absent credentials are omitted, as the official CLI does
    assert set(data) == {"token", "api_key", "created_at", "meta"}


def test_now_ms_is_epoch_milliseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(credentials_module.time, "time", lambda: 1_700_000_000.1234)
    assert now_ms() == 1_700_000_000_123


def test_a_file_written_by_the_official_cli_is_read_and_its_unknown_fields_kept(unit_store: FileStore) -> None:
    official = {"token": PAT, "created_at": 1_690_000_000_000, "preferences": {"name": "dev", "tags": [1, 2]},
                "telemetry": False, "version": "1.4.0"}
    write_file(unit_store, json.dumps(official).encode())
    record = unit_store.load()
    assert record.token == PAT
    assert record.created_at == 1_690_000_000_000
    unit_store.update(lambda r: r.set_secret("access_key", PROJECT_KEY))
    data = json.loads(unit_store.path.read_text())
    assert {k: data[k] for k in ("preferences", "telemetry", "version")} == {
        "preferences": {"name": "dev", "tags": [1, 2]}, "telemetry": False, "version": "1.4.0"}
    assert data["token"] == PAT
    assert data["access_key"] == PROJECT_KEY
    assert data["created_at"] == 1_690_000_000_000  # a new secret does not pretend the token is new


def test_removing_one_credential_keeps_the_others(unit_store: FileStore) -> None:
    unit_store.update(login)
    unit_store.update(lambda r: r.set_secret("access_key", PROJECT_KEY))
    unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    removed: list[bool] = []
    unit_store.update(lambda r: removed.append(r.remove("token")))
    unit_store.update(lambda r: removed.append(r.remove("token")))
    assert removed == [True, False]
    record = unit_store.load()
    assert record.token is None
    assert (record.access_key, record.api_key) == (PROJECT_KEY, API_KEY)
    assert set(record.meta) == {"access_key", "api_key"}
    assert "token" not in json.loads(unit_store.path.read_text())


def test_render_parse_round_trip_keeps_everything() -> None:
    record = StoredCredentials(token=PAT, access_key=PROJECT_KEY, created_at=5, meta={"token": {"method": "x"}},
                               extra={"z": [1, {"a": None}], "unicode": "\u00e9\u202e"})
    again = parse_document(render_document(record), "p")
    assert again == record
    assert (again.token, again.access_key) == (PAT, PROJECT_KEY)
    assert render_document(record).endswith("}\n")


# -- permissions ---------------------------------------------------------------------


def test_modes_are_private_from_the_first_moment_whatever_the_umask(unit_store: FileStore,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    temporary_modes: list[int] = []
    real_replace = os.replace

    def replace(source: Any, target: Any) -> None:
        temporary_modes.append(mode(Path(source)))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    previous = os.umask(0)
    try:
        unit_store.update(login)
    finally:
        os.umask(previous)
    assert temporary_modes == [0o600]
    assert mode(unit_store.directory) == 0o700
    assert mode(unit_store.path) == 0o600
    assert mode(unit_store.directory / ".credentials.lock") == 0o600


def test_loose_modes_are_repaired_with_a_warning(unit_store: FileStore, caplog: pytest.LogCaptureFixture) -> None:
    unit_store.update(login)
    os.chmod(unit_store.path, 0o644)
    os.chmod(unit_store.directory, 0o755)  # noqa: S103 - the loose mode under test
    caplog.set_level("WARNING")
    assert unit_store.load().token == PAT
    assert mode(unit_store.path) == 0o600
    unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    assert mode(unit_store.directory) == 0o700
    assert mode(unit_store.path) == 0o600
    warnings = [r.getMessage() for r in caplog.records]
    assert any(str(unit_store.path) in w and "accessible to other users" in w for w in warnings)
    assert any(str(unit_store.directory) in w and "accessible to other users" in w for w in warnings)
    assert PAT not in caplog.text


@pytest.mark.parametrize("dangling", [False, True])
def test_a_symlinked_credentials_file_is_never_used(unit_store: FileStore, tmp_path: Path, dangling: bool) -> None:
    unit_store.directory.mkdir(parents=True, mode=0o700)
    target = tmp_path / "elsewhere.json"
    if not dangling:
        target.write_text(json.dumps({"token": PAT}))
    unit_store.path.symlink_to(target)
    for action in (unit_store.load, lambda: unit_store.update(login)):
        with pytest.raises(StoreError, match="symbolic link") as caught:
            action()
        assert str(unit_store.path) in str(caught.value)
    assert unit_store.path.is_symlink()
    if dangling:
        assert not target.exists()
    else:
        assert json.loads(target.read_text()) == {"token": PAT}
    assert leftovers(unit_store.directory) == []


def test_a_symlink_appearing_before_the_write_is_not_written_through(unit_store: FileStore,
                                                                     tmp_path: Path) -> None:
    target = tmp_path / "victim.json"
    target.write_text("precious\n")
    unit_store.update(login)

    def swap_in_a_link(record: StoredCredentials) -> None:
        unit_store.path.unlink()
        unit_store.path.symlink_to(target)
        record.api_key = API_KEY

    with pytest.raises(StoreError, match="symbolic link"):
        unit_store.update(swap_in_a_link)
    assert target.read_text() == "precious\n"
    assert leftovers(unit_store.directory) == []


def test_a_config_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "skytells").write_text("not a directory")
    with pytest.raises(StoreError, match="is not a directory"):
        FileStore(tmp_path / "skytells").update(login)
    assert (tmp_path / "skytells").read_text() == "not a directory"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")
def test_a_file_or_directory_owned_by_another_user_is_not_replaced(unit_store: FileStore) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()
    os.chown(unit_store.path, 65534, -1)
    with pytest.raises(StoreError, match="belongs to another user"):
        unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    assert unit_store.path.read_bytes() == before
    os.chown(unit_store.path, 0, -1)
    os.chown(unit_store.directory, 65534, -1)
    with pytest.raises(StoreError, match="belongs to another user"):
        unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    assert unit_store.path.read_bytes() == before
    assert leftovers(unit_store.directory) == []


# -- a file that does not parse is never touched ----------------------------------------

UNUSABLE = {
    "empty": b"",
    "blank": b"  \n\t",
    "not JSON": b"token=sk_pat_abc",
    "truncated": b'{"token": "sk_pat_',
    "a list": b'["sk_pat_abc"]',
    "a string": b'"sk_pat_abc"',
    "null": b"null",
    "token not a string": b'{"token": 12345}',
    "access_key not a string": b'{"access_key": ["a"]}',
    "created_at not a number": b'{"token": "x", "created_at": "yesterday"}',
    "created_at a boolean": b'{"created_at": true}',
    "created_at infinite": b'{"created_at": Infinity}',
    "created_at NaN": b'{"created_at": NaN}',
    "meta a list": b'{"meta": []}',
    "meta of numbers": b'{"meta": {"token": 1}}',
    "not UTF-8": b'{"token": "\xff\xfe"}',
    "UTF-16": '{"token": "x"}'.encode("utf-16"),
    "nested too deep": b'{"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
}


@pytest.mark.parametrize("content", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_an_unusable_file_raises_naming_the_path_and_is_left_untouched(unit_store: FileStore,
                                                                       content: bytes) -> None:
    write_file(unit_store, content)
    for action in (unit_store.load, lambda: unit_store.update(login)):
        with pytest.raises(StoreError) as caught:
            action()
        message = str(caught.value)
        assert str(unit_store.path) in message
        assert "left untouched" in message
        assert "\n" not in message
        assert "sk_pat_abc" not in message
    assert unit_store.path.read_bytes() == content
    assert leftovers(unit_store.directory) == []


def test_a_failing_change_leaves_the_file_and_no_temporary_file(unit_store: FileStore) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()

    def change(record: StoredCredentials) -> None:
        record.api_key = API_KEY
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError, match="changed my mind"):
        unit_store.update(change)
    assert unit_store.path.read_bytes() == before
    assert sorted(p.name for p in unit_store.directory.iterdir()) == [".credentials.lock", "credentials.json"]


# -- fault injection ---------------------------------------------------------------------


def enospc(*_args: Any, **_kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


class _FailingWriter:
    """Wraps the temporary file's handle: writes ``allow`` bytes, then fails as a full disk does."""

    def __init__(self, handle: Any, allow: int) -> None:
        self.handle = handle
        self.allow = allow

    def __enter__(self) -> _FailingWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.handle.close()

    def write(self, data: bytes) -> int:
        self.handle.write(data[: self.allow])
        self.handle.flush()
        enospc()
        return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.handle, name)


def fail_writes_after(monkeypatch: pytest.MonkeyPatch, allow: int) -> None:
    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_fdopen(fd, mode, *args, **kwargs)
        return _FailingWriter(handle, allow) if "w" in mode else handle

    monkeypatch.setattr(os, "fdopen", fdopen)


def fail_first_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    real_fsync = os.fsync
    calls = []

    def fsync(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:
            enospc()
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)


FAULTS = {
    "write fails at once": lambda mp: fail_writes_after(mp, 0),
    "write fails half way": lambda mp: fail_writes_after(mp, 20),
    "fsync fails": fail_first_fsync,
    "rename fails": lambda mp: mp.setattr(os, "replace", enospc),
}


@pytest.mark.parametrize("inject", FAULTS.values(), ids=FAULTS.keys())
def test_a_full_disk_leaves_the_old_file_intact(unit_store: FileStore, monkeypatch: pytest.MonkeyPatch,
                                                inject: Any) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()
    inject(monkeypatch)
    with pytest.raises(StoreError) as caught:
        unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    monkeypatch.undo()
    message = str(caught.value)
    assert "No space left on device" in message
    assert "previous file is unchanged" in message
    assert str(unit_store.path) in message
    assert API_KEY not in message and PAT not in message
    assert unit_store.path.read_bytes() == before
    assert leftovers(unit_store.directory) == []
    assert unit_store.load().token == PAT


def test_an_interrupt_during_the_save_leaves_the_old_file_intact(unit_store: FileStore,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()

    def interrupted(*_args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    monkeypatch.undo()
    assert unit_store.path.read_bytes() == before
    assert leftovers(unit_store.directory) == []


def test_a_temporary_file_that_cannot_be_created_is_reported(unit_store: FileStore,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()
    real_open = os.open

    def open_(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith(".tmp"):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", open_)
    with pytest.raises(StoreError, match="Permission denied"):
        unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    monkeypatch.undo()
    assert unit_store.path.read_bytes() == before


def test_a_directory_that_cannot_be_fsynced_is_not_an_error(unit_store: FileStore,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not supported")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    unit_store.update(login)
    assert unit_store.load().token == PAT


def _die_at(step: str, directory: str) -> None:
    """In a child process: start a save and die (as from SIGKILL) at ``step``."""
    calls: list[int] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls.append(fd)
        if step == "file fsync" or (step == "directory fsync" and len(calls) == 2):
            os._exit(9)
        real_fsync(fd)

    os.fsync = fsync  # type: ignore[assignment]
    if step == "rename":
        os.replace = lambda *_args: os._exit(9)  # type: ignore[assignment]
    FileStore(Path(directory)).update(lambda r: r.set_secret("api_key", API_KEY))
    os._exit(0)


@pytest.mark.parametrize("step", ["file fsync", "rename", "directory fsync"])
def test_a_save_killed_at_any_step_leaves_a_whole_file(unit_store: FileStore, step: str) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()
    child = multiprocessing.get_context("fork").Process(target=_die_at, args=(step, str(unit_store.directory)))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 9
    record = unit_store.load()  # whole, old or new: never a mix
    assert record.token == PAT
    if step == "directory fsync":
        assert record.api_key == API_KEY
    else:
        assert unit_store.path.read_bytes() == before
        assert len(leftovers(unit_store.directory)) == 1  # the dead process's temporary file
    unit_store.update(lambda r: r.set_secret("access_key", PROJECT_KEY))  # the next save cleans up
    assert leftovers(unit_store.directory) == []
    assert unit_store.load().access_key == PROJECT_KEY


def test_only_the_stores_own_temporary_files_are_cleaned_up(unit_store: FileStore) -> None:
    unit_store.update(login)
    stale = unit_store.directory / ".credentials.json.0123456789ab.tmp"
    stale.write_text("{}")
    unrelated = unit_store.directory / "notes.tmp"
    unrelated.write_text("mine")
    unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    assert not stale.exists()
    assert unrelated.read_text() == "mine"


# -- locking -----------------------------------------------------------------------------


def test_a_lock_file_left_by_a_dead_process_does_not_block(unit_store: FileStore) -> None:
    unit_store.directory.mkdir(parents=True, mode=0o700)
    (unit_store.directory / ".credentials.lock").write_text("12345\n")
    unit_store.update(login)
    assert unit_store.load().token == PAT


class _FakeTime:
    """Stands in for the time module inside skytells.credentials.stores.file: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def test_a_lock_held_too_long_is_a_clear_error(unit_store: FileStore, monkeypatch: pytest.MonkeyPatch) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()
    fake_time = _FakeTime()
    monkeypatch.setattr(file_module, "time", fake_time)
    holder = os.open(unit_store.directory / ".credentials.lock", os.O_RDWR)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        with pytest.raises(StoreError, match="Another skytells process has held"):
            unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    finally:
        os.close(holder)
    assert fake_time.slept >= file_module.LOCK_TIMEOUT_SECONDS
    assert unit_store.path.read_bytes() == before
    unit_store.update(lambda r: r.set_secret("api_key", API_KEY))  # released: works again
    assert unit_store.load().api_key == API_KEY


WORKERS = 8
UPDATES = 25


def _worker(directory: str, number: int, barrier: Any) -> None:
    store = FileStore(Path(directory))
    barrier.wait()
    for update in range(UPDATES):
        store.update(lambda record, u=update: record.extra.__setitem__(f"w{number}-u{u}", u))
        if number == 0 and update == UPDATES // 2:
            store.update(login)


def test_concurrent_updates_from_many_processes_are_never_lost(unit_store: FileStore) -> None:
    unit_store.update(lambda r: r.set_secret("access_key", PROJECT_KEY))
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(WORKERS)
    workers = [context.Process(target=_worker, args=(str(unit_store.directory), n, barrier))
               for n in range(WORKERS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * WORKERS
    record = unit_store.load()
    expected = {f"w{n}-u{u}": u for n in range(WORKERS) for u in range(UPDATES)}
    assert record.extra == expected  # WORKERS x UPDATES updates, none lost
    assert record.access_key == PROJECT_KEY
    assert record.token == PAT
    assert leftovers(unit_store.directory) == []
    assert mode(unit_store.path) == 0o600


# -- only a regular file of ours is read (skytells.safety.safe_files) --------------------------------------


def _fifo(path: Path) -> None:
    os.mkfifo(path, 0o600)


def _device(path: Path) -> None:
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers
    except PermissionError:
        pytest.skip("making a device node needs root")


def _socket(path: Path) -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as short, socket.socket(socket.AF_UNIX) as listener:
        listener.bind(os.path.join(short, "s"))
        os.rename(os.path.join(short, "s"), path)


def _link_to(make: Any) -> Any:
    def make_link(path: Path) -> None:
        make(path.with_name("target"))
        path.symlink_to(path.with_name("target"))
    return make_link


SPECIAL_FILES = {
    "FIFO": (_fifo, "is a FIFO"), "character device": (_device, "is a character device"),
    "socket": (_socket, "is a socket"), "directory": (lambda path: path.mkdir(), "is a directory"),
    "link to a FIFO": (_link_to(_fifo), "is a symbolic link"),
    "link to a device": (_link_to(_device), "is a symbolic link"),
    "link to a directory": (_link_to(lambda path: path.mkdir()), "is a symbolic link"),
    "over the cap": (lambda path: path.write_bytes(b" " * (safe_files.MAX_FILE_BYTES + 1)), "is larger than 1 MiB"),
}


def _entries(directory: Path) -> dict[str, tuple[int, int, int]]:
    return {p.name: (os.lstat(p).st_mode, os.lstat(p).st_size, os.lstat(p).st_mtime_ns) for p in directory.iterdir()}


@pytest.mark.parametrize(("make", "says"), SPECIAL_FILES.values(), ids=SPECIAL_FILES.keys())
def test_a_credentials_path_that_is_not_a_regular_file_is_refused_unread(unit_store: FileStore, make: Any,
                                                                         says: str) -> None:
    unit_store.directory.mkdir(parents=True, mode=0o700)
    make(unit_store.path)
    before = _entries(unit_store.directory)
    for action in (unit_store.load, lambda: unit_store.update(login)):
        with pytest.raises(StoreError) as caught:
            action()
        assert str(caught.value).startswith(f"{unit_store.path} {says}")
        assert "\n" not in str(caught.value)
    after = _entries(unit_store.directory)
    after.pop(".credentials.lock", None)  # update() takes the lock before it reads
    assert after == before


@pytest.mark.parametrize(("make", "says"), [v for k, v in SPECIAL_FILES.items() if k != "over the cap"],
                         ids=[k for k in SPECIAL_FILES if k != "over the cap"])
def test_a_lock_path_that_is_not_a_regular_file_is_refused(unit_store: FileStore, make: Any, says: str) -> None:
    unit_store.update(login)
    before = unit_store.path.read_bytes()
    lock = unit_store.directory / file_module.LOCK_NAME
    lock.unlink()
    make(lock)
    with pytest.raises(StoreError) as caught:
        unit_store.update(lambda r: r.set_secret("api_key", API_KEY))
    assert str(caught.value).startswith(f"{lock} {says}")
    assert unit_store.path.read_bytes() == before
    assert unit_store.load().token == PAT  # reading takes no lock


@pytest.mark.parametrize("size", [0, 1, safe_files.MAX_FILE_BYTES - 1, safe_files.MAX_FILE_BYTES])
def test_a_regular_file_up_to_the_cap_is_read_whole(tmp_path: Path, size: int) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a" * size)
    assert safe_files.read_regular_file(path) == b"a" * size
    assert safe_files.read_regular_file(tmp_path / "missing") is None


def test_a_fifo_swapped_in_after_the_check_neither_blocks_nor_is_read(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "credentials.json"
    path.write_text("{}")
    real_lstat = os.lstat

    def lstat_then_swap(target: Any) -> os.stat_result:
        info = real_lstat(target)
        if Path(target) == path:
            path.unlink()
            os.mkfifo(path)  # no writer: a blocking open would wait forever
        return info

    monkeypatch.setattr(os, "lstat", lstat_then_swap)
    with pytest.raises(StoreError, match="is a FIFO"):
        safe_files.read_regular_file(path)


def test_a_file_growing_past_the_cap_while_read_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "credentials.json"
    path.write_bytes(b"x" * (safe_files.MAX_FILE_BYTES + 10))
    real_fstat, real_lstat = os.fstat, os.lstat

    def smaller(info: os.stat_result) -> os.stat_result:  # as when the file grows after it is looked at
        fields = list(info)
        fields[stat.ST_SIZE] = 10
        return os.stat_result(fields)

    monkeypatch.setattr(os, "fstat", lambda fd: smaller(real_fstat(fd)))
    monkeypatch.setattr(os, "lstat", lambda target: smaller(real_lstat(target)))
    with pytest.raises(StoreError, match="grew larger than 1 MiB"):
        safe_files.read_regular_file(path)


@pytest.mark.parametrize("make", [_fifo, _device, lambda path: path.mkdir(),
                                  lambda path: path.write_bytes(b"{}" + b" " * safe_files.MAX_FILE_BYTES)],
                         ids=["FIFO", "character device", "directory", "over the cap"])
def test_a_config_json_that_is_not_a_regular_file_is_a_store_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   make: Any) -> None:
    monkeypatch.delenv(settings.ENV_CREDENTIAL_STORE, raising=False)
    monkeypatch.setenv(settings.ENV_CONFIG_DIR, str(tmp_path))
    make(tmp_path / settings.CONFIG_FILE)
    with pytest.raises(StoreError, match=str(tmp_path / settings.CONFIG_FILE)):
        settings.credential_store_choice()


# -- another user's file or directory: reported, never touched ---------------------------------------

needs_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to chown")


@needs_root
@pytest.mark.parametrize("file_mode", [0o600, 0o644, 0o666])
def test_another_users_credentials_file_is_refused_and_left_alone(unit_store: FileStore, file_mode: int,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    unit_store.update(login)
    os.chown(unit_store.path, 65534, 65534)
    os.chmod(unit_store.path, file_mode)
    before = (unit_store.path.read_bytes(), os.lstat(unit_store.path))
    for action in (unit_store.load, lambda: unit_store.update(lambda r: r.set_secret("api_key", API_KEY))):
        with pytest.raises(StoreError, match=f"{unit_store.path} belongs to another user \\(uid 65534\\)"):
            action()
    info = os.lstat(unit_store.path)
    assert (unit_store.path.read_bytes(), info.st_mode, info.st_uid, info.st_mtime_ns) == \
           (before[0], before[1].st_mode, before[1].st_uid, before[1].st_mtime_ns)
    assert "changed it" not in caplog.text


@needs_root
def test_another_users_loose_directory_is_reported_never_chmodded(unit_store: FileStore,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    unit_store.update(login)
    os.chown(unit_store.directory, 65534, 65534)
    os.chmod(unit_store.directory, 0o755)  # noqa: S103 - the loose mode under test
    caplog.set_level("WARNING")
    assert unit_store.load().token == PAT
    assert mode(unit_store.directory) == 0o755
    assert f"{unit_store.directory} is accessible to other users (mode 755) and belongs to uid 65534" in caplog.text
