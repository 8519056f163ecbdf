"""What every endpoint needs to know about the sandbox it belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from skytells_sandbox.config import SandboxConfig
from skytells_sandbox.state import SandboxState


@dataclass(frozen=True)
class Context:
    """The running sandbox as endpoints see it."""

    state: SandboxState
    url: str

    @property
    def config(self) -> SandboxConfig:
        """The sandbox configuration."""
        return self.state.config
