"""The credential helpers of plugin interface version 1, kept for plugins written against them.

New code uses the run's context instead (``self.app.context``, see
``skytells.context``): ``context.credentials`` resolves, saves and refreshes
credentials for the chosen profile, and ``context.console()`` talks to the
console. ``open_store()`` and ``resolve()`` keep their documented meaning.
"""

from __future__ import annotations

from skytells.credential_service import ResolvedCredential, display_path, open_store, resolve

__all__ = ["ResolvedCredential", "display_path", "open_store", "resolve"]
