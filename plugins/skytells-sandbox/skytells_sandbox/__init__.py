"""A local stand-in for the Skytells console, for developing and demonstrating the CLI.

The server itself uses only the standard library. ``Sandbox`` and
``SandboxConfig`` are imported lazily so that loading the CLI commands stays
cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Sandbox", "SandboxConfig", "__version__"]

if TYPE_CHECKING:
    from skytells_sandbox.config import SandboxConfig
    from skytells_sandbox.server import Sandbox


def __getattr__(name: str) -> Any:
    if name == "Sandbox":
        from skytells_sandbox.server import Sandbox

        return Sandbox
    if name == "SandboxConfig":
        from skytells_sandbox.config import SandboxConfig

        return SandboxConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
