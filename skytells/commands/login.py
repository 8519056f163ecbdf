"""``skytells login``: one login, whatever the method, read in a straight line.

The command reads which method was chosen, builds it from its loader
(:mod:`skytells.login.interface`) and drives its steps: ``run`` in one
process, or ``start`` with ``--request`` and ``resume`` with ``--check``
(``--wait`` to keep polling), reporting every step as JSON lines with
``--json``. It knows no method: a method offers the steps it declares, and
asking for one it lacks is a usage error naming it.

Each login method owns its options. Parsing takes two steps: the first reads
only which method was chosen (``--method NAME``; ``--token`` is short for
``--method token``; else the default method), then only that method is imported
and its options join the parser. So ``login --token`` imports no other method,
two methods may declare the same flag (only one is active at a time), and an
option of another method is a usage error naming the method that owns it.
``login --help`` lists every method from the summary cache (see
``skytells.login.registry``) with the default method's options;
``login --method NAME --help`` shows NAME's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import autopage.argparse

from skytells.cli.argument_errors import guard
from skytells.cli.command import Command
from skytells.cli.json_errors import error_object
from skytells.cli_version import __version__
from skytells.config import settings
from skytells.config.scopes import DEFAULT_SCOPES, KNOWN_SCOPES, parse_scopes
from skytells.credentials.hints import command_for
from skytells.credentials.model import Credential, PendingLogin
from skytells.errors import AuthError, SkytellsError, UsageError
from skytells.exitcodes import ExitCode
from skytells.login import registry
from skytells.login.interface import (
    OPTION_FLAG,
    RESUME,
    START,
    EventSink,
    JsonObject,
    LoginMethod,
    LoginOption,
    LoginRun,
    MethodLoader,
    OptionValues,
    authenticated_event,
)
from skytells.safety.masking import mask
from skytells.safety.redaction import shaped_like_credential

TOKEN_METHOD = "token"
DEFAULT_METHOD = registry.DEFAULT


class _EpilogFormatter(argparse.HelpFormatter):
    """Keep the epilog's line breaks (it is a table of login methods)."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``skytells login`` whatever the method (``skytells.login.base.LOGIN_FLAGS``)."""
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--token", action="store_true",
                     help="Paste a personal access token instead of using the browser (short for --method token); "
                          "reads one line from stdin when it is not a terminal.")
    how.add_argument("--method", metavar="NAME",
                     help=f"Use the named login method (default: {DEFAULT_METHOD}; they are listed below).")
    parser.add_argument("--scopes", metavar="SCOPES",
                        help=f"Comma-separated scopes to request (default: {','.join(DEFAULT_SCOPES)}). "
                             f"Known scopes: {', '.join(KNOWN_SCOPES)}.")
    parser.add_argument("-f", "--force", action="store_true", help="Replace a stored token without asking.")
    steps = parser.add_argument_group("for programs (docs/automation.md)")
    steps.add_argument("--json", action="store_true",
                       help="Report the login on stdout as JSON lines, one event each.")
    steps.add_argument("--request", action="store_true",
                       help="Start a login and return at once, printing what a person must do as JSON; "
                            "finish it with --check. For methods that wait on a person.")
    steps.add_argument("--check", action="store_true",
                       help="Continue the login started by --request once: exit 0 when done (the token is "
                            "saved), 75 while pending, 4 when denied or expired.")
    steps.add_argument("--wait", action="store_true",
                       help="With --check: keep going until the login is done, denied or expired.")


def chosen_method(parsed: argparse.Namespace) -> str:
    """The method the common options chose."""
    if parsed.token:
        return TOKEN_METHOD
    return DEFAULT_METHOD if parsed.method is None else str(parsed.method)


class _Undecided(Exception):
    """The common options are wrong; the second step reports how."""


class _MethodChoice(argparse.ArgumentParser):
    """The first step: the common options alone, to learn which method was chosen."""

    def error(self, message: str) -> NoReturn:
        raise _Undecided(message)


def method_in(words: Sequence[str], prog: str) -> str:
    """Which method ``words`` choose; the default when the common options themselves are wrong."""
    parser = guard(_MethodChoice(prog=prog, add_help=False))
    add_common_options(parser)
    try:
        parsed, _rest = parser.parse_known_args(words)
    except _Undecided:
        return DEFAULT_METHOD
    return chosen_method(parsed)


def methods_listing() -> str:
    """The epilog of ``login --help``: every installed method, and how to see one's options."""
    listing = registry.descriptions()
    width = max(map(len, listing), default=0)
    lines = ["login methods:", *(f"  {name:<{width}}  {text}" for name, text in listing.items()), "",
             "'skytells login --method NAME --help' shows the options of method NAME. Each method has its own",
             "options (two methods may use the same name for theirs): only the chosen method's apply."]
    return "\n".join(lines) + "\n"


class LoginParser(autopage.argparse.ArgumentParser):
    """The common options of ``skytells login``, plus those of the one method chosen (added when known)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.method: str | None = None
        self.own_epilog = self.epilog

    def add_method_options(self, name: str) -> None:
        """Import method ``name`` and add its options (UsageError if not installed, BrokenPlugin if broken)."""
        cls, reason = registry.load(name)
        title = f"options of the {name!r} login method" + (" (the default)" if name == DEFAULT_METHOD else "")
        notes = [f"Unavailable here: {reason}" if reason else "",
                 "" if cls.options else "It has no options of its own."]
        group = self.add_argument_group(title, " ".join(filter(None, notes)).replace("%", "%%") or None)
        for option in cls.options:
            kwargs: dict[str, Any] = {"help": option.help.replace("%", "%%"), "dest": option.dest}
            if option.is_switch:
                kwargs["action"] = "store_true"
            else:
                kwargs["metavar"] = option.metavar or option.dest.upper()
            group.add_argument(option.flag, **kwargs)
        self.method = name

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        words = list(sys.argv[1:] if args is None else args)
        if self.method is None:
            self.add_method_options(method_in(words, self.prog))
        return super().parse_known_args(words, namespace)

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(self.unrecognized(extras))
        return parsed

    def unrecognized(self, extras: Sequence[str]) -> str:
        """The error for words no option took: an option of another method names the method that owns it.

        A credential given as an argument is refused without being shown, saying how to pass it safely.
        """
        if any(shaped_like_credential(word) for word in extras):
            raise UsageError("A token is never a command-line argument: it would stay in your shell history and "
                             "show in the process list.",
                             hint="Paste it at the prompt of skytells login --token, or pipe it: "
                                  "echo \"$SKYTELLS_PAT\" | skytells login --token")
        for word in extras:
            flag = word.partition("=")[0]
            owners = [name for name in registry.owners(flag) if name != self.method] \
                if OPTION_FLAG.fullmatch(flag) else []
            if owners:
                quoted = [repr(name) for name in owners]
                methods = " and ".join([", ".join(quoted[:-1]), quoted[-1]] if len(quoted) > 1 else quoted)
                kind = "methods" if len(owners) > 1 else "method"
                return f"{flag} is an option of the {methods} login {kind}, not of {self.method!r}"
        return f"unrecognized arguments: {' '.join(extras)}"

    def format_help(self) -> str:
        if self.method is None:
            self.add_method_options(DEFAULT_METHOD)
        self.epilog = "\n".join(filter(None, [methods_listing(), self.own_epilog]))
        return super().format_help()


class Login(Command):
    """Log in: approve a code in the browser (the default), paste a token, or use any installed method"""

    #: Set when a stored token is replaced without a question (no terminal): said once the new one is saved.
    replacing = False

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        # cliff's Command.get_parser, with the parser that adds the chosen method's options.
        parser = LoginParser(description=self.get_description(), epilog=self.get_epilog(), prog=prog_name,
                             formatter_class=_EpilogFormatter)
        add_common_options(parser)
        for hook in self._hooks:
            if hook.obj is not None:
                hook.obj.get_parser(parser)
        return parser

    def completion_parser(self, prog_name: str) -> argparse.ArgumentParser:
        """For ``skytells complete``: the common options, every installed method's own, and the methods' names."""
        parser = LoginParser(prog=prog_name, add_help=True)
        add_common_options(parser)
        names = list(registry.descriptions())
        for action in parser._actions:
            if "--method" in action.option_strings:
                action.choices = names
        seen = set(parser._option_string_actions)
        for name in names:
            try:
                loader, _reason = registry.load(name)
            except SkytellsError:  # a broken method: its name is still completed
                continue
            for option in loader.options:
                if option.flag not in seen:
                    seen.add(option.flag)
                    parser.add_argument(option.flag, action="store_true" if option.is_switch else "store",
                                        dest=f"completion_{len(seen)}", help=option.help)
        parser.method = "all"
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        scopes = parse_scopes(parsed_args.scopes)
        name = chosen_method(parsed_args)
        if parsed_args.check and parsed_args.method is None and not parsed_args.token:
            pending = self.context.credentials.pending_login()  # --check finishes what --request started
            name = (pending.method or DEFAULT_METHOD) if pending is not None else name
        loader = registry.get(name)
        # Bad option values stop here, before the store is opened.
        values = option_values(loader.options, parsed_args)
        steps = Steps.of(parsed_args, loader, non_interactive=self.context.non_interactive)
        try:
            method = loader().build(values)
            # Nothing is sent (a token checked, a code requested or redeemed) unless the result can be kept.
            self.context.credentials.ensure_writable()
            run = self.login_run(values, scopes, parsed_args, events=self.emit if steps.json else None)
            if steps.check:
                return self.check(name, method, run, wait=steps.wait, report=steps.json)
            if steps.request:
                return self.request(method, run, parsed_args)
            return self.log_in(method, run, parsed_args, report=steps.json)
        except (SkytellsError, KeyboardInterrupt) as error:
            self.name_the_profile(error)
            if steps.reports_errors:  # the final event; the app still reports it on stderr
                self.emit(error_event(error))
                report = getattr(self.app, "error_report", None)
                if report is not None:
                    report.answered()  # the event is the run's one error object
            raise

    def emit(self, event: JsonObject) -> None:
        """Write one JSON object as one line of stdout, at once (a program reads it as it comes)."""
        stdout = self.context.stdout
        stdout.write(json.dumps(event) + "\n")
        stdout.flush()

    def login_run(self, values: OptionValues, scopes: tuple[str, ...], parsed_args: argparse.Namespace,
                  events: EventSink | None) -> LoginRun:
        """What the method may use in this login."""
        server = settings.console_url()
        return LoginRun(terminal=self.context.terminal, api=self.context.console(server), server=server,
                        scopes=scopes, scopes_requested=parsed_args.scopes is not None, options=values,
                        client_name=f"Skytells CLI v{__version__}", events=events, console=self.context.console)

    def keep_existing(self, parsed_args: argparse.Namespace) -> bool:
        """True when the person chose to keep the token already stored (asked on a terminal, unless --force)."""
        terminal, credentials = self.context.terminal, self.context.credentials
        # An unreadable store stops here, before anyone signs in.
        existing = credentials.profile_record()
        if not existing.token or parsed_args.force:
            return False
        where = f" to profile {credentials.profile!r}" if credentials.profile else ""
        question = f"You are already logged in{where} ({mask(existing.token)}). Replace the stored token?"
        if terminal.can_prompt:
            if not terminal.confirm(question, flag="--force"):
                terminal.detail("Nothing changed.")
                return True
        else:
            self.replacing = True  # said once the new token is saved, not before anything happened
        return False

    def log_in(self, method: LoginMethod, run: LoginRun, parsed_args: argparse.Namespace, *, report: bool) -> int:
        """The whole login in this process: the method signs in, the token is saved."""
        if self.keep_existing(parsed_args):
            if report:
                self.emit(KEPT_EVENT)
            return 0
        credential = method.run(run)
        self.context.credentials.save_token(credential)
        self.report_saved(credential, report=report)
        return 0

    def request(self, method: LoginMethod, run: LoginRun, parsed_args: argparse.Namespace) -> int:
        """``login --request``: start the login, keep it, say what a person must do, return."""
        if self.keep_existing(parsed_args):
            self.emit(KEPT_EVENT)
            return 0
        pending = method.start(run)
        self.context.credentials.save_pending_login(pending)
        if not self.context.terminal.quiet:
            method.present(run, pending)
            self.context.terminal.detail(f"Once it is done, run: {self.next_command()}")
        self.emit({**pending.event, "next": self.next_command()})
        return 0

    def check(self, name: str, method: LoginMethod, run: LoginRun, *, wait: bool, report: bool) -> int:
        """``login --check [--wait]``: 0 done (saved), 75 still pending, 4 denied or expired."""
        credentials = self.context.credentials
        pending = credentials.pending_login()
        if pending is None:
            where = f" in profile {credentials.profile!r}" if credentials.profile else ""
            start = self.next_command().replace("--check", "--request")
            raise UsageError(f"There is no pending login{where} to check.", hint=f"Start one with {start}.")
        if (pending.method or DEFAULT_METHOD) != name:
            raise UsageError(f"The pending login{self.in_profile()} was started by the {pending.method!r} login "
                             f"method, not {name!r}.", hint=f"Run {self.next_command()} without --method.")
        try:
            outcome = method.resume(run, pending, wait=wait)
        except AuthError:  # denied, expired or refused: what was pending is spent
            credentials.remove_pending_login(pending)
            raise
        if isinstance(outcome, PendingLogin):
            credentials.update_pending_login(pending, outcome)
            self.context.terminal.detail(f"Not done yet; run {self.next_command()} again.")
            self.emit({**outcome.event, "next": self.next_command()})
            return int(ExitCode.TEMPFAIL)
        credentials.save_token(outcome)
        credentials.remove_pending_login(pending)
        self.report_saved(outcome, report=report)
        return 0

    def report_saved(self, credential: Credential, *, report: bool) -> None:
        """Tell the person the token was saved; with ``report``, the ``authenticated`` event too."""
        credentials = self.context.credentials
        replaced = ("It replaced the token stored before.",) if self.replacing else ()
        self.context.report_change("Authenticated successfully!", f"Credentials saved to {credentials.where}",
                                   *replaced, field="token")
        if report:
            self.emit(authenticated_event(credential, credentials.profile or credentials.stored().profile_name))

    def in_profile(self) -> str:
        profile = self.context.credentials.profile
        return f" in profile {profile!r}" if profile else ""

    def next_command(self) -> str:
        """The command that finishes a pending login of this profile."""
        return command_for(self.context.credentials.profile, "login", "--check")

    def name_the_profile(self, error: BaseException) -> None:
        """Make a hint that says ``skytells login`` name the profile in use, so the command it gives works."""
        profile = self.context.credentials.profile
        hint = getattr(error, "hint", None)
        if profile and isinstance(hint, str) and "skytells login" in hint:
            error.hint = hint.replace("skytells login", command_for(profile, "login"))  # type: ignore[attr-defined]


#: The final event when the person chose to keep the stored token (at a terminal's question): nothing happened.
KEPT_EVENT = {"event": "error", "reason": "cancelled", "message": "Nothing changed: the stored token is kept.",
              "exit_code": 0}


class Steps:
    """Which steps of a login were asked for (``--json``, ``--request``, ``--check``, ``--wait``)."""

    def __init__(self, *, json: bool, request: bool, check: bool, wait: bool) -> None:
        #: True with --json: the method's events and the outcome are reported on stdout.
        self.json = json
        self.request, self.check, self.wait = request, check, wait

    @property
    def reports_errors(self) -> bool:
        """True when a failure is reported on stdout too: with --json, and by --request (which always prints)."""
        return self.json or self.request

    @classmethod
    def of(cls, parsed_args: argparse.Namespace, loader: type[MethodLoader], *,
           non_interactive: bool) -> Steps:
        """The steps asked for; a step the method does not offer, or a wrong combination, is a UsageError."""
        request, check, wait = bool(parsed_args.request), bool(parsed_args.check), bool(parsed_args.wait)
        two_step = START in loader.steps and RESUME in loader.steps
        if request and check:
            raise UsageError("--request and --check cannot be used together.",
                             hint="Start with --request, then finish with --check.")
        if wait and not check:
            raise UsageError("--wait goes with --check.", hint="Run skytells login --check --wait.")
        if (request or check) and not two_step:
            flag = "--request" if request else "--check"
            raise UsageError(f"The {loader.name!r} login method logs in in one step: it has no {flag}. What it "
                             "waits for (a prompt, a listener for the browser) lives only as long as the process "
                             "that started it.", hint=f"Run skytells login --method {loader.name} without {flag}.")
        if check:
            given = [option.flag for option in loader.options if _given_on_command_line(option, parsed_args)]
            if given:
                raise UsageError(f"{given[0]} cannot be used with --check: the pending login keeps the options "
                                 "it was started with.", hint="Run skytells login --check alone.")
        if non_interactive and two_step and not check:
            request = True  # nobody will finish it while this process waits: start it and return
        return cls(json=bool(parsed_args.json), request=request, check=check, wait=wait)


def _given_on_command_line(option: LoginOption, parsed_args: argparse.Namespace) -> bool:
    value = getattr(parsed_args, option.dest, None)
    return value not in (None, False)


def error_event(error: BaseException) -> JsonObject:
    """The final ``error`` event for ``error`` (a SkytellsError, or Ctrl-C).

    It is also the run's JSON error object: the fields of ``{"error": {...}}``
    (``skytells.cli.json_errors``) at the top level, as the stream's events have
    them, and under ``error``, as every other command's failure has them.
    """
    code = error.exit_code if isinstance(error, SkytellsError) else ExitCode.INTERRUPTED
    details = error_object(error, int(code))["error"]
    return {"event": "error", **details, "error": details}


def option_values(options: Sequence[LoginOption], parsed_args: argparse.Namespace) -> dict[str, object]:
    """Each option's value by ``dest``: the flag, else its environment variable, checked by its ``parse``."""
    values: dict[str, object] = {}
    for option in options:
        value, origin = getattr(parsed_args, option.dest, None), option.flag
        if value in (None, False) and option.env and os.environ.get(option.env):
            value, origin = os.environ[option.env], option.env
        if option.parse is not None and isinstance(value, str):
            value = option.parse(value, origin)
        values[option.dest] = value
    return values
