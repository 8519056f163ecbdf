"""Checks behind ``skytells auth doctor``: is this machine's setup safe and working?

Each check returns Findings; none of them prints or returns a credential.
"""

from __future__ import annotations

import enum
import os
import stat
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING

from skytells.config import settings
from skytells.credentials.stores.document import parse_document
from skytells.credentials.stores.file import LOCK_NAME, FileStore
from skytells.credentials.stores.registering import RegisteringStore
from skytells.errors import SkytellsError
from skytells.extensions.plugins import describe_error
from skytells.safety import safe_files
from skytells.safety.safe_files import git_work_tree, read_regular_file
from skytells.safety.urls import without_userinfo

if TYPE_CHECKING:
    from skytells.cli.context import Context
    from skytells.credentials.model import StoredCredentials
    from skytells.credentials.stores.base import CredentialStore

CLOCK_SKEW_WARN_SECONDS = 60
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy",
                   "NO_PROXY", "no_proxy")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE")


class Status(enum.Enum):
    """How a check came out. ``warn`` and ``fail`` make the doctor exit 1."""

    OK = "ok"
    INFO = "info"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    """One line of the doctor's report."""

    check: str
    status: Status
    detail: str


def _mode(info: os.stat_result) -> str:
    return f"{stat.S_IMODE(info.st_mode):04o}"


def check_path(path: Path, kind: str, wanted_mode: int, *, directory: bool = False) -> list[Finding]:
    """Existence, type, size, symbolic link, owner and mode of the config directory or a file in it.

    A file must be what the CLI would read (:func:`skytells.safety.safe_files.refusal`):
    a regular file, not a FIFO, device, socket or directory, and no larger than
    the CLI reads. Nothing is opened here, so nothing can block.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return [Finding(kind, Status.INFO, f"{path} does not exist yet")]
    except OSError as error:
        return [Finding(kind, Status.FAIL, f"{path}: {os.strerror(error.errno or 0)}")]
    findings = [Finding(kind, Status.OK, str(path))]
    if stat.S_ISLNK(info.st_mode):
        findings.append(Finding(f"{kind} link", Status.FAIL, f"{path} is a symbolic link; it is never written through"))
        return findings
    if directory:
        problem = None if stat.S_ISDIR(info.st_mode) else \
            f"{path} is {safe_files.kind_of(info.st_mode)}, not a directory"
    else:
        problem = safe_files.refusal(path, info, safe_files.MAX_FILE_BYTES)
    if problem:
        return [Finding(kind, Status.FAIL, problem)]
    owner = safe_files.foreign_owner(info)
    if owner is not None:
        findings.append(Finding(f"{kind} owner", Status.FAIL,
                                f"{path} is owned by uid {owner}, not by you; skytells "
                                + ("never writes there" if directory else "refuses to use it")))
    else:
        findings.append(Finding(f"{kind} owner", Status.OK, "you"))
    if os.name == "posix":
        loose = stat.S_IMODE(info.st_mode) & 0o077
        findings.append(Finding(f"{kind} mode", Status.WARN if loose else Status.OK,
                                f"{_mode(info)}" + (f" (others can access it; run: chmod {wanted_mode:o} {path})"
                                                    if loose else "")))
    return findings


def check_credentials_parse(path: Path) -> list[Finding]:
    """Whether credentials.json parses, and which credentials it holds (names only).

    Read as the store reads it (never blocking, never following a link, bounded), but without repairing its mode.
    """
    try:
        raw = read_regular_file(path)
        if raw is None:
            return []
        record = parse_document(raw.decode("utf-8", errors="replace"), str(path))
    except SkytellsError as error:
        return [Finding("credentials content", Status.FAIL, error.message)]
    return [_holds(record)]


def _holds(record: StoredCredentials) -> Finding:
    """Which credentials a record holds, by name only."""
    held = [name for name in ("token", "access_key", "api_key") if getattr(record, name)]
    return Finding("credentials content", Status.OK, "holds " + (", ".join(held) if held else "no credential"))


def check_other_store(store: CredentialStore) -> list[Finding]:
    """What can be checked of a store that is not the file store: where it keeps credentials, and a load."""
    try:
        findings = [Finding("store location", Status.INFO, store.location)]
        findings.append(_holds(store.load()))
    except SkytellsError as error:
        findings = [Finding("credentials content", Status.FAIL, error.message)]
    except Exception as error:  # a plugin's own failure must not end the report
        findings = [Finding("credentials content", Status.FAIL, describe_error(error))]
    return findings


def check_lock_file(path: Path) -> list[Finding]:
    """The store's lock file, only when something unusable is there (a missing one is made when needed)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return []
    except OSError as error:
        return [Finding("lock file", Status.FAIL, f"{path}: {os.strerror(error.errno or 0)}")]
    problem = safe_files.refusal(path, info)
    owner = safe_files.foreign_owner(info)
    if problem is None and owner is not None:
        problem = f"{path} is owned by uid {owner}, not by you; skytells refuses to use it"
    return [Finding("lock file", Status.FAIL, problem)] if problem else []


def check_git(path: Path) -> list[Finding]:
    """Warn when credentials would live inside a git work tree (one `git add .` from a leak)."""
    root = git_work_tree(path)
    if root is None:
        return [Finding("git work tree", Status.OK, "the configuration directory is not inside one")]
    return [Finding("git work tree", Status.WARN, f"the configuration directory is inside the git work tree {root}")]


def check_environment() -> list[Finding]:
    """Variables that override stored credentials or change where and how requests go."""
    findings = []
    for name in settings.CREDENTIAL_ENV.values():
        if os.environ.get(name, "").strip():
            findings.append(Finding(name, Status.INFO, "set: overrides the stored credential"))
    for name in (settings.ENV_CONSOLE_URL, settings.ENV_INFERENCE_URL, settings.ENV_CONFIG_DIR,
                 settings.ENV_CREDENTIAL_STORE, "SKYTELLS_HTTP_TIMEOUT"):
        value = os.environ.get(name, "").strip()
        if value:
            findings.append(Finding(name, Status.INFO, without_userinfo(value)))
    for name in PROXY_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            findings.append(Finding(name, Status.INFO, without_userinfo(value)))
    for name in CA_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            exists = os.path.exists(value)
            findings.append(Finding(name, Status.OK if exists else Status.FAIL,
                                    value + ("" if exists else " (no such file)")))
    return findings


def check_server(context: Context, now: float | None = None) -> list[Finding]:
    """Reach the console's health endpoint and compare its clock with ours."""
    try:
        api = context.console()
        started = time.monotonic()
        response = api.health()
        elapsed = time.monotonic() - started
    except SkytellsError as error:
        return [Finding("server", Status.FAIL, error.message)]
    healthy = response.status == 200 and response.kind != "html"  # an HTML page: a captive portal or proxy
    answer = response.describe() if response.kind == "html" else f"HTTP {response.status}"
    findings = [Finding("server", Status.OK if healthy else Status.FAIL,
                        f"{settings.console_url()} answered {answer} in {elapsed * 1000:.0f} ms")]
    date = response.headers.get("date")
    try:
        server_time = parsedate_to_datetime(date).timestamp() if date else None
    except (TypeError, ValueError, IndexError, OverflowError):
        server_time = None
    if server_time is None:
        findings.append(Finding("clock skew", Status.INFO, "the server sent no usable Date header"))
    else:
        skew = (time.time() if now is None else now) - server_time
        status = Status.WARN if abs(skew) > CLOCK_SKEW_WARN_SECONDS else Status.OK
        findings.append(Finding("clock skew", status, f"{skew:+.0f} s against the server's clock"
                                + (" (fix the system clock: tokens and codes expire by it)"
                                   if status is Status.WARN else "")))
    return findings


def open_store(context: Context) -> tuple[list[Finding], CredentialStore | None]:
    """The store in use, as the commands open it, and the finding that names it."""
    try:
        name = settings.credential_store_name()
        store = context.store
    except SkytellsError as error:  # config.json or the chosen store unusable: say so, and check the rest
        return [Finding("credential store", Status.FAIL, error.message)], None
    return [Finding("credential store", Status.INFO, name)], store


def check_file_store(store: FileStore) -> list[Finding]:
    """The file store's file and lock, read as the store reads them."""
    findings = check_path(store.path, "credentials file", 0o600)
    if not any(finding.status is Status.FAIL for finding in findings):  # else: refused as the store would
        findings += check_credentials_parse(store.path)
    return findings + check_lock_file(store.directory / LOCK_NAME)


def _store_choice_readable() -> bool:
    """Whether the setting that names the store can be read (a named store may still be unusable)."""
    try:
        settings.credential_store_name()
    except SkytellsError:
        return False
    return True


def run_checks(context: Context, *, offline: bool = False) -> list[Finding]:
    """Every check, in report order; the file checks only when the file store is the one in use."""
    findings, store = open_store(context)
    if isinstance(store, RegisteringStore):
        store = store.inner
    findings += check_path(settings.config_dir(), "config directory", 0o700, directory=True)
    if isinstance(store, FileStore):
        findings += check_file_store(store)
    elif store is not None:
        findings += check_other_store(store)
    elif not _store_choice_readable():  # config.json unusable: the default store's file is still checked
        findings += check_file_store(FileStore())
    findings += check_git(settings.config_dir())
    findings += check_environment()
    if not offline:
        findings += check_server(context)
    return findings
