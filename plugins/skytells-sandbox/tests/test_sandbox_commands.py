"""The ``skytells sandbox`` and ``skytells sandbox demo`` commands."""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from skytells_sandbox.commands import Demo, Serve
from skytells_sandbox.demo import demo_environment, run_demo

# A stand-in for the real CLI: a device login with urllib, then whoami.
FAKE_CLI = textwrap.dedent(
    """
    import json, os, sys, urllib.request, urllib.error

    api = os.environ["SKYTELLS_API_URL"]
    config_dir = os.environ["SKYTELLS_CONFIG_DIR"]
    credentials = os.path.join(config_dir, "credentials.json")
    if any(n in os.environ for n in ("SKYTELLS_TOKEN", "SKYTELLS_ACCESS_KEY", "SKYTELLS_API_KEY")):
        sys.exit(3)
    if sys.stdin.read() != "":
        sys.exit(4)
    fail = os.environ.get("FAKE_CLI_FAIL", "")

    def call(method, path, body=None, token=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(api + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    command = sys.argv[1]
    if command == fail:
        sys.exit(7)
    if command == "login":
        assert sys.argv[2:] == ["--no-browser"], sys.argv
        request = {"client_name": "fake", "scopes": ["projects.read"]}
        status, flow = call("POST", "/api/oauth/device", request)
        print("code", flow["user_code"])
        status, answer = call("POST", "/api/oauth/token", {
            "device_code": flow["device_code"],
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        })
        if status != 200:
            sys.exit(5)
        with open(credentials, "w") as handle:
            json.dump({"token": answer["access_token"]}, handle)
        print("logged in; config dir", config_dir)
    elif command == "whoami":
        with open(credentials) as handle:
            token = json.load(handle)["token"]
        status, body = call("GET", "/api/v1/cli/projects", token=token)
        print("whoami", status, len(body["data"]), "projects")
        sys.exit(0 if status == 200 else 6)
    """
)


class FakeApp:
    """Just what a cliff command uses of its application here."""

    def __init__(self) -> None:
        self.stderr = io.StringIO()
        self.stdout = io.StringIO()


@pytest.fixture
def sandbox_fake_cli(tmp_path: Path) -> list[str]:
    script = tmp_path / "fake_skytells.py"
    script.write_text(FAKE_CLI)
    return [sys.executable, str(script)]


# Registration ---------------------------------------------------------------------


def test_entry_points_are_registered():
    found = {
        entry.name: entry.value
        for entry in importlib.metadata.entry_points(group="skytells.commands")
        if entry.value.startswith("skytells_sandbox.")
    }

    assert found == {
        "sandbox": "skytells_sandbox.commands:Serve",
        "sandbox_demo": "skytells_sandbox.commands:Demo",
    }


@pytest.mark.parametrize("command", [Serve, Demo])
def test_commands_have_a_one_line_summary(command):
    assert command.__doc__ and "\n" not in command.__doc__.strip()


def test_commands_module_does_not_load_the_server():
    code = (
        "import sys, skytells_sandbox.commands; "
        "print(sorted(m for m in sys.modules if m.startswith('skytells_sandbox')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert "skytells_sandbox.server" not in loaded.stdout
    assert "skytells_sandbox.commands" in loaded.stdout


# skytells sandbox -----------------------------------------------------------------


def test_serve_defaults():
    options = Serve(FakeApp(), None).get_parser("skytells sandbox").parse_args([])

    assert (options.port, options.interval, options.expires_in) == (8765, 5, 900)
    assert (options.auto_approve, options.dialect, options.slow_down) == (False, "console", 0)


def test_serve_parses_every_option():
    argv = ["--port", "0", "--interval", "1", "--expires-in", "60", "--auto-approve"]
    argv += ["--dialect", "rfc8628", "--slow-down", "2"]

    options = Serve(FakeApp(), None).get_parser("skytells sandbox").parse_args(argv)

    assert (options.port, options.interval, options.expires_in) == (0, 1, 60)
    assert (options.auto_approve, options.dialect, options.slow_down) == (True, "rfc8628", 2)


@pytest.mark.parametrize("argv", [["--dialect", "soap"], ["--port", "-1"], ["--interval", "x"]])
def test_serve_rejects_bad_values(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        Serve(FakeApp(), None).get_parser("skytells sandbox").parse_args(argv)

    assert stopped.value.code == 2


def test_serve_refuses_slow_down_in_the_console_dialect():
    app = FakeApp()
    command = Serve(app, None)
    options = command.get_parser("skytells sandbox").parse_args(["--slow-down", "2"])

    assert command.take_action(options) == 2
    assert "--slow-down needs --dialect rfc8628" in app.stderr.getvalue()


def test_serve_reports_a_taken_port():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        app = FakeApp()
        command = Serve(app, None)
        options = command.get_parser("skytells sandbox").parse_args(["--port", str(port)])

        assert command.take_action(options) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in app.stderr.getvalue()


def _inherit(disposition):
    """A preexec_fn giving the child SIGINT's ``disposition``, whatever the test runner's own is.

    ``SIG_IGN`` is what a shell gives a background job (``skytells sandbox &``).
    """
    return lambda: signal.signal(signal.SIGINT, disposition)


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize(
    "inherited", [signal.SIG_DFL, signal.SIG_IGN], ids=["sigint-default", "sigint-ignored"]
)
@pytest.mark.parametrize("program", ["command", "module"])
def test_foreground_server_runs_until_stopped(program, inherited, stop_signal, sandbox_process):
    server = sandbox_process(
        program, "--port", "0", "--auto-approve", preexec_fn=_inherit(inherited)
    )
    url = server.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert any(url in line and "auto-approve" in line for line in server.banner[:-1])
    token = requests.post(f"{url}/_sandbox/tokens", json={}, timeout=5).json()["token"]
    assert requests.get(f"{url}/api/v1/health", timeout=5).json() == {"status": "ok"}

    rest = server.stop(stop_signal)
    stdout = server.process.stdout.read()

    assert server.process.returncode == 0
    assert "stopped" in rest
    assert "GET /api/v1/health 200" in rest
    assert token not in rest and stdout == ""


QUIET_COMMAND_LINES = {
    "module --quiet": ("module", "--quiet"),
    "sandbox --quiet": ("command", "--quiet"),
    "sandbox -q": ("command", "-q"),
    "--quiet sandbox": ("skytells", "--quiet", "sandbox"),
}


@pytest.mark.parametrize(
    "command_line", QUIET_COMMAND_LINES.values(), ids=QUIET_COMMAND_LINES.keys()
)
def test_quiet_server_logs_no_requests(command_line, sandbox_process):
    program, *options = command_line
    server = sandbox_process(program, *options, "--port", "0")
    assert requests.get(f"{server.url}/api/v1/health", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/nowhere", timeout=5).status_code == 404

    rest = server.stop(signal.SIGTERM)

    assert server.process.returncode == 0
    assert any("listening on" in line for line in server.banner)
    assert rest == "Skytells sandbox stopped.\n"


@pytest.mark.parametrize("program", ["command", "module"])
def test_server_logs_each_request_without_quiet(program, sandbox_process):
    server = sandbox_process(program, "--port", "0")
    assert requests.get(f"{server.url}/api/v1/health?probe=1", timeout=5).status_code == 200
    assert requests.get(f"{server.url}/nowhere", timeout=5).status_code == 404

    rest = server.stop(signal.SIGTERM)

    assert rest == "GET /api/v1/health 200\nGET /nowhere 404\nSkytells sandbox stopped.\n"
    assert "probe" not in rest


# Test credentials -------------------------------------------------------------------

README = Path(__file__).resolve().parents[1] / "README.md"
MINT_COMMANDS = {
    "skytells login --token": 'curl -s -X POST "$SKYTELLS_API_URL/_sandbox/tokens"',
    "skytells link -": 'curl -s -X POST "$SKYTELLS_API_URL/_sandbox/project-keys"',
    "skytells api-key set": 'curl -s -X POST "$SKYTELLS_API_URL/_sandbox/api-keys"',
}


def readme_section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("program", ["command", "module"])
def test_help_says_how_to_get_test_credentials(program):
    argv = {"command": ["skytells", "sandbox"], "module": ["skytells_sandbox"]}[program]
    shown = subprocess.run(
        [sys.executable, "-m", *argv, "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "60"},
        check=True,
    ).stdout
    lines = [line.strip() for line in shown.splitlines()]

    assert any(line.startswith("Test credentials:") for line in lines)
    text = " ".join(lines)  # prose may wrap in a narrow terminal; a command to copy may not
    for command, mint in MINT_COMMANDS.items():
        assert mint in lines  # whole, on a line of its own, even in a narrow terminal
        assert f"for {command}:" in text, command
    assert "skytells login --token" in lines  # the end of the piped example
    assert 'See "Test credentials" in the skytells-sandbox README for all three.' in text


def test_readme_has_the_test_credentials_section_the_help_names():
    section = readme_section("Test credentials")

    for command, mint in MINT_COMMANDS.items():
        assert f"{mint} |" in section
        assert f"  {command}\n" in section


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_readme_test_credentials_commands_work(sandbox_server, tmp_path):
    cli = Path(sys.executable).with_name("skytells")
    if not cli.exists():
        pytest.skip("needs the skytells executable beside this Python")
    script = "\n".join(re.findall(r"```sh\n(.*?)```", readme_section("Test credentials"), re.S))
    env = {name: value for name, value in os.environ.items() if not name.startswith("SKYTELLS_")}
    env.update(
        PATH=f"{cli.parent}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(tmp_path),
        SKYTELLS_CONFIG_DIR=str(tmp_path / "config"),
        SKYTELLS_API_URL=sandbox_server.url,
        SKYTELLS_AI_API_URL=f"{sandbox_server.url}/v1",
    )

    ran = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
    )

    assert ran.returncode == 0, ran.stderr
    assert "Traceback" not in ran.stderr
    checked = [
        (seen.path, seen.header("Authorization") or seen.header("x-api-key") or "")
        for seen in sandbox_server.requests_seen
        if seen.method == "GET"
    ]
    wanted = {  # the check each command makes of the credential it was given
        "/api/v1/cli/projects": "Bearer sk_pat_",
        "/api/v1/cli/project": "Bearer sk_proj_",
        "/v1/models": "sbx_key_",
    }
    for path, prefix in wanted.items():
        assert any(p == path and c.startswith(prefix) for p, c in checked), (path, checked)


# skytells sandbox demo ------------------------------------------------------------


def test_demo_parser_has_keep():
    parser = Demo(FakeApp(), None).get_parser("skytells sandbox demo")

    assert parser.parse_args([]).keep is False
    assert parser.parse_args(["--keep"]).keep is True


def test_demo_environment_points_at_the_sandbox_without_credentials():
    base = {
        "PATH": "/bin",
        "SKYTELLS_TOKEN": "t",
        "SKYTELLS_ACCESS_KEY": "a",
        "SKYTELLS_API_KEY": "k",
    }

    env = demo_environment(base, "http://127.0.0.1:1", "/tmp/demo")

    assert env == {
        "PATH": "/bin",
        "SKYTELLS_API_URL": "http://127.0.0.1:1",
        "SKYTELLS_CONFIG_DIR": "/tmp/demo",
    }


def test_demo_logs_in_and_runs_whoami(sandbox_fake_cli, monkeypatch, capfd):
    monkeypatch.setenv("SKYTELLS_TOKEN", "sk_pat_" + "f" * 64)
    monkeypatch.setenv("SKYTELLS_API_KEY", "key")
    messages = io.StringIO()

    code = run_demo(messages, cli=sandbox_fake_cli)

    out = capfd.readouterr().out
    assert code == 0, out
    assert messages.getvalue().count("$ skytells") == 2
    assert "$ skytells login --no-browser\n" in messages.getvalue()
    assert "$ skytells whoami\n" in messages.getvalue()
    assert re.search(r"whoami 200 \d+ projects", out)
    config_dir = re.search(r"config dir (\S+)", out).group(1)
    assert not os.path.exists(config_dir)


def test_demo_stops_at_the_first_failure(sandbox_fake_cli, monkeypatch, capfd):
    monkeypatch.setenv("FAKE_CLI_FAIL", "login")
    messages = io.StringIO()

    code = run_demo(messages, cli=sandbox_fake_cli)

    assert code == 7
    assert "$ skytells whoami" not in messages.getvalue()


def test_demo_keep_leaves_the_config_directory(sandbox_fake_cli, capfd):
    messages = io.StringIO()

    code = run_demo(messages, keep=True, cli=sandbox_fake_cli)

    kept = re.search(r"Config directory kept at (\S+)", messages.getvalue()).group(1)
    try:
        assert code == 0
        credentials = json.loads(Path(kept, "credentials.json").read_text())
        assert credentials["token"].startswith("sk_pat_")
        assert oct(os.stat(kept).st_mode & 0o777) == "0o700"
    finally:
        shutil.rmtree(kept, ignore_errors=True)


def test_demo_reports_a_missing_cli(capfd):
    messages = io.StringIO()

    code = run_demo(messages, cli=["/nonexistent/skytells"])

    assert code == 127
    assert "cannot run `skytells login --no-browser`" in messages.getvalue()
