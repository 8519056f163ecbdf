"""Run a sandbox in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import TextIO

from skytells_sandbox.config import SandboxConfig

#: The signals that stop a sandbox running in the foreground (exit status 0).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_in_foreground(config: SandboxConfig, stream: TextIO) -> int:
    """Serve until interrupted; messages go to ``stream``. Returns the exit code."""
    from skytells_sandbox.server import Sandbox

    stopping = threading.Event()
    previous = _stop_on_signals(stopping)
    try:
        try:
            sandbox = Sandbox(config)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(f"error: cannot listen on {config.host}:{config.port}: {reason}", file=stream)
            if config.port:
                print("hint: pass --port 0 to pick a free port", file=stream)
            return 1
        with sandbox:
            mode = f"{config.dialect} dialect, interval {config.interval}s, "
            mode += f"codes expire in {config.expires_in}s"
            if config.auto_approve:
                mode += ", auto-approve"
            print(f"Skytells sandbox listening on {sandbox.url} ({mode})", file=stream)
            print(_oauth_summary(config), file=stream)
            print(f"export SKYTELLS_API_URL={sandbox.url}", file=stream)
            print(f"export SKYTELLS_AI_API_URL={sandbox.url}/v1", file=stream)
            print("Press Ctrl-C to stop.", file=stream)
            stream.flush()
            # A timed wait: the main thread runs the signal handlers between waits.
            while not stopping.wait(0.5):
                pass
    finally:
        _restore_handlers(previous)
    print("Skytells sandbox stopped.", file=stream)
    return 0


def _oauth_summary(config: SandboxConfig) -> str:
    discovery = []
    if config.oauth_metadata:
        discovery.append("RFC 8414 metadata")
    if config.oidc:
        discovery.append("OpenID Connect")
    found = " and ".join(discovery) or "no discovery"
    return (
        f"Standard OAuth: {found}, client id {', '.join(config.client_ids)}, "
        f"access tokens last {config.token_lifetime}s"
    )


def _stop_on_signals(stopping: threading.Event) -> dict[int, object]:
    """Make SIGINT and SIGTERM stop the server; return the handlers they replace.

    Both are handled here, whatever this process inherited: a shell starts
    background jobs with SIGINT ignored, and an ignored SIGINT would
    otherwise leave the server unstoppable by Ctrl-C or ``kill -INT``.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}

    def handle(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    return {number: signal.signal(number, handle) for number in STOP_SIGNALS}


def _restore_handlers(previous: dict[int, object]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)  # type: ignore[arg-type]
