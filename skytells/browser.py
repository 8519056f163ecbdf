"""Opening the verification page in a browser, only when that is safe and useful."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit

from skytells.http import is_loopback
from skytells.sanitize import terminal_safe


def safe_to_open(url: str) -> bool:
    """True for https URLs, and http URLs on loopback (the local sandbox), free of control characters."""
    if terminal_safe(url, len(url) + 1) != url or any(c.isspace() for c in url):
        return False
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and is_loopback(parts.hostname or ""))


def has_display() -> bool:
    """True when a graphical browser could appear (or the user set ``$BROWSER``)."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_browser(url: str) -> bool:
    """Ask the system to open ``url``; True when a browser accepted it."""
    import webbrowser

    try:
        return bool(webbrowser.open(url, new=2))
    except Exception:  # webbrowser raises assorted errors on broken setups
        return False
