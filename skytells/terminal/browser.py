"""Opening the verification page in a browser, only when that is safe and useful."""

from __future__ import annotations

import os
import sys
import webbrowser

from skytells.errors import UsageError
from skytells.safety.urls import parse_service_url


def safe_to_open(url: str) -> bool:
    """True when ``url`` passes the rule every request passes (https, or plain http to loopback; nothing
    ambiguous: no spaces, control characters, userinfo or fragment)."""
    try:
        parse_service_url(url, "the verification URL", endpoint=True)
    except UsageError:
        return False
    return True


def has_display() -> bool:
    """True when a graphical browser could appear (or the user set ``$BROWSER``)."""
    if os.environ.get("BROWSER"):
        return True
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def open_browser(url: str) -> bool:
    """Ask the system to open ``url``; True when a browser accepted it."""
    try:
        return bool(webbrowser.open(url, new=2))
    except Exception:  # webbrowser raises assorted errors on broken setups
        return False


def local_browser_problem() -> str | None:
    """Why no browser on this machine can reach the person at this terminal, or None when one can.

    ``$BROWSER`` is the user's word that one can. Otherwise an SSH session
    without a forwarded display has none (a browser would open, if at all, on
    the remote machine's own screen), nor has Linux without ``DISPLAY`` or
    ``WAYLAND_DISPLAY``.
    """
    if os.environ.get("BROWSER"):
        return None
    graphical = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if (os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY")) and not graphical:
        return "this is an SSH session without a display"
    if sys.platform in ("darwin", "win32") or graphical:
        return None
    return "there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set, nor BROWSER)"
