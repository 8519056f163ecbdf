"""The cliff application: global options, logging, error reporting and exit codes.

Every failure of a run is recorded in the run's :class:`~skytells.cli.json_errors.ErrorReport`
where it is reported: a command's exception (``clean_up``), an argparse usage error (the
:class:`~skytells.cli.argument_errors.UsageExit` of a parser, in ``run``), a word that is not
a command and the app's own refusals (``refuse``).
``skytells.main`` writes it as one JSON object on stdout at the end when the command line
asked for JSON.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from cliff.app import App
from cliff.command import Command
from cliff.help import HelpExit

from skytells.cli.argument_errors import MaskingParser, UsageExit, guard, shown
from skytells.cli.command import instantiate
from skytells.cli.command_manager import LazyCommandManager
from skytells.cli.context import Context
from skytells.cli.groups import close_matches, refuse, run_group
from skytells.cli.help import print_command_list
from skytells.cli.json_errors import ErrorReport, wanted
from skytells.cli_version import __version__
from skytells.config import settings
from skytells.errors import SkytellsError, UsageError
from skytells.exitcodes import ExitCode
from skytells.safety import redaction
from skytells.safety.sanitize import terminal_safe
from skytells.safety.values import valid_profile_name
from skytells.terminal.streams import RedactingStream

DESCRIPTION = "Sign in to Skytells and manage the credentials of this machine."
#: The longest error or warning message shown (longer ones end with an ellipsis).
MESSAGE_LIMIT = 2000
#: What the global options do here; cliff's stock texts said otherwise (-q kept the device code, for one).
GLOBAL_OPTION_HELP = {
    "--version": "Show the version and exit.",
    "-v": "Show more: debug lines too, the HTTP requests included (repeatable).",
    "-q": "Show only what needs you: instructions such as the device code, warnings and errors; no progress, "
          "success or detail lines.",
    "--log-file": "Also append the log to FILE, redacted like all output (no secret is written).",
    "-h": "Show this help and exit.",
    "--debug": "Show tracebacks on errors (redacted too).",
}


def register_stored_secrets(context: Context) -> None:
    """Register the stored credentials, for a message shown before the command opened the store.

    A message can quote what the user typed (a stored token pasted after
    ``--scopes``) before the command read the store. A store that cannot
    be read is the command's to report, not this lookup's.
    """
    with contextlib.suppress(Exception):  # a store that cannot be read has nothing to mask
        context.store.load()  # the store registers what it holds


class ConsoleFormatter(logging.Formatter):
    """Plain info lines; "error:"/"warning:" prefixes; a --debug hint for unexpected errors.

    Tracebacks reach the console only with ``--debug`` (``show_tracebacks``);
    a ``--log-file`` keeps them whatever the console shows.
    """

    def __init__(self, fmt: str | None = None, *, show_tracebacks: bool = False) -> None:
        super().__init__(fmt)
        self.show_tracebacks = show_tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not self.show_tracebacks:
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        if record.levelno < logging.WARNING:
            return super().format(record)
        # Every error and warning passes here, a plugin's exception or a server's text included: its message
        # is made one terminal-safe line (a traceback after it, with --debug, keeps its lines).
        original = record.msg
        record = logging.makeLogRecord({**record.__dict__, "msg": terminal_safe(record.getMessage(), MESSAGE_LIMIT),
                                        "args": None})
        message = super().format(record)
        if record.levelno >= logging.ERROR:
            if isinstance(original, BaseException) and not isinstance(original, SkytellsError):
                # With --debug the traceback follows (exc_info): a hint to run with --debug would be noise.
                hint = "" if record.exc_info else " (run with --debug for details)"
                message = f"{terminal_safe(type(original).__name__, 80)}: {message}{hint}"
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


class RedactingFormatter(logging.Formatter):
    """Wraps a handler's formatter so that what it writes (message, traceback) passes the redaction step."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return redaction.redact(self.inner.format(record), message=True)


class SkytellsApp(App):
    """The ``skytells`` application."""

    NAME = "skytells"

    def __init__(self) -> None:
        super().__init__(DESCRIPTION, __version__, LazyCommandManager(), deferred_help=True)
        #: This run's failure, for the JSON error object (``skytells.cli.json_errors``); rebuilt by ``run``.
        self.error_report = ErrorReport()
        #: What commands share in this run; rebuilt from the global options once they are parsed.
        self.context = Context(stdin=self.stdin, stdout=self.stdout, stderr=self.stderr)

    def build_option_parser(self, description: str | None, version: str | None,
                            argparse_kwargs: dict[str, Any] | None = None) -> MaskingParser:
        # "skytells" also under ``python -m skytells``, where argv[0] is __main__.py.
        argparse_kwargs = {"prog": self.NAME, **(argparse_kwargs or {})}
        parser = guard(super().build_option_parser(description, version, argparse_kwargs))
        for action in parser._actions:
            for option in action.option_strings:
                if option in GLOBAL_OPTION_HELP:
                    action.help = GLOBAL_OPTION_HELP[option]
            if "--log-file" in action.option_strings:
                action.metavar = "FILE"
        parser.add_argument("--profile", metavar="NAME",
                            help="Use this credentials profile (default: $SKYTELLS_PROFILE, else the default profile).")
        parser.add_argument("--non-interactive", action="store_true",
                            help="Never ask a question: a command that would ask fails at once and names the flag "
                                 "to pass instead (also: SKYTELLS_NONINTERACTIVE=1).")
        return parser

    def run(self, argv: list[str]) -> int:
        """Run the command line ``argv``; whether a failure is reported as JSON is decided here, once."""
        self.error_report = ErrorReport(wanted(argv))
        try:
            return int(super().run(argv))
        except UsageExit as refused:  # argparse's usage errors, the app's and the command's parsers' alike
            self.error_report.record(refused.error)
            raise

    def refuse(self, error: SkytellsError) -> int:
        """Report ``error`` outside a command: its ``error:`` line on stderr, recorded for JSON; its exit code."""
        self.stderr.write(f"error: {terminal_safe(error, MESSAGE_LIMIT)}\n")
        self.error_report.record(error)
        return int(error.exit_code)

    def initialize_app(self, argv: list[str]) -> None:
        for name in settings.CREDENTIAL_ENV:  # credentials of the environment are in play from the start
            settings.credential_from_env(name)
        redaction.REDACTOR.before_first_message(lambda: register_stored_secrets(self.context))
        if self.options.profile is not None:
            if not valid_profile_name(self.options.profile):
                raise SystemExit(self.refuse(UsageError("A profile name is 1-64 letters, digits, '-', '_' or '.'.")))
            if redaction.shaped_like_credential(self.options.profile):  # never saved as a profile name
                raise SystemExit(self.refuse(UsageError("--profile was given a credential, not a profile name.")))
        self.context = Context(stdin=self.stdin, stdout=self.stdout, stderr=self.stderr,
                               profile=self.options.profile, debug=bool(self.options.debug),
                               quiet=self.options.verbose_level == 0,
                               non_interactive=bool(self.options.non_interactive))

    def configure_logging(self) -> None:
        try:
            super().configure_logging()
        except OSError as error:  # cliff opens --log-file here: a missing directory, a file not ours to write
            reason = error.strerror or type(error).__name__
            path = terminal_safe(self.options.log_file, 200)
            raise SystemExit(self.refuse(UsageError(
                f"Cannot write the log file {path}: {reason}.",
                hint="Give --log-file a file in a directory that exists and that you can write."))) from None
        root = logging.getLogger()
        for handler in root.handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setFormatter(ConsoleFormatter(self.CONSOLE_MESSAGE_FORMAT,
                                                      show_tracebacks=bool(self.options.debug)))
            if not isinstance(getattr(handler, "stream", None), RedactingStream):  # the --log-file
                handler.setFormatter(RedactingFormatter(handler.formatter))
        # Third-party libraries' debug chatter (urllib3) only at -vv and above.
        if self.options.verbose_level < 2:
            logging.getLogger("urllib3").setLevel(logging.WARNING)

    def print_help_if_requested(self) -> None:
        if self.deferred_help and self.options.deferred_help:
            self.interact()

    def interact(self) -> None:
        """No interactive shell: with no command (or --help alone), show the global help and every command."""
        print_command_list(self, self.stdout)
        raise SystemExit(ExitCode.OK)

    def run_subcommand(self, argv: list[str]) -> int:
        """Run the command ``argv`` names, as cliff does, with a parser whose errors echo no value.

        A group's name alone lists its commands; a word that is no command is
        refused with the nearest names. A command that fails with a
        SkytellsError ends the run with that error's exit status.
        """
        try:
            factory, name, words = self.command_manager.find_command(argv)
        except ValueError:
            answered = run_group(self, argv)  # "skytells auth": the group's commands, not an error
            return self._unknown_command(argv) if answered is None else answered
        command = instantiate(factory, self, self.options, name)
        result = 1
        error: BaseException | None = None
        try:
            self.prepare_to_run_command(command)
            # argparse quotes rejected arguments in its errors; a token typed there must not be echoed.
            parsed = guard(command.get_parser(f"{self.NAME} {name}")).parse_args(words)
            result = command.run(parsed)
        except HelpExit:
            result = 0
        except BrokenPipeError as lost:  # as cliff: the reader went away, the run ends silently (exit 141)
            error = lost
            raise
        except Exception as failure:
            error = failure
            (self.LOG.exception if self.options.debug else self.LOG.error)(failure)
        except KeyboardInterrupt as interrupt:
            error = interrupt
            raise
        finally:
            self.clean_up(command, result, error)
        return int(error.exit_code) if isinstance(error, SkytellsError) else result

    def get_fuzzy_matches(self, cmd: str) -> list[str]:
        """Commands that start with ``cmd``, else the few whose name (or first word) is close to it."""
        names = sorted(name for name, _ in self.command_manager)
        starting = [name for name in names if name.startswith(cmd)]
        if starting:
            return starting
        close = set(close_matches(cmd, sorted({name.split()[0] for name in names} | set(names))))
        return [name for name in names if name in close or name.split()[0] in close]

    def _unknown_command(self, argv: list[str]) -> int:
        word = terminal_safe(shown(argv[0]), 60)
        return refuse(self, f"'{word}' is not a {self.NAME} command. See '{self.NAME} help'.",
                      self.get_fuzzy_matches(argv[0]) if not argv[0].startswith("-") else [])

    def clean_up(self, cmd: Command, result: int, err: BaseException | None) -> None:
        if err is not None:  # None after a usage error: run() records the parser's UsageExit
            self.error_report.record(err)
        if isinstance(err, KeyboardInterrupt):
            self.stderr.write("\nInterrupted.\n")
