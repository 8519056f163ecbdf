"""The one-command demo: log in against a throwaway sandbox, then run ``whoami``."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from typing import TextIO

from skytells_sandbox.config import SandboxConfig

CREDENTIAL_VARIABLES = ("SKYTELLS_TOKEN", "SKYTELLS_ACCESS_KEY", "SKYTELLS_API_KEY")
DEMO_STEPS: tuple[tuple[str, ...], ...] = (("login", "--no-browser"), ("whoami",))
STEP_TIMEOUT = 120.0
TIMEOUT_EXIT_CODE = 124
INTERRUPTED_EXIT_CODE = 130


def demo_environment(base: Mapping[str, str], url: str, config_dir: str) -> dict[str, str]:
    """``base`` pointed at the sandbox and a fresh config directory, without credentials."""
    env = {name: value for name, value in base.items() if name not in CREDENTIAL_VARIABLES}
    env["SKYTELLS_API_URL"] = url
    env["SKYTELLS_CONFIG_DIR"] = config_dir
    return env


def run_demo(
    stream: TextIO,
    *,
    keep: bool = False,
    cli: Sequence[str] = (sys.executable, "-m", "skytells"),
    timeout: float = STEP_TIMEOUT,
) -> int:
    """Run each demo step as a subprocess of ``cli``; return the first failing exit code or 0."""
    from skytells_sandbox.server import Sandbox

    config_dir = tempfile.mkdtemp(prefix="skytells-demo-")
    try:
        with Sandbox(SandboxConfig(port=0, interval=1, auto_approve=True)) as sandbox:
            print(
                f"Sandbox running at {sandbox.url} (device requests are auto-approved)", file=stream
            )
            env = demo_environment(os.environ, sandbox.url, config_dir)
            for step in DEMO_STEPS:
                code = _run_step(list(cli), step, env, stream, timeout)
                if code:
                    return code
        return 0
    except KeyboardInterrupt:
        return INTERRUPTED_EXIT_CODE
    finally:
        if keep:
            print(f"Config directory kept at {config_dir}", file=stream)
        else:
            shutil.rmtree(config_dir, ignore_errors=True)


def _run_step(
    cli: list[str], step: tuple[str, ...], env: dict[str, str], stream: TextIO, timeout: float
) -> int:
    shown = shlex.join(["skytells", *step])
    print(f"$ {shown}", file=stream)
    stream.flush()
    sys.stdout.flush()
    try:
        completed = subprocess.run(
            [*cli, *step], env=env, stdin=subprocess.DEVNULL, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        print(f"error: `{shown}` did not finish within {timeout:g} s", file=stream)
        return TIMEOUT_EXIT_CODE
    except OSError as exc:
        print(f"error: cannot run `{shown}`: {exc}", file=stream)
        return 127
    return completed.returncode
