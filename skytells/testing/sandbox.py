"""Starting the Skytells console stand-in from skytells-sandbox, when it is installed."""

from __future__ import annotations

import time
from typing import Any

SANDBOX_MISSING = "skytells-sandbox is not installed (pip install skytells-sandbox)"


def start_sandbox(**settings: Any) -> Any:
    """A started ``skytells_sandbox.server.Sandbox`` on a free loopback port.

    ``settings`` override fields of its ``SandboxConfig`` (``auto_approve``,
    ``interval``, ``dialect``, ...). Stop it with ``.stop()``. Raises
    ImportError with an install hint when skytells-sandbox is missing.
    """
    try:
        from skytells_sandbox.server import Sandbox  # noqa: PLC0415  # extension boundary: an optional test extra
    except ImportError as error:
        raise ImportError(SANDBOX_MISSING) from error
    settings.setdefault("port", 0)
    return Sandbox(**settings).start()


def wait_for_polls(sandbox: Any, user_code: str, polls: int = 1, timeout: float = 30.0) -> bool:
    """Block until the device request ``user_code`` was polled ``polls`` times; False if time runs out first."""
    deadline = time.monotonic() + timeout
    while sandbox.device_request(user_code).polls < polls:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
