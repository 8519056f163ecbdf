"""Generation and normalisation of codes, credentials and project identifiers."""

from __future__ import annotations

import re
import secrets
import string

PAT_PREFIX = "sk_pat_"
PROJECT_KEY_PREFIX = "sk_proj_"
# Standard-mode tokens and inference API keys: their real formats are not documented,
# so the sandbox uses prefixes that cannot be mistaken for Skytells credentials.
ACCESS_PREFIX = "sbx_at_"
REFRESH_PREFIX = "sbx_rt_"
API_KEY_PREFIX = "sbx_key_"
# No vowels (no accidental words) and no I or O (no confusion with 1 and 0).
USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"
_USER_CODE_INPUT = re.compile(r"([A-Z]{4})([0-9]{4})")


def new_device_code() -> str:
    """Return a fresh, unguessable device code."""
    return secrets.token_urlsafe(32)


def new_user_code() -> str:
    """Return a fresh user code such as ``BCDF-0427``."""
    letters = "".join(secrets.choice(USER_CODE_LETTERS) for _ in range(4))
    digits = "".join(secrets.choice(string.digits) for _ in range(4))
    return f"{letters}-{digits}"


def normalize_user_code(text: str) -> str | None:
    """Return ``text`` as a canonical ``ABCD-1234`` code, or ``None`` if it is not one.

    Case does not matter, and the dash and surrounding spaces are optional.
    """
    compact = re.sub(r"[\s-]", "", text).upper()
    match = _USER_CODE_INPUT.fullmatch(compact)
    if match is None:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def new_personal_access_token() -> str:
    """Return a new personal access token: ``sk_pat_`` and 64 lowercase hex digits."""
    return PAT_PREFIX + secrets.token_hex(32)


def new_project_key() -> str:
    """Return a new project access key: ``sk_proj_`` and 48 lowercase hex digits."""
    return PROJECT_KEY_PREFIX + secrets.token_hex(24)


def new_access_token() -> str:
    """Return a new opaque standard-mode access token: ``sbx_at_`` and 64 hex digits."""
    return ACCESS_PREFIX + secrets.token_hex(32)


def new_refresh_token() -> str:
    """Return a new refresh token: ``sbx_rt_`` and 64 hex digits."""
    return REFRESH_PREFIX + secrets.token_hex(32)


def new_api_key() -> str:
    """Return a new inference API key: ``sbx_key_`` and 48 hex digits."""
    return API_KEY_PREFIX + secrets.token_hex(24)


def new_project_id() -> str:
    """Return a new project identifier such as ``proj_3f9c0a1b2c3d4e5f``."""
    return "proj_" + secrets.token_hex(8)


def new_form_token() -> str:
    """Return a token that ties a confirmation form to one device request."""
    return secrets.token_urlsafe(16)


def new_result_id() -> str:
    """Return an unguessable id for the page that shows one decision's outcome."""
    return secrets.token_urlsafe(16)


def slugify(name: str) -> str:
    """Return a URL-friendly slug of ``name`` (``"Demo Project"`` -> ``"demo-project"``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "project"
