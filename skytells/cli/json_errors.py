"""Failures a program can read: one JSON error object on stdout when the command line asks for JSON.

With ``--json`` or ``-f json`` / ``--format json`` on the command line, a
run that fails prints exactly one object on standard output::

    {"error": {"reason": "not_logged_in", "message": "You are not logged in.",
               "hint": "Run skytells login (or set SKYTELLS_TOKEN).", "exit_code": 4}}

``reason`` is one of :data:`REASONS` (docs/errors.md), ``exit_code`` is the
process's exit status. The usual ``error:`` line still goes to stderr for the
person watching. The object is written through the process's stdout, so it
passes the redaction step like everything else; its strings are redacted
once more before they are encoded, and it is ASCII-only JSON, so no control
character or escape sequence reaches a terminal.

:class:`ErrorReport` is the one place a run's failure is recorded (the app
records each failure as it reports it) and, at the end of the run, written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any

from skytells.errors import SkytellsError
from skytells.exitcodes import ExitCode
from skytells.safety import redaction

#: Every reason an error object can carry: reason -> (exit code, meaning). Stable: reasons are only added.
REASONS: dict[str, tuple[int, str]] = {
    "usage": (ExitCode.USAGE, "A flag, an argument, a command name or typed input is wrong."),
    "non_interactive": (ExitCode.USAGE, "A question would have been asked, but the run is non-interactive "
                                        "(--non-interactive, SKYTELLS_NONINTERACTIVE, or no terminal); "
                                        "the hint names the flag that proceeds without it."),
    "cancelled": (ExitCode.USAGE, "The input ended at a prompt (Ctrl-D); nothing was done."),
    "auth": (ExitCode.AUTH, "A credential was refused or is invalid, or authentication failed."),
    "not_logged_in": (ExitCode.AUTH, "There is no credential to use: log in or set one in the environment."),
    "access_denied": (ExitCode.AUTH, "The authorization was denied in the browser."),
    "expired_token": (ExitCode.AUTH, "The device code or the token expired and cannot be renewed: log in again."),
    "network": (ExitCode.FAILURE, "The server could not be reached or did not answer in time."),
    "server": (ExitCode.FAILURE, "The server answered with something the CLI cannot use."),
    "api_status": (ExitCode.FAILURE, "An API answered a request with an error status other than 401 (skytells api, "
                                     "plugin commands); the message is the server's."),
    "store": (ExitCode.FAILURE, "The credential store cannot be read or written."),
    "plugin": (ExitCode.FAILURE, "An installed plugin is missing, broken or unusable."),
    "failure": (ExitCode.FAILURE, "Another failure a command reported (a plugin's own error)."),
    "interrupted": (ExitCode.INTERRUPTED, "Interrupted by Ctrl-C (SIGINT)."),
    "internal": (ExitCode.FAILURE, "An unexpected error inside the CLI or a plugin: a bug to report "
                                   "(run again with --debug for the traceback on stderr)."),
}

#: Exit statuses that get no error object: success, and a reader of stdout that went away.
NO_OBJECT = (ExitCode.OK, ExitCode.BROKEN_PIPE)


def wanted(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON: ``--json``, or a last ``-f``/``--format`` of ``json``.

    Read from the words as typed, so that a command line argparse refuses
    (a usage error) still gets its error as JSON. Words after ``--`` are
    arguments, not options.
    """
    json_switch, chosen = False, None
    words = list(argv)
    for index, word in enumerate(words):
        if word == "--":
            break
        following = words[index + 1] if index + 1 < len(words) else None
        if word == "--json":
            json_switch = True
        elif word in ("-f", "--format"):
            chosen = following
        elif word.startswith("--format="):
            chosen = word.partition("=")[2]
        elif word.startswith("-f") and not word.startswith("--"):
            chosen = word[2:]
    return json_switch or chosen == "json"


def reason_of(error: BaseException) -> str:
    """The documented reason of ``error``: its class's, else that of the nearest class of ``skytells.errors``."""
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    if not isinstance(error, SkytellsError):
        return "internal"
    for cls in type(error).__mro__:  # a plugin's own reason, not documented here, falls back to its base's
        reason = cls.__dict__.get("reason")
        if reason in REASONS and (cls is type(error) or cls.__module__ == "skytells.errors"):
            return str(reason)
    return "failure"


def error_object(error: BaseException, exit_code: int) -> dict[str, Any]:
    """The JSON error object for ``error`` ending the run with ``exit_code``; no traceback, redacted strings."""
    if isinstance(error, SkytellsError):
        message, hint = error.message, error.hint
    elif isinstance(error, KeyboardInterrupt):
        message, hint = "Interrupted.", None
    else:
        message, hint = f"{type(error).__name__}: {error}", "Run with --debug for details."
    return {"error": {
        "reason": reason_of(error),
        "message": redaction.redact(message, message=True),
        "hint": None if hint is None else redaction.redact(hint, message=True),
        "exit_code": int(exit_code),
    }}


class ErrorReport:
    """The failure of one run: recorded where it is reported, written as JSON at the end when wanted."""

    def __init__(self, wanted: bool = False) -> None:
        #: True when the command line asked for JSON (:func:`wanted`).
        self.wanted = wanted
        #: What ended the run: the first failure recorded.
        self.error: BaseException | None = None

    def answered(self) -> None:
        """The command reported its failure on stdout in its own JSON (login's final ``error`` event): the
        run's output stays one object per failure, so :meth:`finish` writes nothing more."""
        self.wanted = False

    def record(self, error: BaseException) -> None:
        """Remember ``error`` as the run's failure, unless one was recorded before (the first is the cause)."""
        if self.error is None:
            self.error = error

    def finish(self, exit_code: int, stdout: IO[str]) -> int:
        """Write the error object on ``stdout`` if JSON is wanted and the run failed; return ``exit_code``.

        A run that fails without recording a failure (a display command that
        printed its rows and then sets its exit status) has already answered
        on stdout: nothing more is written.
        """
        if self.wanted and self.error is not None and exit_code not in NO_OBJECT:
            stdout.write(json.dumps(error_object(self.error, exit_code), ensure_ascii=True) + "\n")
            stdout.flush()
        return exit_code
