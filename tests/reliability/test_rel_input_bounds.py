"""Input without end, without content, or cut short: every secret read is bounded and every refusal is clean.

``login --token``, ``link -`` and ``api-key set`` read one line of stdin
(a hidden prompt on a terminal) of at most 8192 characters. Whatever stdin
holds (``/dev/zero``, an endless pipe, a 100 MiB line, a line one character
too long, nothing, blanks, a closed descriptor) the command ends with exit 0
for a usable secret or exit 2 and one error line, its peak memory stays that
of an ordinary run, and a refused input leaves the store byte for byte. At a
hidden prompt on a real terminal, Ctrl-D cancels and an empty answer says
"Nothing entered." (exit 2); at a yes/no question Ctrl-D is a no.

A ``verification_uri_complete`` too long for a QR code does not stop
``login --qr``: a one-line note replaces the drawing and the login goes on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest
from reliability_support import PYTHON, HostileServer, World, device_answer, fake_device_code, json_reply
from skytells_sandbox.server import Sandbox

from skytells.terminal.ui import MAX_INPUT_LINE

MiB = 1024 * 1024
#: How much more memory than an ordinary refusal a run may use: far less than the 100 MiB line it is fed.
MEMORY_ALLOWANCE = 24 * MiB
#: Address space every run gets, so that a reader without a bound fails fast instead of filling the machine.
ADDRESS_SPACE = 1024 * MiB

# Runs a command under an address-space limit and writes the peak resident memory of everything it
# started (the command, and any generator feeding it) to the file named by argv[1].
MEASURED = f"""
import resource, subprocess, sys
resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))
code = subprocess.call(sys.argv[2:])
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
with open(sys.argv[1], "w") as out:
    out.write(str(peak * (1 if sys.platform == "darwin" else 1024)))
sys.exit(code if code >= 0 else 128 - code)
"""

# What a secret-reading command may be fed that never ends or never holds a usable line:
# the name, and the wrapper that feeds it (standard input of "$@").
ENDLESS_INPUTS = {
    "/dev/zero": 'exec "$@" </dev/zero',
    "an endless line from a pipe": """tr '\\0' k </dev/zero 2>/dev/null | "$@\"""",
    "endless lines from a pipe": 'yes "not a credential" 2>/dev/null | "$@"',
    "a 100 MiB line": """head -c 104857600 /dev/zero 2>/dev/null | tr '\\0' k 2>/dev/null | "$@\"""",
}
TOO_LONG = f"More than {MAX_INPUT_LINE} characters on one line of standard input: too long to be a credential."


class Command:
    """A command that reads a secret, and how to get a secret it accepts."""

    def __init__(self, args: tuple[str, ...], what: str, prompt: str, issue: Callable[[Sandbox], str],
                 field: str) -> None:
        self.args, self.what, self.prompt, self.issue, self.field = args, what, prompt, issue, field

    def __repr__(self) -> str:
        return " ".join(self.args)


COMMANDS = [
    Command(("login", "--token"), "personal access token", "Paste your personal access token",
            Sandbox.issue_token, "token"),
    Command(("link", "-"), "project access key", "Paste your project access key", Sandbox.issue_project_key,
            "access_key"),
    Command(("api-key", "set"), "API key", "Paste your API key", Sandbox.issue_api_key, "api_key"),
]


def _stored(world: World, sandbox: Sandbox) -> bytes:
    """A store holding a token, a project key and an API key, all from ``sandbox``."""
    return world.write_credentials({"token": sandbox.issue_token(), "access_key": sandbox.issue_project_key(),
                                    "api_key": sandbox.issue_api_key(), "created_at": 1_700_000_000_000,
                                    "meta": {"token": {"method": "token", "host": sandbox.url}}})


def _measured(world: World, tmp_path: Path, command: Command, *, shell: str | None = None,
              input: str | None = None, close_stdin: bool = False) -> tuple[object, int]:
    """Run ``command`` fed by ``shell`` (a wrapper script) or ``input``; the run and its peak memory."""
    peak_file = tmp_path / f"peak-{len(world.runs)}"
    prefix: tuple[str, ...] = (PYTHON, "-c", MEASURED, str(peak_file))
    if shell is not None:
        prefix += ("sh", "-c", shell, "sh")
    run = world.run(*command.args, input=input, close_stdin=close_stdin, prefix=prefix, timeout=60)
    assert not run.timed_out, run
    return run, int(peak_file.read_text())


def _assert_refused(world: World, sandbox: Sandbox, run, before: bytes, message: str) -> None:
    assert run.code == 2, run
    assert run.error_lines == [f"error: {message}"], run
    assert "Traceback" not in run.output, run
    assert world.credentials_bytes() == before
    assert sandbox.requests_seen == []  # nothing was sent anywhere to be checked


# -- stdin that never ends --------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
def test_endless_or_huge_stdin_is_refused_within_bounded_memory(rel_world: World, rel_sandbox: Sandbox,
                                                                tmp_path: Path, command: Command) -> None:
    before = _stored(rel_world, rel_sandbox)
    _, ordinary = _measured(rel_world, tmp_path, command, input="")  # an ordinary refusal: nothing on stdin
    for name, shell in ENDLESS_INPUTS.items():
        run, peak = _measured(rel_world, tmp_path, command, shell=shell)
        assert run.code == 2, (name, run)
        assert len(run.error_lines) == 1, (name, run)
        if name != "endless lines from a pipe":  # those are short lines, refused as badly formed
            assert run.error_lines == [f"error: {TOO_LONG}"], (name, run)
        assert "Traceback" not in run.output, (name, run)
        assert peak <= ordinary + MEMORY_ALLOWANCE, f"{name}: peak {peak // MiB} MiB, ordinary {ordinary // MiB} MiB"
        assert rel_world.credentials_bytes() == before, name
    assert rel_sandbox.requests_seen == []  # nothing was sent anywhere to be checked


# -- the length limit, exactly ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
@pytest.mark.parametrize(("length", "end"), [(MAX_INPUT_LINE - 1, "\n"), (MAX_INPUT_LINE, "\n"),
                                             (MAX_INPUT_LINE, "\r\n"), (MAX_INPUT_LINE, ""),
                                             (MAX_INPUT_LINE + 1, "\n"), (MAX_INPUT_LINE + 1, "")])
def test_a_secret_padded_to_the_limit_is_read_and_one_character_more_is_refused(
        rel_world: World, rel_sandbox: Sandbox, command: Command, length: int, end: str) -> None:
    before = _stored(rel_world, rel_sandbox)
    secret = command.issue(rel_sandbox)
    run = rel_world.run(*command.args, input=secret.rjust(length) + end, timeout=30)
    if length > MAX_INPUT_LINE:
        _assert_refused(rel_world, rel_sandbox, run, before, TOO_LONG)
        return
    assert run.code == 0, run
    assert rel_world.read_credentials()[command.field] == secret


# -- stdin with nothing usable, or cut short -------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
@pytest.mark.parametrize("stdin", ["", "\n", "\r\n", "   \t \n", " \n\n\n", "closed"])
def test_empty_blank_or_closed_stdin_is_refused_naming_what_was_expected(rel_world: World, rel_sandbox: Sandbox,
                                                                         command: Command, stdin: str) -> None:
    before = _stored(rel_world, rel_sandbox)
    closed = stdin == "closed"
    run = rel_world.run(*command.args, input=None if closed else stdin, close_stdin=closed, timeout=30)
    _assert_refused(rel_world, rel_sandbox, run, before, f"No {command.what} on standard input.")


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
def test_a_secret_without_a_line_end_is_read(rel_world: World, rel_sandbox: Sandbox, command: Command) -> None:
    secret = command.issue(rel_sandbox)
    run = rel_world.run(*command.args, input=secret, timeout=30)
    assert run.code == 0, run
    assert rel_world.read_credentials()[command.field] == secret


# -- a person at a terminal ------------------------------------------------------------------------------


def _at_the_prompt(world: World, args: tuple[str, ...], prompt: str, answer: Callable[[pexpect.spawn], None]):
    child = world.spawn(*args)
    try:
        child.expect_exact(prompt, timeout=20)
        answer(child)
        child.expect(pexpect.EOF, timeout=20)
    finally:
        child.close()
    return child.exitstatus, child.before or ""


ANSWERS: dict[str, Callable[[pexpect.spawn], None]] = {
    "Ctrl-D": lambda child: child.sendeof(),
    "Enter": lambda child: child.sendline(""),
    "blanks": lambda child: child.sendline(" \t  "),
}
SAID = {"Ctrl-D": "Cancelled at the prompt (end of input).", "Enter": "Nothing entered.",
        "blanks": "Nothing entered."}


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_nothing_typed_at_a_hidden_prompt_is_a_clean_exit_2(rel_world: World, rel_sandbox: Sandbox,
                                                            command: Command, answer: str) -> None:
    before = _stored(rel_world, rel_sandbox)
    args = (*command.args, "-f") if command.args[0] == "login" else command.args  # straight to the prompt
    status, shown = _at_the_prompt(rel_world, args, command.prompt + ": ", ANSWERS[answer])
    assert status == 2, shown
    errors = [line for line in shown.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {SAID[answer]}"], shown
    assert "Traceback" not in shown and "EOFError" not in shown
    assert rel_world.credentials_bytes() == before


@pytest.mark.parametrize(("args", "question"), [(("logout",), "Log out and remove the stored token"),
                                                (("login",), "Replace the stored token?"),
                                                (("login", "--token"), "Replace the stored token?")])
def test_ctrl_d_at_a_yes_no_question_is_a_no(rel_world: World, rel_sandbox: Sandbox, args: tuple[str, ...],
                                             question: str) -> None:
    before = _stored(rel_world, rel_sandbox)
    status, shown = _at_the_prompt(rel_world, args, question, ANSWERS["Ctrl-D"])
    assert status == 0, shown
    assert "Nothing changed." in shown
    assert "Traceback" not in shown and "error:" not in shown
    assert rel_world.credentials_bytes() == before


# -- a URL too long for a QR code --------------------------------------------------------------------------

QR_BLOCKS = frozenset("█▀▄ ")
TOO_LONG_FOR_QR = "(The authorization URL is too long for a QR code; open the URL below instead.)"


def _qr_drawn(stderr: str) -> bool:
    return sum(1 for line in stderr.splitlines() if line.strip() and set(line.strip()) <= QR_BLOCKS) >= 10


@pytest.mark.parametrize(("suffix", "note"), [
    ("x" * 3000, None),  # longer than any URL the CLI keeps: the QR code is of the plain verification URI
    ("x" * 1800, False),  # kept, and it fits
    # Not plain ASCII: the phishing guard refuses the login before anything is shown (one line, exit 1).
    ("\u20ac" * 900, "refused"),
])
def test_login_qr_goes_on_when_the_complete_url_is_too_long_for_a_qr_code(
        rel_world: World, rel_hostile: type[HostileServer], suffix: str, note: bool | str | None) -> None:
    server = rel_hostile()
    device_code = fake_device_code()
    complete = f"{server.url}/device?code=WDJB-MJHT&state={suffix}"
    server.set("/api/oauth/device", json_reply(200, device_answer(server, device_code,
                                                                  verification_uri_complete=complete)))
    server.set("/api/oauth/token", json_reply(200, {"access_token": "at_" + "7" * 40, "token_type": "Bearer"}))
    rel_world.point_at(server.url)

    run = rel_world.run("login", "--no-browser", "--qr", virtual_clock=True)

    if note == "refused":
        assert run.code == 1 and len(run.error_lines) == 1, run
        assert "not a plain https URL" in run.stderr and not _qr_drawn(run.stderr), run
        assert "WDJB-MJHT" not in run.stderr and "Traceback" not in run.output
        return
    assert run.code == 0, run
    assert "Authenticated successfully!" in run.stderr
    assert rel_world.read_credentials()["token"] == "at_" + "7" * 40
    assert "Traceback" not in run.output and not run.error_lines
    noted = TOO_LONG_FOR_QR in run.stderr
    assert noted != _qr_drawn(run.stderr), run  # one or the other, never neither nor both
    if note is not None:
        assert noted is note, run
    assert device_code not in run.output
