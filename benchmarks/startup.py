"""How fast ``skytells`` starts, and how that changes as plugins and packages pile up.

Builds three virtual environments under ``--workdir`` (default ``.bench`` next
to the repository; never under /tmp) and reuses them on later runs:

- ``base``: skytells-cli and the skytells-sandbox plugin, installed from wheels
  built from this checkout (not editable);
- ``plugins500``: the same plus a generated plugin distribution with 500 commands;
- ``dists1000``: the same as ``base`` plus 1,000 generated distributions, each
  with one module and one entry point in a group skytells does not read.

Then it runs, in every environment and in a shuffled order each round,
``python -c pass``, the floor ``python -c "import cliff.app"``,
``skytells --version``, ``skytells help``, ``skytells whoami --offline`` and
``skytells auth token`` (with a credentials file holding a token that never
expires, in an isolated home), and prints medians, each command's ratio to
the floor (the median over the rounds of its time over the floor's time in
the same round: both ran side by side) and peak memory (from ``wait4``, the processes being spawned by a small
interpreter). Three more rows, in the base environment only, explain the
figures: the floor with the garbage-collector setting ``skytells.main`` uses
at start-up, ``--version`` through cliff, and ``whoami`` printing JSON
instead of drawing a table. Last, ``skytells help`` is timed right after an
install (its caches removed). It prints figures; it never passes or fails.

With ``--baseline REV`` (a commit, branch or tag), a fourth environment holds
skytells-cli and skytells-sandbox built from that revision, measured in the
same shuffled rounds, and a last table gives each command's median against
it: the ratio is the median of the per-round ratios, so a machine whose speed
drifts during the run affects both sides alike. Each side's ratio to its own
floor is shown there too.

``--base-only`` skips the two environments with many packages (and the
scaling table): a quicker answer to "how fast do the commands start".

    python benchmarks/startup.py [--quick] [--runs N] [--workdir DIR] [--rebuild] [--baseline REV] [--base-only]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

from benchlib import REPO, Series, check_outside_tmp, isolated_env, machine, run_measured, write_credentials

PLUGIN_COMMANDS = 500
COMMANDS_PER_MODULE = 50
DUMMY_DISTRIBUTIONS = 1000
GENERATOR_VERSION = "1"
#: skytells does not trust caches about files changed this recently (skytells.extensions.discovery.RACY_SECONDS).
QUIET_SECONDS = 2.5

ENVIRONMENTS = ("base", "plugins500", "dists1000")
#: The environment built from ``--baseline REV``.
BASELINE = "baseline"
#: key -> (how the table shows it, argv)
COMMANDS = {
    "pass": ("`python -c pass`", ["{python}", "-c", "pass"]),
    "floor": ('`python -c "import cliff.app"` (the floor)', ["{python}", "-c", "import cliff.app"]),
    "version": ("`skytells --version`", ["{skytells}", "--version"]),
    "help": ("`skytells help`", ["{skytells}", "help"]),
    "whoami": ("`skytells whoami --offline`", ["{skytells}", "whoami", "--offline"]),
    "token": ("`skytells auth token --no-check` (a stored token that never expires)",
              ["{skytells}", "auth", "token"]),
}
#: The commands that must start within 1.2 times the floor.
TARGETS = ("version", "help", "whoami", "token")
#: Not targets: shown to explain the figures above.
EXTRA_COMMANDS = {
    "floor-gc": ("`python -c \"import cliff.app\"` with skytells' start-up collector setting",
                 ["{python}", "-c", "import gc; gc.disable(); import cliff.app; gc.freeze(); gc.enable()"]),
    "version-cliff": ("`skytells -q --version` (through cliff)", ["{skytells}", "-q", "--version"]),
    "whoami-json": ("`skytells whoami --offline -f json` (JSON, no table drawn)",
                    ["{skytells}", "whoami", "--offline", "-f", "json"]),
}
ALL_COMMANDS = {**COMMANDS, **EXTRA_COMMANDS}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def pip(python: Path | str, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args], check=True)


# -- generated distributions ------------------------------------------------------------------


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(path: Path, name: str, version: str, files: dict[str, str], entry_points: str) -> Path:
    """A pure-Python wheel holding ``files`` (archive path -> text) and ``entry_points``."""
    dist_info = f"{name}-{version}.dist-info"
    contents = {arc: text.encode() for arc, text in files.items()}
    contents[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    contents[f"{dist_info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: startup.py\nRoot-Is-Purelib: true\n"
                                      b"Tag: py3-none-any\n")
    contents[f"{dist_info}/entry_points.txt"] = entry_points.encode()
    tops = sorted({arc.split("/", 1)[0].removesuffix(".py") for arc in files})
    contents[f"{dist_info}/top_level.txt"] = ("\n".join(tops) + "\n").encode()
    record = [_record_line(arc, data) for arc, data in contents.items()] + [f"{dist_info}/RECORD,,"]
    contents[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = path / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for arc, data in contents.items():
            archive.writestr(arc, data)
    return wheel


def plugin_wheel(directory: Path) -> Path:
    """skytells_bench_commands: 500 cliff commands (``bench 000`` ... ``bench 499``) in 10 modules."""
    files: dict[str, str] = {"skytells_bench_commands/__init__.py": '"""Generated commands for benchmarks."""\n'}
    lines = ["[skytells.commands]"]
    for module_number in range(PLUGIN_COMMANDS // COMMANDS_PER_MODULE):
        module = f"group_{module_number:02d}"
        source = ["from cliff.command import Command", ""]
        for offset in range(COMMANDS_PER_MODULE):
            number = module_number * COMMANDS_PER_MODULE + offset
            source += ["", f"class Bench{number:03d}(Command):", f'    """Generated command number {number}"""',
                       "", "    def take_action(self, parsed_args):",
                       f'        self.app.stdout.write("bench {number:03d}\\n")', ""]
            lines.append(f"bench_{number:03d} = skytells_bench_commands.{module}:Bench{number:03d}")
        files[f"skytells_bench_commands/{module}.py"] = "\n".join(source)
    return write_wheel(directory, "skytells_bench_commands", "1.0", files, "\n".join(lines) + "\n")


def dummy_wheels(directory: Path) -> list[Path]:
    """1,000 distributions, each with a module and an entry point in an unrelated group."""
    wheels = []
    for number in range(DUMMY_DISTRIBUTIONS):
        name = f"bench_dummy_{number:04d}"
        wheels.append(write_wheel(directory, name, "1.0", {f"{name}.py": "def main():\n    return 0\n"},
                                  f"[bench.dummy]\nplugin = {name}:main\n"))
    return wheels


# -- environments -----------------------------------------------------------------------------


def build_project_wheels(workdir: Path, source: Path = REPO, name: str = "wheels") -> list[Path]:
    wheels = workdir / name
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    log(f"building wheels of skytells-cli and skytells-sandbox from {source} ...")
    pip(sys.executable, "wheel", "--no-deps", "-w", str(wheels), str(source),
        str(source / "plugins" / "skytells-sandbox"))
    return sorted(wheels.glob("*.whl"))


def export_revision(workdir: Path, revision: str) -> Path:
    """The files of ``revision`` of this repository, in a fresh directory under ``workdir``."""
    source = workdir / "baseline-src"
    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    git = shutil.which("git") or sys.exit("error: --baseline needs git on PATH.")
    archive = subprocess.run([git, "-C", str(REPO), "archive", revision], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as files:
        files.extractall(source, filter="data")
    return source


def digest(paths: list[Path]) -> str:
    hasher = hashlib.sha256()
    for path in paths:
        with zipfile.ZipFile(path) as archive:  # wheel contents, not zip timestamps
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                hasher.update(info.filename.encode() + archive.read(info))
    return hasher.hexdigest()


def prepare(workdir: Path, name: str, project_wheels: list[Path], rebuild: bool) -> bool:
    """Create or update one environment; True if anything was installed."""
    venv = workdir / name
    stamp = venv / "bench-stamp.json"
    wanted = {"project": digest(project_wheels), "generator": GENERATOR_VERSION}
    current = json.loads(stamp.read_text()) if stamp.exists() else {}
    if current == wanted and not rebuild:
        return False
    if venv.exists() and (rebuild or current.get("generator") != GENERATOR_VERSION):
        shutil.rmtree(venv)
    python = venv / "bin" / "python"
    if not python.exists():
        log(f"creating {venv} ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip(python, "install", *map(str, project_wheels))
        extra = workdir / "generated" / name
        shutil.rmtree(extra, ignore_errors=True)
        extra.mkdir(parents=True)
        if name == "plugins500":
            log(f"installing a plugin with {PLUGIN_COMMANDS} commands into {name} ...")
            pip(python, "install", "--no-deps", "--no-index", str(plugin_wheel(extra)))
        elif name == "dists1000":
            log(f"installing {DUMMY_DISTRIBUTIONS} distributions into {name} (takes a while, once) ...")
            pip(python, "install", "--no-deps", "--no-index", *map(str, dummy_wheels(extra)))
        shutil.rmtree(extra)
    else:
        log(f"updating skytells in {venv} ...")
        pip(python, "install", "--no-deps", "--force-reinstall", *map(str, project_wheels))
    stamp.write_text(json.dumps(wanted))
    (venv / "home").mkdir(exist_ok=True)
    write_credentials(venv / "home")
    return True


def expected_output(venv: Path, key: str, stdout: str, returncode: int) -> str | None:
    """Why a warm-up run's output is wrong, or None."""
    if returncode != 0:
        return f"exit status {returncode}"
    if key == "version" and not stdout.startswith("skytells "):
        return "no version"
    if key == "help":
        wanted = ["sandbox", "whoami"] + (["bench 499"] if venv.name == "plugins500" else [])
        missing = [word for word in wanted if f"\n  {word} " not in stdout]
        if missing:
            return f"help lacks {missing}"
    if key == "whoami" and "sk_pat_" not in stdout:
        return "whoami shows no token"
    if key == "token" and not stdout.startswith("sk_pat_"):
        return "auth token prints no token"
    return None


def argv_for(venv: Path, key: str) -> list[str]:
    fill = {"python": str(venv / "bin" / "python"), "skytells": str(venv / "bin" / "skytells")}
    argv = [word.format(**fill) for word in ALL_COMMANDS[key][1]]
    # auth token now asks the server unless a recent answer is cached; --no-check is the local work an older
    # baseline did (it had no check, and no such option).
    return [*argv, "--no-check"] if key == "token" and venv.name != BASELINE else argv


def warm_up(venv: Path, env: dict[str, str]) -> None:
    """Run everything twice (filling skytells' caches) and check that the output is right."""
    for _ in range(2):
        for key in ALL_COMMANDS:
            done = subprocess.run(argv_for(venv, key), env=env, capture_output=True, text=True, check=False)
            problem = expected_output(venv, key.split("-")[0], done.stdout, done.returncode)
            if problem:
                sys.exit(f"error: {venv.name}: {ALL_COMMANDS[key][0]}: {problem}\n{done.stderr}")


# -- report -----------------------------------------------------------------------------------


def paired_ratio(results: dict[tuple[str, str], Series], key: str) -> float:
    """Median over the rounds of (this tree's run / the baseline's run) for ``key``."""
    pairs = zip(results["base", key].samples, results[BASELINE, key].samples, strict=True)
    return statistics.median(ours.wall / theirs.wall for ours, theirs in pairs)


def floor_ratio(results: dict[tuple[str, str], Series], env: str, key: str) -> float:
    """Median over the rounds of (``key``'s run / the floor's run in the same round), in ``env``."""
    pairs = zip(results[env, key].samples, results[env, "floor"].samples, strict=True)
    return statistics.median(run.wall / floor.wall for run, floor in pairs)


def baseline_report(results: dict[tuple[str, str], Series], revision: str) -> str:
    lines = [
        "",
        f"Against {revision} (built and measured the same way, in the same rounds):",
        "",
        f"| command | this tree, median ms | {revision}, median ms | ratio (median of per-round ratios) "
        f"| x floor, this tree / {revision} | peak RSS MiB, this tree / baseline |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, (label, _argv) in COMMANDS.items():
        ours, theirs = results["base", key], results[BASELINE, key]
        lines.append(f"| {label} | {ours.median_ms:.1f} | {theirs.median_ms:.1f} | {paired_ratio(results, key):.2f} "
                     f"| {floor_ratio(results, 'base', key):.2f} / {floor_ratio(results, BASELINE, key):.2f} "
                     f"| {ours.peak_mib:.1f} / {theirs.peak_mib:.1f} |")
    return "\n".join(lines)


def report(results: dict[tuple[str, str], Series], cold: dict[str, Series], runs: int, workdir: Path,
           environments: tuple[str, ...] = ENVIRONMENTS) -> str:
    base = {key: results["base", key] for key in COMMANDS}
    floor, bare = base["floor"].median_ms, base["pass"].median_ms
    versions = subprocess.run([str(workdir / "base" / "bin" / "python"), "-c",
                               "from importlib.metadata import version as v; "
                               "print(f\"skytells-cli {v('skytells-cli')}, cliff {v('cliff')}, "
                               "stevedore {v('stevedore')}\")"],
                              capture_output=True, text=True, check=True).stdout.strip()
    lines = [
        f"Machine: {machine()}",
        f"Environment: {versions}, skytells-sandbox plugin; non-editable install in a venv",
        f"Runs: {runs} per command and environment, every command and environment shuffled in each round",
        "",
        "| command | median ms | x floor (per round) | x floor (of medians) | x `python -c pass` | CPU ms "
        "| peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, (label, _argv) in ALL_COMMANDS.items():
        series = results["base", key]
        lines.append(f"| {label} | {series.median_ms:.1f} | {floor_ratio(results, 'base', key):.2f} | "
                     f"{series.median_ms / floor:.2f} | {series.median_ms / bare:.2f} | {series.cpu_ms:.1f} | "
                     f"{series.peak_mib:.1f} |")
    over = [ALL_COMMANDS[key][0] for key in TARGETS if floor_ratio(results, "base", key) > 1.2]
    lines += ["", "Within 1.2x the floor: " + ("all of " + ", ".join(ALL_COMMANDS[key][0] for key in TARGETS)
                                                if not over else "not " + ", ".join(over))]
    if environments == ENVIRONMENTS[:1]:
        return "\n".join(lines)
    lines += [
        "",
        "Scaling: each median divided by the same command's median in the environment without the extra",
        "packages (wall time; CPU time in parentheses).",
        "",
        f"| command | +{PLUGIN_COMMANDS} plugin commands | +{DUMMY_DISTRIBUTIONS:,} distributions |",
        "| --- | ---: | ---: |",
    ]
    for key, (label, _argv) in COMMANDS.items():
        cells = [f"{results[env, key].median_ms / base[key].median_ms:.2f} "
                 f"({results[env, key].cpu_ms / base[key].cpu_ms:.2f})" for env in ENVIRONMENTS[1:]]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    peaks = ", ".join(f"{env} {max(results[env, key].peak_mib for key in TARGETS):.1f}"
                      for env in ENVIRONMENTS)
    lines += ["", f"Peak RSS of the skytells commands, MiB: {peaks}"]
    if cold:
        cells = " | ".join(f"{cold[env].median_ms:.1f} ({cold[env].median_ms / results[env, 'help'].median_ms:.1f}x)"
                           for env in ENVIRONMENTS)
        lines += [
            "",
            "`skytells help` right after an install (skytells' caches removed before each run; "
            f"median of {len(cold['base'].samples)}), ms (x the warm run):",
            "",
            "| base | " + " | ".join(f"+{label}" for label in ("500 plugin commands", "1,000 distributions")) + " |",
            "| ---: | ---: | ---: |",
            f"| {cells} |",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--workdir", type=Path, default=REPO / ".bench",
                        help="where the environments live (default: .bench in the repository; not under /tmp)")
    parser.add_argument("--runs", type=int, help="runs of each command in each environment (default 21)")
    parser.add_argument("--quick", action="store_true", help="7 runs instead of 21")
    parser.add_argument("--rebuild", action="store_true", help="recreate the environments")
    parser.add_argument("--baseline", metavar="REV",
                        help="also measure skytells built from this git revision, side by side")
    parser.add_argument("--base-only", action="store_true",
                        help="only the base environment: no plugin of 500 commands, no 1,000 distributions")
    options = parser.parse_args()
    runs = options.runs or (7 if options.quick else 21)
    workdir = options.workdir.resolve()
    check_outside_tmp(workdir)
    workdir.mkdir(parents=True, exist_ok=True)

    project_wheels = build_project_wheels(workdir)
    measured = ENVIRONMENTS[:1] if options.base_only else ENVIRONMENTS
    changed = [prepare(workdir, name, project_wheels, options.rebuild) for name in measured]
    environments = measured
    if options.baseline:
        baseline_wheels = build_project_wheels(workdir, export_revision(workdir, options.baseline), "baseline-wheels")
        changed.append(prepare(workdir, BASELINE, baseline_wheels, options.rebuild))
        environments = (*measured, BASELINE)
    if any(changed):
        time.sleep(QUIET_SECONDS)  # let the caches be written, as on any machine some time after an install
    envs = {name: isolated_env(workdir / name / "home") for name in environments}
    for name in environments:
        warm_up(workdir / name, envs[name])

    order = [(env, key) for env in environments for key in COMMANDS]
    order += [("base", key) for key in EXTRA_COMMANDS]
    results = {pair: Series() for pair in order}
    shuffle = random.Random(4)
    log(f"measuring: {runs} rounds of {len(order)} runs ...")
    for _round in range(runs):
        shuffle.shuffle(order)
        samples = run_measured([(argv_for(workdir / env, key), envs[env]) for env, key in order])
        for (env, key), sample in zip(order, samples, strict=True):
            if sample.returncode != 0:
                sys.exit(f"error: {env}: {ALL_COMMANDS[key][0]} exited with {sample.returncode}")
            results[env, key].samples.append(sample)
    cold = {env: Series() for env in ENVIRONMENTS} if not options.base_only else {}
    for _round in range(max(3, runs // 3) if cold else 0):
        for env in ENVIRONMENTS:
            for name in ("entry-points.json", "command-summaries.json"):
                (workdir / env / "home" / ".cache" / "skytells" / name).unlink(missing_ok=True)
            cold[env].samples += run_measured([(argv_for(workdir / env, "help"), envs[env])])
    print(report(results, cold, runs, workdir, measured))
    if options.baseline:
        print(baseline_report(results, options.baseline))


if __name__ == "__main__":
    main()
