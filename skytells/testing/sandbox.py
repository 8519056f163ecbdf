"""Starting the Skytells console stand-in from skytells-sandbox, when it is installed."""

from __future__ import annotations

from typing import Any

SANDBOX_MISSING = "skytells-sandbox is not installed (pip install skytells-sandbox)"


def start_sandbox(**settings: Any) -> Any:
    """A started ``skytells_sandbox.server.Sandbox`` on a free loopback port.

    ``settings`` override fields of its ``SandboxConfig`` (``auto_approve``,
    ``interval``, ``dialect``, ...). Stop it with ``.stop()``. Raises
    ImportError with an install hint when skytells-sandbox is missing.
    """
    try:
        from skytells_sandbox.server import Sandbox
    except ImportError as error:
        raise ImportError(SANDBOX_MISSING) from error
    settings.setdefault("port", 0)
    return Sandbox(**settings).start()
