"""Showing credentials without revealing them."""

from __future__ import annotations

import re

KNOWN_PREFIXES = ("sk_pat_", "sk_proj_", "sk_")
PAT_PATTERN = re.compile(r"sk_pat_[0-9a-fA-F]{64}")
PROJECT_KEY_PATTERN = re.compile(r"sk_proj_[A-Za-z0-9_-]{8,256}")


def mask(secret: str | None) -> str:
    """Return the credential's well-known prefix followed by asterisks, nothing else of it."""
    if not secret:
        return ""
    for prefix in KNOWN_PREFIXES:
        if secret.startswith(prefix) and len(secret) > len(prefix):
            return prefix + "********"
    return "********"


def looks_like_pat(value: str) -> bool:
    """True for ``sk_pat_`` followed by exactly 64 hexadecimal characters."""
    return PAT_PATTERN.fullmatch(value) is not None


def looks_like_project_key(value: str) -> bool:
    """True for a plausible project access key (``sk_proj_`` and a key body)."""
    return PROJECT_KEY_PATTERN.fullmatch(value) is not None
