"""What the benchmarks share: the machine's description, isolated homes, timed child processes."""

from __future__ import annotations

import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

#: Variables of the caller's environment that would change what skytells does.
DROPPED_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")


def machine() -> str:
    """``nproc``, CPU model, Python version and kernel, on one line."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (f"nproc {cpus}, {model}, Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.system()} {platform.release()}")


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The caller's environment with a private home, config and cache, and no SKYTELLS_* settings."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("SKYTELLS_") and key not in DROPPED_VARIABLES}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        SKYTELLS_CONFIG_DIR=str(home / ".config" / "skytells"),
    )
    env.update(extra)
    return env


def write_credentials(home: Path) -> None:
    """A credentials file with a (made-up) personal access token, as ``skytells login`` leaves it."""
    directory = home / ".config" / "skytells"
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    path = directory / "credentials.json"
    document = {"token": "sk_pat_" + secrets.token_hex(32), "created_at": int(time.time() * 1000)}
    path.write_text(json.dumps(document))
    path.chmod(0o600)


@dataclass
class Sample:
    """One measured run of a child process."""

    wall: float
    cpu: float
    max_rss_kib: int
    returncode: int


# Runs in a separate, small interpreter: a child's peak RSS as wait4 reports it starts from the RSS of
# the process that spawned it, so the spawner must be smaller than anything it measures.
_SPAWNER = """
import json, os, sys, time
results = []
null = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
for argv, env in json.load(sys.stdin):
    started = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=null)
    _pid, status, usage = os.wait4(pid, 0)
    results.append([time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss,
                    os.waitstatus_to_exitcode(status)])
json.dump(results, sys.stdout)
"""


def run_measured(plan: list[tuple[list[str], dict[str, str]]]) -> list[Sample]:
    """Run each ``(argv, env)`` in turn, with no input and discarded output.

    Wall time around spawn and exit, CPU time (user + system) and peak RSS from ``wait4``.
    """
    done = subprocess.run([sys.executable, "-S", "-c", _SPAWNER], input=json.dumps(plan),
                          capture_output=True, text=True, check=True)
    return [Sample(*values) for values in json.loads(done.stdout)]


@dataclass
class Series:
    """Every sample of one command in one environment."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(s.wall for s in self.samples) * 1000

    @property
    def cpu_ms(self) -> float:
        return statistics.median(s.cpu for s in self.samples) * 1000

    @property
    def peak_mib(self) -> float:
        return max(s.max_rss_kib for s in self.samples) / 1024


def check_outside_tmp(path: Path) -> None:
    """Environments under /tmp are not representative (stevedore disables its cache there)."""
    if str(path.resolve()).startswith("/tmp"):
        sys.exit(f"error: {path} is under /tmp; choose a --workdir elsewhere.")
