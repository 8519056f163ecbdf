"""The credential helpers of plugin interface version 1, kept for plugins written against them.

New code uses the run's context instead (``self.app.context``, see
``skytells.cli.context``): ``context.credentials`` resolves, saves and refreshes
credentials for the chosen profile, and ``context.console()`` talks to the
console. ``open_store()`` and ``resolve()`` keep their documented meaning.
"""

from __future__ import annotations

from skytells.cli.context import open_store
from skytells.credentials.service import ResolvedCredential, display_path, resolve

__all__ = ["ResolvedCredential", "display_path", "open_store", "resolve"]
