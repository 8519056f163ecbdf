"""The JSON document of ``credentials.json``: parse strictly, render faithfully.

The official CLI's fields (``token``, ``access_key``, ``api_key``,
``created_at``) stay at the top level for the default profile, so both CLIs
can share the file; this CLI's own facts live under ``meta``; other profiles
live under ``profiles`` in the same shape; ``profile`` names the default
profile when it is not called "default"; ``pending_login`` (in any profile)
holds a login started by ``login --request`` and not yet finished (its
envelope checked as strictly as the secrets, its state the method's own);
unknown fields are carried through.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from skytells.credentials.model import (
    DEFAULT_PROFILE,
    OFFICIAL_SECRET_FIELDS,
    PENDING_LOGIN_FIELD,
    SECRET_FIELDS,
    PendingLogin,
    StoredCredentials,
    read_facts,
)
from skytells.errors import StoreError
from skytells.safety import values
from skytells.safety.sanitize import terminal_safe
from skytells.safety.values import valid_profile_name

KNOWN_FIELDS = (*SECRET_FIELDS, "created_at", "meta", "profiles", "profile")
LOG = logging.getLogger(__name__)
_warned: set[str] = set()  # a file read twice in one run warns once


def _unusable(path: str, problem: str) -> StoreError:
    return StoreError(
        f"The credentials file {terminal_safe(path, 4096)} {problem}; it was left untouched.",
        hint="Fix it, or move it aside and log in again.",
    )


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        LOG.warning("%s", message)


def _check_meta(meta: dict[str, dict[str, Any]], path: str, where: str) -> None:
    """Refuse the file when the token's server is unreadable; warn about other unusable facts.

    The token's ``host`` decides where the token may be sent, so it cannot
    be guessed; any other fact (method, scopes, expiry, times, issuer,
    client id, token type) is only treated as unknown. The file keeps the
    facts as they are: nothing is dropped from it.
    """
    for entry in OFFICIAL_SECRET_FIELDS:
        _facts, problems = read_facts(meta.get(entry, {}))
        for name, problem in problems.items():
            field = f"{where}'meta.{entry}.{name}'"
            if entry == "token" and name == "host":
                raise _unusable(path, f"has a {field} that {problem}")
            _warn_once(f"The credentials file {terminal_safe(path, 4096)} has a {field} that {problem}; "
                       "it is treated as unknown.")


def _parse_profile(data: dict[str, Any], path: str, where: str) -> StoredCredentials:
    """One profile's fields; a secret or ``created_at`` that fails its check (values.py) makes the file unusable."""
    record = StoredCredentials()
    for name in SECRET_FIELDS:
        value = data.get(name)
        try:
            setattr(record, name, None if value in (None, "") else values.printable_token(value))
        except values.BadValue as problem:
            raise _unusable(path, f"has a {where}{name!r} that {problem}") from None
    try:
        record.created_at = values.optional(values.epoch_ms, data.get("created_at"))
    except values.BadValue as problem:
        raise _unusable(path, f"has a {where}'created_at' that {problem}") from None
    meta = data.get("meta", {})
    if not isinstance(meta, dict) or not all(isinstance(v, dict) for v in meta.values()):
        raise _unusable(path, f"has a {where}'meta' that is not an object of objects")
    _check_meta(meta, path, where)
    record.meta = meta
    record.extra = {k: v for k, v in data.items() if k not in KNOWN_FIELDS}
    if data.get(PENDING_LOGIN_FIELD) is not None:
        try:
            PendingLogin.from_document(data[PENDING_LOGIN_FIELD])
        except values.BadValue as problem:
            raise _unusable(path, f"has a {where}{PENDING_LOGIN_FIELD!r} that {problem}") from None
    return record


def parse_document(text: str, path: str) -> StoredCredentials:
    """Parse the file's text; raise StoreError naming ``path`` if it is not a credentials document."""
    if not text.strip():
        raise _unusable(path, "is empty")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise _unusable(path, "is not valid JSON") from None
    if not isinstance(data, dict):
        raise _unusable(path, "does not hold a JSON object")
    record = _parse_profile(data, path, "")
    name = data.get("profile", DEFAULT_PROFILE)
    if not valid_profile_name(name):
        raise _unusable(path, "has a 'profile' that is not a valid profile name")
    record.profile_name = name
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise _unusable(path, "has a 'profiles' that is not an object")
    for profile_name, value in profiles.items():
        if not valid_profile_name(profile_name) or not isinstance(value, dict) or profile_name == name:
            raise _unusable(path, "has a bad entry in 'profiles'")
        profile = _parse_profile(value, path, f"profile {profile_name!r} with ")
        profile.profile_name = profile_name
        record.profiles[profile_name] = profile
    return record


def _render_profile(record: StoredCredentials) -> dict[str, Any]:
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
    return data


def _worth_keeping(profile: StoredCredentials) -> bool:
    """A profile left with no secret, facts or unknown fields (after its logout) is dropped."""
    return any(getattr(profile, name) for name in SECRET_FIELDS) or bool(profile.meta or profile.extra)


def render_document(record: StoredCredentials) -> str:
    """Render ``record`` as the file's text (credentials absent from the record are omitted)."""
    data = _render_profile(record)
    if record.profile_name != DEFAULT_PROFILE:
        data["profile"] = record.profile_name
    profiles = {name: _render_profile(profile) for name, profile in sorted(record.profiles.items())
                if _worth_keeping(profile)}
    if profiles:
        data["profiles"] = profiles
    return json.dumps(data, indent=2) + "\n"
