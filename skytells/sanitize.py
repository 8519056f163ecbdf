"""Neutralise text that came from a server before it reaches the terminal."""

from __future__ import annotations

import re
import unicodedata

# C0/C1 controls (ESC, CR, LF, BEL, ...) and every Unicode Bidi_Control character (marks, overrides, isolates).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: object, limit: int = 300) -> str:
    """Return ``text`` with control and bidi characters replaced, cut to ``limit`` characters."""
    cleaned = _UNSAFE.sub("\N{REPLACEMENT CHARACTER}", unicodedata.normalize("NFC", str(text)))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"
