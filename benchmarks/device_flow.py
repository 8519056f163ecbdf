"""How quickly ``skytells login`` finishes after the browser approves, and how many connections it opens.

Starts the sandbox in this process (``skytells_sandbox.server.Sandbox``) with
each polling interval asked for, runs ``skytells login --no-browser`` as a
subprocess with an isolated home, approves the request through the sandbox at
a random moment, and reports the time from approval to the process's exit and
the TCP connections the sandbox accepted for the whole login (device code
request and every poll). It prints figures; it never passes or fails.

    python benchmarks/device_flow.py [--intervals 1 2] [--logins 7] [--quick] [--skytells PATH]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import isolated_env, machine
from skytells_sandbox.server import Sandbox

TIMEOUT = 60.0


def one_login(sandbox: Sandbox, skytells: Path, interval: float, chance: random.Random) -> tuple[float, int, int]:
    """(seconds from approval to exit, connections accepted, polls) for one login."""
    with tempfile.TemporaryDirectory(prefix="skytells-device-bench-") as home:
        env = isolated_env(Path(home), SKYTELLS_API_URL=sandbox.url)
        before = sandbox.connections_accepted
        process = subprocess.Popen([str(skytells), "login", "--no-browser"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            user_code = sandbox.wait_for_device_request(timeout=TIMEOUT)
            time.sleep(chance.uniform(0.0, 2 * interval))  # the person approves at any moment
            sandbox.approve(user_code)
            approved = time.perf_counter()
            _stdout, stderr = process.communicate(timeout=TIMEOUT)
            finished = time.perf_counter()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        if process.returncode != 0 or not (Path(home) / ".config" / "skytells" / "credentials.json").exists():
            sys.exit(f"error: login exited with {process.returncode}:\n{stderr.decode(errors='replace')}")
        return finished - approved, sandbox.connections_accepted - before, sandbox.device_request(user_code).polls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--intervals", type=int, nargs="+", default=[1, 2], help="polling intervals, seconds")
    parser.add_argument("--logins", type=int, help="logins per interval (default 7)")
    parser.add_argument("--quick", action="store_true", help="3 logins per interval")
    parser.add_argument("--skytells", type=Path, default=Path(sys.executable).parent / "skytells",
                        help="the executable to run (default: the one next to this Python)")
    options = parser.parse_args()
    logins = options.logins or (3 if options.quick else 7)
    chance = random.Random(8628)

    lines = [
        f"Machine: {machine()}",
        f"Each row: {logins} logins with `skytells login --no-browser` against the sandbox on 127.0.0.1, "
        "approved at a random moment.",
        "",
        "| interval s | median approval-to-exit s | max s | max minus interval s | "
        "TCP connections per login | polls per login (median) |",
        "| ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for interval in options.intervals:
        latencies, connections, polls = [], [], []
        with Sandbox(interval=interval) as sandbox:
            for _ in range(logins):
                latency, accepted, polled = one_login(sandbox, options.skytells, interval, chance)
                latencies.append(latency)
                connections.append(accepted)
                polls.append(polled)
                print(f"interval {interval}s: {latency:.3f} s after approval, {accepted} connection(s), "
                      f"{polled} poll(s)", file=sys.stderr, flush=True)
        median = statistics.median(latencies)
        counts = ", ".join(str(n) for n in sorted(set(connections)))
        lines.append(f"| {interval} | {median:.3f} | {max(latencies):.3f} | {max(latencies) - interval:+.3f} | "
                     f"{counts} | {statistics.median(polls):g} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
