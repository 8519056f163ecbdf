"""Stress figures for the reliability and security promises (not part of the test run).

Runs, on 127.0.0.1 only and bounded in count and time:

1. every hostile answer of tests/reliability/reliability_catalogue.py against
   every endpoint it applies to, ``--rounds`` times, with the real CLI;
2. ``--writers`` processes x ``--updates`` read-modify-writes of one
   credentials file while it is read continuously, then a burst of
   concurrent ``skytells`` processes against the sandbox;
3. a SIGKILL at every step of a save (replacing a file, and the first save);
4. the secret canary: every command, plain and with ``--debug --log-file``;
5. hostile input: every hostile URL of tests/reliability/test_rel_urls.py in
   every setting that takes a URL (each host on loopback, around a socket that
   records any connection), every unusable kind of file at the credentials
   path against every command that reads it, and endless standard input to
   every command that reads a secret.

and prints one line of figures for each. Exit status 0 when every figure is
clean, 1 otherwise (the details are printed above the figures).

    python benchmarks/stress.py [--rounds 2] [--writers 50] [--updates 20]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reliability"))

from reliability_canary import secret_canary
from reliability_catalogue import SCENARIOS, cases, run_hostile
from reliability_support import World, concurrent_cli, crash_events, hammer_store, run_crash_point

# The stress runs are about real processes (hangs, kills, concurrency): none of them runs in this process.
World.in_process = False

OLD_DOCUMENT = json.dumps({"token": "sk_pat_" + "ab" * 32, "access_key": "sk_proj_" + "cd" * 24,
                           "created_at": 1_700_000_000_000, "other_tool": {"kept": True}}, indent=2).encode()
CHANGE = {"stress": "the new document"}


def hostile(root: Path, rounds: int) -> tuple[str, list[str]]:
    work = [(n, scenario, target) for n in range(rounds) for scenario, target in cases()]

    def one(item: tuple[int, object, object]) -> object:
        n, scenario, target = item
        return run_hostile(root / f"{n}-{target.name}-{SCENARIOS.index(scenario)}", scenario, target)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(one, work))
    tracebacks = sum("Traceback" in o.run.output for o in outcomes)
    hangs = sum(o.run.timed_out for o in outcomes)
    clean = sum(not o.problems for o in outcomes)
    other = len(outcomes) - clean - tracebacks - hangs
    details = [f"{o.scenario} / {o.target}: {'; '.join(o.problems)}" for o in outcomes if o.problems]
    kinds = len({o.scenario for o in outcomes})
    endpoints = len({o.target for o in outcomes})
    served = sum(o.served for o in outcomes)
    line = (f"{len(outcomes)} CLI runs against hostile servers ({kinds} kinds of answer at {endpoints} endpoints, "
            f"{rounds} rounds; {served} hostile responses served): {clean} clean errors, {tracebacks} tracebacks, "
            f"{hangs} hangs, {other} other problems")
    return line, details


def writers(root: Path, count: int, updates: int) -> tuple[str, list[str]]:
    lost, bad_reads, reads = hammer_store(root / "skytells", count, updates)
    line = (f"{count} writers x {updates} updates: {lost} lost; "
            f"{reads} concurrent reads, {bad_reads} of a partial or unreadable file")
    return line, []


def cli_burst(root: Path, profiles: int) -> tuple[str, list[str]]:
    from skytells_sandbox.server import Sandbox

    world = World(root)
    with Sandbox(port=0, interval=1) as sandbox:
        world.point_at(sandbox.url)
        world.env["SKYTELLS_AI_API_URL"] = sandbox.url + "/v1"
        outcome = concurrent_cli(world, sandbox, profiles)
    line = (f"{outcome.processes} concurrent skytells processes (login, link, api-key set, logout): "
            f"{len(outcome.lost)} updates lost, {len(outcome.failed)} failed, "
            f"{outcome.unreadable_reads} of {outcome.reads} reads unreadable")
    return line, outcome.failed + outcome.lost


def crashes(root: Path) -> tuple[str, list[str]]:
    outcomes = []
    for label, old in (("replace", OLD_DOCUMENT), ("first", None)):
        events = crash_events(root / f"{label}-count" / "skytells", old, CHANGE, root / f"{label}-events.json")

        def one(number: int, label: str = label, old: bytes | None = old, events: list[str] = events) -> object:
            return run_crash_point(root / f"{label}-{number}" / "skytells", old, CHANGE, number, events[number - 1])

        with ThreadPoolExecutor(max_workers=4) as pool:
            outcomes += list(pool.map(one, range(1, len(events) + 1)))
    unreadable = sum(o.state == "unreadable" for o in outcomes)
    not_killed = sum(not o.killed for o in outcomes)
    left = sum(o.temporaries_after_next_save for o in outcomes)
    failed_next = sum(not o.next_save_ok for o in outcomes)
    details = [f"killed at {o.event!r}: {o.state} {o.detail}" for o in outcomes
               if o.state == "unreadable" or not o.killed or o.temporaries_after_next_save or not o.next_save_ok]
    line = (f"{len(outcomes)} crash points injected (SIGKILL before and after every call of a save): "
            f"{unreadable} files unreadable, {failed_next} next saves failed, "
            f"{left} temporary files left after the next save"
            + (f", {not_killed} points not reached" if not_killed else ""))
    return line, details


def canary(root: Path) -> tuple[str, list[str]]:
    from skytells_sandbox.server import Sandbox

    world = World(root)
    with Sandbox(port=0, interval=1) as sandbox:
        world.point_at(sandbox.url)
        world.env["SKYTELLS_AI_API_URL"] = sandbox.url + "/v1"
        report = secret_canary(world, sandbox)
    line = (f"{len(report.found)} secrets found in outputs: {report.commands} commands (plain and --debug "
            f"--log-file), {len(report.secrets)} secrets, {report.searched} output channels, logs and files searched")
    return line, report.found + report.unexpected


#: Commands that read the store but need no server or input, for the special-file figures.
READING_COMMANDS = (("whoami", "--offline"), ("auth", "status", "--offline"), ("logout", "--force"),
                    ("api-key", "status"), ("auth", "doctor", "--offline"))
#: Commands that read one secret from standard input.
SECRET_READERS = (("login", "--token"), ("link", "-"), ("api-key", "set"))
ENDLESS_INPUT_BYTES = 32 * 1024 * 1024


def hostile_input(root: Path) -> tuple[str, list[str]]:
    from test_rel_special_files import UNUSABLE, prepare, snapshot
    from test_rel_urls import SETTINGS, Trap, _problems, trap_variants

    details: list[str] = []
    trap = Trap()
    trap_url = f"http://127.0.0.1:{trap.port}"
    urls = [(case, name, url) for case in SETTINGS for name, url in trap_variants(trap.port).items()]

    def one_url(item: tuple[int, tuple[str, str, str]]) -> list[str]:
        index, (case, name, url) = item
        setting, run_with, _chosen = SETTINGS[case]
        with World(root / f"url-{index}") as world:
            world.env.update({"SKYTELLS_API_URL": trap_url, "SKYTELLS_AI_API_URL": trap_url + "/v1"})
            return [f"{case} / {name}: {problem}" for problem in _problems(run_with(world, url), setting)]

    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            url_problems = list(pool.map(one_url, enumerate(urls)))
    finally:
        trap.stop()
    details += [problem for problems in url_problems for problem in problems]
    details += [f"a hostile URL reached the recording socket from {peer}" for peer in trap.connections]

    files = [(kind, make, args) for kind, (make, _says) in UNUSABLE.items() for args in READING_COMMANDS]

    def one_file(item: tuple[int, tuple[str, object, tuple[str, ...]]]) -> list[str]:
        index, (kind, make, args) = item
        with World(root / f"file-{index}") as world:
            prepare(world, "credentials.json", make)
            before = snapshot(world.config_dir)
            run = world.run(*args, timeout=20)
            problems = ["hang"] if run.timed_out else []
            problems += [f"exit {run.code}"] if run.code != 1 and not run.timed_out else []
            problems += ["traceback"] if "Traceback" in run.output else []
            problems += ["the files changed"] if snapshot(world.config_dir) != before else []
            return [f"{kind} / {' '.join(args)}: {problem}" for problem in problems]

    with ThreadPoolExecutor(max_workers=4) as pool:
        details += [problem for problems in pool.map(one_file, enumerate(files)) for problem in problems]

    endless = "A" * ENDLESS_INPUT_BYTES
    for args in SECRET_READERS:
        with World(root / "-".join(args)) as world:
            run = world.run(*args, input=endless, timeout=30)
            if run.timed_out or run.code != 2 or "Traceback" in run.output or world.credentials_path.exists():
                details.append(f"{' '.join(args)} with {ENDLESS_INPUT_BYTES >> 20} MiB on one line: {run}")
    runs = len(urls) + len(files) + len(SECRET_READERS)
    line = (f"{runs} CLI runs with hostile input ({len(urls)} hostile URLs in {len(SETTINGS)} settings, "
            f"{len(trap.connections)} connections made; {len(files)} unusable credentials paths "
            f"({len(UNUSABLE)} kinds x {len(READING_COMMANDS)} commands); {len(SECRET_READERS)} endless secrets "
            f"of {ENDLESS_INPUT_BYTES >> 20} MiB): {runs - len(details)} clean refusals, {len(details)} problems")
    return line, details


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, choices=range(1, 11), metavar="1-10",
                        help="times each hostile case is played (default 2)")
    parser.add_argument("--writers", type=int, default=50, choices=range(1, 201), metavar="1-200")
    parser.add_argument("--updates", type=int, default=20, choices=range(1, 201), metavar="1-200")
    parser.add_argument("--profiles", type=int, default=10, choices=range(1, 21), metavar="1-20",
                        help="profiles in the burst of concurrent CLI processes (5 processes each)")
    options = parser.parse_args()

    figures: list[str] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="skytells-stress-") as directory:
        root = Path(directory)
        sections = [
            ("hostile", lambda: hostile(root / "hostile", options.rounds)),
            ("writers", lambda: writers(root / "writers", options.writers, options.updates)),
            ("cli", lambda: cli_burst(root / "cli", options.profiles)),
            ("crashes", lambda: crashes(root / "crashes")),
            ("canary", lambda: canary(root / "canary")),
            ("input", lambda: hostile_input(root / "input")),
        ]
        for name, section in sections:
            started = time.monotonic()
            line, details = section()
            figures.append(f"{line} [{time.monotonic() - started:.0f} s]")
            problems += [f"{name}: {detail}" for detail in details]
            print(figures[-1], flush=True)
    if problems:
        print("\nProblems:", *problems, sep="\n  ")
    print("\nFigures:", *figures, sep="\n  ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
