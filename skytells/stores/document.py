"""The JSON document of ``credentials.json``: parse strictly, render faithfully.

The official CLI's fields (``token``, ``access_key``, ``api_key``,
``created_at``) stay at the top level so both CLIs can share the file; this
CLI's own facts live under ``meta``; unknown fields are carried through.
"""

from __future__ import annotations

import json
from typing import Any

from skytells.credentials import SECRET_FIELDS, StoredCredentials
from skytells.errors import StoreError

KNOWN_FIELDS = (*SECRET_FIELDS, "created_at", "meta")


def _unusable(path: str, problem: str) -> StoreError:
    return StoreError(
        f"The credentials file {path} {problem}; it was left untouched.",
        hint="Fix it, or move it aside and log in again.",
    )


def parse_document(text: str, path: str) -> StoredCredentials:
    """Parse the file's text; raise StoreError naming ``path`` if it is not a credentials document."""
    if not text.strip():
        raise _unusable(path, "is empty")
    try:
        data = json.loads(text)
    except ValueError:
        raise _unusable(path, "is not valid JSON") from None
    if not isinstance(data, dict):
        raise _unusable(path, "does not hold a JSON object")
    record = StoredCredentials()
    for name in SECRET_FIELDS:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise _unusable(path, f"has a {name!r} that is not a string")
        setattr(record, name, value or None)
    created_at = data.get("created_at")
    if created_at is not None:
        if isinstance(created_at, bool) or not isinstance(created_at, int | float):
            raise _unusable(path, "has a 'created_at' that is not a number")
        record.created_at = int(created_at)
    meta = data.get("meta", {})
    if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
        raise _unusable(path, "has a 'meta' that is not an object of objects")
    record.meta = meta
    record.extra = {k: v for k, v in data.items() if k not in KNOWN_FIELDS}
    return record


def render_document(record: StoredCredentials) -> str:
    """Render ``record`` as the file's text (credentials absent from the record are omitted)."""
    data: dict[str, Any] = {}
    for name in SECRET_FIELDS:
        value = getattr(record, name)
        if value is not None:
            data[name] = value
    if record.created_at is not None:
        data["created_at"] = record.created_at
    data.update(record.extra)
    if record.meta:
        data["meta"] = record.meta
    return json.dumps(data, indent=2) + "\n"
