"""The secret canary with --debug and --log-file, and the one-command demo.

Every e2e test already ends with the canary (see conftest.py); here the CLI
runs with --debug, high verbosity and a log file, on success and failure
paths, so that logs and tracebacks are searched too.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest

DEBUG = ("--debug", "-vv")


def _log(e2e, name: str) -> Path:
    path = e2e.root / f"{name}.log"
    e2e.log_files.append(path)
    return path


def test_debug_runs_and_log_files_never_contain_a_secret(e2e):
    device_log = _log(e2e, "login")
    process = e2e.start(*DEBUG, "--log-file", str(device_log), "login")
    user_code = e2e.wait_for_code()
    e2e.wait_for_polls(user_code, 1)
    e2e.sandbox.approve(user_code)
    assert process.finish().code == 0

    key = e2e.issue_project_key()
    other_log = _log(e2e, "others")
    for args, stdin in [(("link", "-"), key), (("whoami",), None), (("whoami", "-f", "json"), None),
                        (("logout", "--force"), None)]:
        result = e2e.run(*DEBUG, "--log-file", str(other_log), *args, input=stdin)
        assert result.code == 0, result

    assert "POST /api/oauth/token" in device_log.read_text()  # the log really has the traffic
    assert "GET /api/v1/cli/project" in other_log.read_text()
    assert e2e.read_credentials()["access_key"] == key
    e2e.check_canary()


def test_failures_with_debug_show_tracebacks_without_secrets(e2e):
    log = _log(e2e, "failures")
    revoked = e2e.issue_token()
    e2e.sandbox.revoke(revoked)
    refused_key = e2e.secret("sk_proj_" + secrets.token_hex(24))
    bad_token = e2e.secret("sk_pat_" + "q" * 64)
    runs = [
        (("login", "--token"), revoked, 4),
        (("login", "--token"), bad_token, 2),
        (("link", "-"), refused_key, 4),
        (("link", refused_key), None, 4),
        (("login", "--token", revoked), None, 2),
    ]
    for args, stdin, code in runs:
        result = e2e.run(*DEBUG, "--log-file", str(log), *args, input=stdin)
        assert result.code == code, result

    denied = e2e.start(*DEBUG, "--log-file", str(log), "login")
    e2e.sandbox.deny(e2e.wait_for_code())
    assert denied.finish().code == 4

    assert "Traceback" in log.read_text()  # --debug really produced tracebacks to search
    assert not e2e.credentials_path.exists()
    e2e.check_canary()


def test_the_canary_catches_a_leak(e2e, tmp_path):
    other = type(e2e)(tmp_path / "leaky")
    token = other.secret("sk_pat_" + secrets.token_hex(32))
    other.record(("whoami",), f"token: {token[:19]}...\n")  # even a piece of one
    with pytest.raises(AssertionError, match="a secret"):
        other.check_canary()


def test_the_demo_logs_in_and_shows_a_valid_token(e2e):
    tmp = e2e.root / "tmp"
    tmp.mkdir()
    result = e2e.run("sandbox", "demo", "--keep", env={"TMPDIR": str(tmp)}, timeout=60)
    assert result.code == 0, result
    assert "$ skytells login --no-browser" in result.stderr
    assert "Authenticated successfully!" in result.stderr
    assert re.search(r"^\| token_status +\| valid +\|$", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^\| token +\| sk_pat_\*{8} +\|$", result.stdout, re.MULTILINE)
    kept = Path(re.search(r"Config directory kept at (\S+)", result.stderr).group(1))
    assert kept.parent == tmp
    e2e.credential_files.add(kept / "credentials.json")  # its token joins the canary's list
    assert (kept / "credentials.json").exists()
