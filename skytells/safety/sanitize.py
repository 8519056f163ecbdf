"""Neutralise text that came from a server or a file before it reaches the terminal."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

# C0/C1 controls (ESC, CR, LF, BEL, ...) and every Unicode Bidi_Control character (marks, overrides, isolates).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: The longest cell a display command shows.
CELL_LIMIT = 4096
# What stays live inside a double-quoted shell word besides '"' (which cliff's shell formatter escapes itself).
_SHELL_LIVE = re.compile(r"[\\$`]")


def terminal_safe(text: object, limit: int = 300) -> str:
    """Return ``text`` with control and bidi characters replaced, cut to ``limit`` characters."""
    cleaned = _UNSAFE.sub("\N{REPLACEMENT CHARACTER}", unicodedata.normalize("NFC", str(text)))
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def has_controls(text: str) -> bool:
    """True when ``text`` holds a control or bidi character (what :func:`terminal_safe` replaces)."""
    return _UNSAFE.search(text) is not None


def displayable(value: Any, *, shell: bool = False) -> Any:
    """``value`` (a cell, a row or rows, nested lists and mappings) with every string made terminal-safe.

    Display commands pass their columns and data through this before any
    formatter sees them, so table, value, csv, json, yaml and shell output
    alike are free of control characters; JSON and YAML then quote the
    cleaned text as usual. With ``shell`` (cliff's ``-f shell``, meant for
    ``eval``), backslash, ``$`` and backquote are escaped too, so a value
    stays a literal inside the formatter's double quotes. Other values
    (numbers, None) pass unchanged.
    """
    if isinstance(value, str):
        safe = terminal_safe(value, CELL_LIMIT)
        return _SHELL_LIVE.sub(lambda found: "\\" + found.group(), safe) if shell else safe
    if isinstance(value, Mapping):
        return {displayable(k, shell=shell): displayable(v, shell=shell) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(displayable(item, shell=shell) for item in value)
    if isinstance(value, list | Iterator):
        return [displayable(item, shell=shell) for item in value]
    return value
