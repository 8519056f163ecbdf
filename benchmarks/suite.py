"""How long the README's test command takes: the pytest part of ``tox`` (env ``py``), and optionally lint and type.

Runs, from the repository root and with this interpreter (whose environment
must hold what tox's ``py`` env installs), exactly the pytest command line of
``tox.ini`` (``pytest -n auto --dist loadgroup``), then prints its wall time,
the machine and its load, and pytest's summary line. ``--tox`` times the whole
``tox`` command instead (py, lint and type, as the README runs it);
``--pytest-args`` adds arguments (``-n 2``, ``-p no:randomly``, a subset).
It prints figures; it never passes or fails on time.

Recorded on the shared two-core machine (nproc 2, load average 3-8 from other
work), with ``-n 2``:

- before (every end-to-end and reliability run started the executable):
  25 min 50 s, 2845 passed, 2 failed, 31 skipped;
- after (``run`` in-process where a process is not the point, ``-n auto``):
  the whole ``tox`` (py, lint, type) in 8 min 9 s, exit status 0, at load
  average 3.8-7.5 (lint about 4 s and type about 22 s of it).

    python benchmarks/suite.py [--tox] [--pytest-args "..."]
"""

from __future__ import annotations

import argparse
import configparser
import os
import re
import shlex
import subprocess
import sys
import time

from benchlib import REPO, machine

#: pytest's last line ("12 passed, 1 skipped in 3.2s") and tox's result per env ("  py: OK (401.2 seconds)").
SUMMARY = re.compile(r"\b(passed|failed)\b.* in [0-9.]+s|^\s*[\w-]+: (OK|FAIL)")


def tox_pytest_arguments() -> list[str]:
    """The arguments tox.ini's ``py`` env gives pytest (``{posargs}`` left out)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(REPO / "tox.ini")
    command = config["testenv"]["commands"].strip().splitlines()[-1]
    words = shlex.split(command)
    assert words[0] == "pytest", f"tox.ini's command is not pytest: {command}"
    return [word for word in words[1:] if word != "{posargs}"]


def main() -> int:
    """Time the command; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tox", action="store_true", help="time the whole tox command (py, lint, type)")
    parser.add_argument("--pytest-args", default="", help="more pytest arguments, as one shell-quoted string")
    options = parser.parse_args()
    if options.tox:
        command = [sys.executable, "-m", "tox", *shlex.split(options.pytest_args and "-- " + options.pytest_args)]
    else:
        command = [sys.executable, "-m", "pytest", *tox_pytest_arguments(), "-q", *shlex.split(options.pytest_args)]
    print(machine())
    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print("$ " + shlex.join(command), flush=True)
    began = time.monotonic()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - began
    # pytest's last line ("N passed, M skipped in ..."), and under tox each env's "py: OK (... seconds)".
    summary = [line for line in done.stdout.splitlines() if SUMMARY.search(line)]
    print("\n".join(summary) if summary else done.stdout[-2000:])
    if done.returncode != 0:
        print(done.stdout[-5000:], done.stderr[-2000:], sep="\n")
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print(f"wall time: {elapsed:.1f} s ({int(elapsed // 60)} min {elapsed % 60:.0f} s), exit status {done.returncode}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
