"""When a token was last found valid by its server, so ``auth token`` need not ask on every call.

``skytells auth token`` promises a token the server accepts, so it asks the
server (``CredentialService.check_token``); scripts may call it many times a
minute, so a "valid" answer is remembered for :data:`MAX_AGE_SECONDS`. Every
check records its outcome here, from any command: a token that ``whoami`` or
``auth status`` found invalid is forgotten at once, so ``auth token`` asks
again.

The file (``<cache dir>/token-checks.json``, 0600 in a 0700 directory) holds
no token: each entry is the SHA-256 digest of the server and the token, and
the time of the check. A token is 256 random bits or more; its digest reveals
nothing of it. A cache that cannot be read or written is ignored: the server
is then asked every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import time
from pathlib import Path

from skytells.config import settings

FILE_NAME = "token-checks.json"
#: How long a token found valid is trusted by ``auth token`` without asking again.
MAX_AGE_SECONDS = 60.0
#: Entries older than this are dropped when the file is written.
KEEP_SECONDS = 3600.0
#: The most entries kept (the newest).
MAX_ENTRIES = 64


def _path() -> Path:
    return settings.cache_dir() / FILE_NAME


def _key(token: str, server: str) -> str:
    return hashlib.sha256(f"{server.rstrip('/')}\n{token}".encode()).hexdigest()


def _read() -> dict[str, float]:
    try:
        with open(_path(), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: float(value) for key, value in data.items()
            if isinstance(key, str) and isinstance(value, int | float) and not isinstance(value, bool)}


def _write(entries: dict[str, float]) -> None:
    path = _path()
    now = time.time()
    kept = sorted(((key, moment) for key, moment in entries.items() if now - KEEP_SECONDS <= moment <= now + 60),
                  key=lambda item: item[1])[-MAX_ENTRIES:]
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{FILE_NAME}.{secrets.token_hex(6)}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(temporary, flags, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(dict(kept), handle)
            os.replace(temporary, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def recently_valid(token: str, server: str, max_age: float = MAX_AGE_SECONDS) -> bool:
    """True when ``server`` found ``token`` valid within the last ``max_age`` seconds."""
    moment = _read().get(_key(token, server))
    return moment is not None and 0 <= time.time() - moment <= max_age


def remember(token: str, server: str, valid: bool) -> None:
    """Record a check: ``valid`` keeps the time of it, anything else forgets the token."""
    entries = _read()
    key = _key(token, server)
    if valid:
        entries[key] = time.time()
    elif entries.pop(key, None) is None:
        return
    _write(entries)
