"""The secret canary: every command, plain and with --debug and --log-file, run against a sandbox.

:func:`secret_canary` runs the whole sequence in a world and reports every
secret it handled and every place one of them showed up. The test asserts
there are none; ``benchmarks/stress.py`` counts them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from reliability_support import Run, World, fake_pat
from skytells_sandbox.server import Sandbox

from skytells.testing import wait_for_polls

DEBUG = ("--debug", "-vv")


@dataclass
class CanaryReport:
    """What the canary run handled and found."""

    commands: int = 0
    secrets: set[str] = field(default_factory=set)
    #: Runs that ended with another exit code than expected, or with a traceback without --debug.
    unexpected: list[str] = field(default_factory=list)
    #: Where a secret (or a 12-character piece of one) showed up.
    found: list[str] = field(default_factory=list)
    #: Texts searched: output channels, log files and other files.
    searched: int = 0
    token_runs: set[int] = field(default_factory=set)


def _device_login(world: World, sandbox: Sandbox, *extra: str) -> Run:
    process = world.start(*extra, "login", "--no-browser", "-f")
    user_code = sandbox.wait_for_device_request(timeout=30)
    wait_for_polls(sandbox, user_code, 1, timeout=30)
    sandbox.approve(user_code)
    return process.finish()


def secret_canary(world: World, sandbox: Sandbox) -> CanaryReport:
    """Run every command (successes, failures, environment credentials) plain and with --debug --log-file."""
    canary = world.canary  # it also takes in every secret stored after each run
    report = CanaryReport(secrets=canary.secrets)
    secret = canary.secret
    log_dir = world.root / "logs"
    log_dir.mkdir(exist_ok=True)

    def check(run: Run, code: int) -> None:
        report.commands += 1
        if run.code != code or ("--debug" not in run.args and "Traceback" in run.output):
            report.unexpected.append(f"{run} (expected {code})")

    for variant, options in (("plain", ()), ("debug", DEBUG)):
        log = log_dir / f"{variant}.log"
        world.log_files.append(log)
        flags = (*options, "--log-file", str(log)) if options else ()
        work = (*flags, "--profile", "work")
        revoked = secret(sandbox.issue_token())
        sandbox.revoke(revoked)
        key = secret(sandbox.issue_project_key())
        work_token = secret(sandbox.issue_token())
        typed = secret("tk-" + secrets.token_urlsafe(24))  # an opaque secret typed where it does not belong
        steps: list[tuple[tuple[str, ...], str | None, dict[str, str] | None, int]] = [
            ((*work, "login", "--token"), work_token, None, 0),
            ((*flags, "whoami"), None, None, 0),
            ((*flags, "whoami", "-f", "json"), None, None, 0),
            ((*flags, "whoami", "-f", "yaml"), None, None, 0),
            ((*flags, "whoami", "-f", "shell"), None, None, 0),
            ((*flags, "whoami", "-f", "value"), None, None, 0),
            ((*work, "whoami", "--json"), None, None, 0),
            ((*flags, "whoami", "--offline"), None, None, 0),
            ((*flags, "link", "-"), key, None, 0),
            ((*work, "link", secret(sandbox.issue_project_key())), None, None, 0),
            ((*flags, "api-key", "set"), secret(sandbox.issue_api_key()), None, 0),
            ((*flags, "api-key", "status"), None, None, 0),
            ((*flags, "api-key", "status", "-f", "json"), None, None, 0),
            ((*flags, "api-key", "rm"), None, None, 0),
            ((*work, "api-key", "set"), secret(sandbox.issue_api_key()), None, 0),
            ((*flags, "auth", "status"), None, None, 0),
            ((*flags, "auth", "status", "-f", "json"), None, None, 0),
            ((*flags, "auth", "status", "--offline", "-f", "yaml"), None, None, 0),
            ((*flags, "auth", "token"), None, None, 0),
            ((*work, "auth", "token"), None, None, 0),
            ((*flags, "auth", "switch", "work"), None, None, 0),
            ((*flags, "auth", "switch", "default"), None, None, 0),
            ((*flags, "auth", "doctor"), None, None, 0),
            ((*flags, "auth", "doctor", "-f", "json"), None, None, 0),
            ((*flags, "help"), None, None, 0),
            ((*flags, "help", "login"), None, None, 0),
            ((*flags, "login", "--help"), None, None, 0),
            # Failures, where messages and --debug tracebacks are most tempted to quote what they got.
            ((*flags, "login", "--token"), revoked, None, 4),
            ((*flags, "login", "--token", secret(fake_pat())), None, None, 2),
            ((*flags, "login", "--token"), "sk_proj_" + "5" * 48, None, 2),
            ((*flags, "link", "-"), secret("sk_proj_" + "6" * 48), None, 4),
            ((*flags, "link", "-"), secret(fake_pat()), None, 2),
            ((*flags, "api-key", "set"), secret("sbx_key_" + "7" * 48), None, 4),
            ((*flags, "api-key", "set"), secret(fake_pat()), None, 2),
            ((*flags, "--profile", "none", "auth", "token"), None, None, 4),
            ((*flags, "auth", "switch", secret(fake_pat())[:60]), None, None, 2),
            ((*flags, "--profile", secret(fake_pat())[:64], "whoami"), None, None, 2),
            ((*flags, secret(fake_pat())), None, None, 2),
            # Values in the wrong place: refused by argparse, or by the command, which quotes what it refused.
            ((*flags, "api-key", "set", typed), None, None, 2),
            ((*flags, "login", "--token", typed), None, None, 2),
            ((*flags, "whoami", "-f", typed), None, None, 2),
            ((*flags, "whoami", "--max-width", typed), None, None, 2),
            ((*flags, "login", "--scopes", work_token), None, None, 2),
            ((*flags, "login", "--method", work_token), None, None, 2),
            ((*flags, "help", work_token), None, None, 2),
            ((*flags, "whoami", "-c", work_token), None, None, 2),  # an unknown column is a usage error
            # Credentials from the environment.
            ((*flags, "whoami"), None, {"SKYTELLS_TOKEN": secret(sandbox.issue_token())}, 0),
            ((*flags, "auth", "status"), None, {"SKYTELLS_TOKEN": secret(sandbox.issue_token())}, 0),
            ((*flags, "auth", "doctor", "--offline"), None, {"SKYTELLS_TOKEN": secret(fake_pat()),
                                                             "SKYTELLS_API_KEY": secret("sbx_key_" + "8" * 48)}, 0),
            ((*flags, "api-key", "status"), None, {"SKYTELLS_API_KEY": secret("sbx_key_" + "9" * 48)}, 0),
            ((*flags, "whoami"), None, {"SKYTELLS_ACCESS_KEY": secret(sandbox.issue_project_key())}, 0),
        ]
        check(_device_login(world, sandbox, *flags), 0)
        for args, stdin, env, code in steps:
            run = world.run(*args, input=stdin + "\n" if stdin else None, env=env)
            check(run, code)
            if args[-2:] == ("auth", "token"):
                report.token_runs.add(id(run))
        sandbox.revoke(world.read_credentials()["token"])
        check(world.run(*flags, "whoami"), 4)  # a refused token
        check(world.run(*flags, "logout", "--force"), 0)
        check(world.run(*work, "logout", "--force"), 0)

    canary.collect_sandbox(sandbox)
    texts = world.output_texts(exclude_stdout_of=lambda run: id(run) in report.token_runs)
    texts += world.stray_files()
    lock = world.config_dir / ".credentials.lock"
    if lock.exists():
        texts.append(("lock file", lock.read_text(errors="replace")))
    report.searched = len(texts)
    report.found = canary.leaks(texts)
    return report
