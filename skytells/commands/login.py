"""``skytells login``.

Each login method owns its options. Parsing takes two steps: the first reads
only which method was chosen (``--method NAME``; ``--token`` is short for
``--method token``; else the device flow), then only that method is imported
and its options join the parser. So ``login --token`` imports no other method,
two methods may declare the same flag (only one is active at a time), and an
option of another method is a usage error naming the method that owns it.
``login --help`` lists every method from the summary cache (see
``skytells.login.registry``) with the default method's options;
``login --method NAME --help`` shows NAME's.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

import autopage.argparse

from skytells.cli.argument_errors import guard
from skytells.cli.command import Command
from skytells.config.scopes import DEFAULT_SCOPES, KNOWN_SCOPES

TOKEN_METHOD = "token"
DEFAULT_METHOD = "device"


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


def chosen_method(parsed: argparse.Namespace) -> str:
    """The method the common options chose."""
    if parsed.token:
        return TOKEN_METHOD
    return DEFAULT_METHOD if parsed.method is None else str(parsed.method)


class _Undecided(Exception):
    """The common options are wrong; the second step reports how."""


class _MethodChoice(argparse.ArgumentParser):
    """The first step: the common options alone, to learn which method was chosen."""

    def error(self, message: str) -> Any:
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
    from skytells.login import registry

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
        from skytells.login import registry

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
        """The error for words no option took: an option of another method names the method that owns it."""
        from skytells.login import registry
        from skytells.login.base import OPTION_FLAG

        for word in extras:
            flag = word.partition("=")[0]
            owners = [name for name in registry.owners(flag) if name != self.method] \
                if OPTION_FLAG.fullmatch(flag) else []
            if owners:
                methods = " and ".join(repr(name) for name in owners)
                kind = "methods" if len(owners) > 1 else "method"
                return f"{flag} is an option of the {methods} login {kind}, not of {self.method!r}"
        return f"unrecognized arguments: {' '.join(extras)}"

    def format_help(self) -> str:
        if self.method is None:
            self.add_method_options(DEFAULT_METHOD)
        self.epilog = "\n".join(filter(None, [methods_listing(), self.own_epilog]))
        return super().format_help()


class Login(Command):
    """Log in with the browser (device flow) or a personal access token"""

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

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from skytells.config.scopes import parse_scopes
        from skytells.login import registry

        scopes = parse_scopes(parsed_args.scopes)
        authenticator_class = registry.get(chosen_method(parsed_args))
        # Bad option values stop here, before the store is opened.
        values = option_values(authenticator_class.options, parsed_args)
        if getattr(parsed_args, "client_id", None) and not values.get("issuer"):  # never silently ignored
            from skytells.errors import UsageError

            raise UsageError("--client-id works with --issuer only.",
                             hint="Pass --issuer URL too, or drop --client-id.")
        steps = DeviceSteps.of(authenticator_class, values)
        if self.context.non_interactive and steps.device and not steps.check:
            steps.request = True  # nobody will approve while this process waits: start it and return
        if not steps.machine:
            return self.log_in(authenticator_class, values, scopes, parsed_args, events=None)
        from skytells.errors import SkytellsError

        try:
            return self.device_step(steps, authenticator_class, values, scopes, parsed_args)
        except (SkytellsError, KeyboardInterrupt) as error:  # the final event; the app still reports it on stderr
            if steps.reports_errors:
                self.emit(error_event(error))
                report = getattr(self.app, "error_report", None)
                if report is not None:
                    report.answered()  # the event is the run's one error object
            raise

    def device_step(self, steps: DeviceSteps, authenticator_class: Any, values: dict[str, Any],
                    scopes: tuple[str, ...], parsed_args: argparse.Namespace) -> int:
        """``login --json``, ``--request``, ``--check`` (the device method's steps for programs)."""
        from skytells.errors import UsageError

        if steps.request and steps.check:
            raise UsageError("--request and --check cannot be used together.",
                             hint="Start with --request, then finish with --check.")
        if steps.wait and not steps.check:
            raise UsageError("--wait goes with --check.", hint="Run skytells login --check --wait.")
        if steps.check:
            return self.check(wait=steps.wait, report=steps.json)
        if steps.request:
            return self.request(values, scopes, parsed_args)
        return self.log_in(authenticator_class, values, scopes, parsed_args, events=self.emit)

    def emit(self, event: dict[str, Any]) -> None:
        """Write one JSON object as one line of stdout, at once (a program reads it as it comes)."""
        import json

        stdout = self.context.stdout
        stdout.write(json.dumps(event) + "\n")
        stdout.flush()

    def keep_existing(self, parsed_args: argparse.Namespace) -> bool:
        """True when the person chose to keep the token already stored (asked on a terminal, unless --force)."""
        from skytells.safety.masking import mask

        terminal, credentials = self.context.terminal, self.context.credentials
        # An unreadable store stops here, before anyone signs in.
        existing = credentials.profile_record()
        if not existing.token or parsed_args.force:
            return False
        where = f" in profile {credentials.profile!r}" if credentials.profile else ""
        question = f"You are already logged in{where} ({mask(existing.token)}). Replace the stored token?"
        if terminal.can_prompt:
            if not terminal.confirm(question, flag="--force"):
                terminal.detail("Nothing changed.")
                return True
        else:
            self.replacing = True  # said once the new token is saved, not before anything happened
        return False

    def login_context(self, values: dict[str, Any], scopes: tuple[str, ...], parsed_args: argparse.Namespace,
                      events: Any = None) -> Any:
        """The LoginContext of this run (``skytells.login.base``)."""
        from skytells.cli_version import __version__
        from skytells.config import settings
        from skytells.login.base import LoginContext

        server = settings.console_url()
        return LoginContext(
            terminal=self.context.terminal,
            api=self.context.console(server),
            server=server,
            scopes=scopes,
            scopes_requested=parsed_args.scopes is not None,
            options=values,
            client_name=f"Skytells CLI v{__version__}",
            events=events,
        )

    def log_in(self, authenticator_class: Any, values: dict[str, Any], scopes: tuple[str, ...],
               parsed_args: argparse.Namespace, events: Any) -> int:
        """The whole login: the method signs in, the token is saved (``events``: report it as JSON lines)."""
        if self.keep_existing(parsed_args):
            if events is not None:
                events(KEPT_EVENT)
            return 0
        credentials = self.context.credentials
        credential = authenticator_class().authenticate(self.login_context(values, scopes, parsed_args, events))
        credentials.save_token(credential)
        self.report_saved(credential, report=events is not None)
        return 0

    def report_saved(self, credential: Any, *, report: bool) -> None:
        """Tell the person the token was saved; with ``report``, the ``authenticated`` event too."""
        credentials = self.context.credentials
        replaced = ("It replaced the token stored before.",) if self.replacing else ()
        self.context.report_change("Authenticated successfully!", f"Credentials saved to {credentials.where}",
                                   *replaced, field="token")
        if report:
            from skytells.login.device import authenticated_event

            self.emit(authenticated_event(credential, credentials.profile or credentials.stored().profile_name))

    def next_command(self) -> str:
        """The command that finishes a pending login of this profile."""
        profile = self.context.credentials.profile
        return f"skytells --profile {profile} login --check" if profile else "skytells login --check"

    def request(self, values: dict[str, Any], scopes: tuple[str, ...], parsed_args: argparse.Namespace) -> int:
        """``login --request``: start a device authorization, keep it, print it, return."""
        from skytells.login import device

        if self.keep_existing(parsed_args):
            self.emit(KEPT_EVENT)
            return 0
        login, authorization, expires_at = device.start(self.login_context(values, scopes, parsed_args))
        pending = device.pending_login(login, authorization, expires_at)
        self.context.credentials.save_pending_login(pending)
        terminal = self.context.terminal
        if not terminal.quiet:
            device.show_authorization(login, authorization, open_browser=False)
            terminal.detail(f"Once it is approved, run: {self.next_command()}")
        self.emit({**device.pending_event(authorization, expires_at), "next": self.next_command()})
        return 0

    def check(self, *, wait: bool, report: bool) -> int:
        """``login --check [--wait]``: poll the pending login; 0 approved (saved), 75 pending, 4 denied or expired."""
        from skytells.errors import AuthError, UsageError
        from skytells.exitcodes import ExitCode
        from skytells.login import device

        credentials, terminal = self.context.credentials, self.context.terminal
        pending = credentials.pending_login()
        if pending is None:
            where = f" in profile {credentials.profile!r}" if credentials.profile else ""
            start = self.next_command().replace("--check", "--request")
            raise UsageError(f"There is no pending login{where} to check.", hint=f"Start one with {start}.")
        api = device.grant_client(pending, self.context.console)
        try:
            with terminal.activity("Waiting for authorization..." if wait else "Checking the pending login...") \
                    as update:
                result, after = device.check_pending(
                    pending, api, keep_waiting=wait, on_problem=terminal.warning,
                    on_tick=lambda left: update(f"Waiting for authorization... "
                                                f"({device.format_time_left(left)} left)"))
        except AuthError:  # denied, expired or refused: the device code is spent
            credentials.remove_pending_login(pending.device_code)
            raise
        if result is None:
            credentials.update_pending_login(after)
            terminal.detail(f"Not approved yet; run {self.next_command()} again.")
            self.emit({**device.pending_event(device.authorization_of(after), after.expires_at),
                       "next": self.next_command()})
            return int(ExitCode.TEMPFAIL)
        credential = device.credential_from(result, server=pending.server, scopes=pending.scopes,
                                            issuer=pending.issuer, client_id=pending.client_id)
        credentials.save_token(credential)
        credentials.remove_pending_login(pending.device_code)
        self.report_saved(credential, report=report)
        return 0


#: The final event when the person chose to keep the stored token (at a terminal's question): nothing happened.
KEPT_EVENT = {"event": "error", "reason": "cancelled", "message": "Nothing changed: the stored token is kept.",
              "exit_code": 0}


class DeviceSteps:
    """Which of the device method's steps for programs were asked for (none for any other method)."""

    def __init__(self, *, json: bool = False, request: bool = False, check: bool = False, wait: bool = False,
                 device: bool = False) -> None:
        self.json, self.request, self.check, self.wait = json, request, check, wait
        #: True for the device method (the only one with these steps).
        self.device = device

    @property
    def machine(self) -> bool:
        """True when stdout carries JSON (and errors are reported there too)."""
        return self.json or self.request or self.check or self.wait

    @property
    def reports_errors(self) -> bool:
        """True when a failure is reported on stdout too: with --json, and by --request (which always prints)."""
        return self.json or self.request

    @classmethod
    def of(cls, authenticator_class: type, values: dict[str, Any]) -> DeviceSteps:
        """The steps in ``values``; a method other than ``device`` (or a subclass of it) has none of them."""
        device = sys.modules.get("skytells.login.device")  # not imported: not the device method (--token stays lean)
        if device is None or not issubclass(authenticator_class, device.DeviceAuthenticator):
            return cls()
        return cls(device=True, **{name: bool(values.get(name)) for name in ("json", "request", "check", "wait")})


def error_event(error: BaseException) -> dict[str, Any]:
    """The final ``error`` event for ``error`` (a SkytellsError, or Ctrl-C).

    It is also the run's JSON error object: the fields of ``{"error": {...}}``
    (``skytells.cli.json_errors``) at the top level, as the stream's events have
    them, and under ``error``, as every other command's failure has them.
    """
    from skytells.cli.json_errors import error_object
    from skytells.errors import SkytellsError
    from skytells.exitcodes import ExitCode

    code = error.exit_code if isinstance(error, SkytellsError) else ExitCode.INTERRUPTED
    details = error_object(error, int(code))["error"]
    return {"event": "error", **details, "error": details}


def option_values(options: Sequence[Any], parsed_args: argparse.Namespace) -> dict[str, Any]:
    """Each option's value by ``dest``: the flag, else its environment variable, checked by its ``parse``."""
    values = {}
    for option in options:
        value, origin = getattr(parsed_args, option.dest, None), option.flag
        if value in (None, False) and option.env and os.environ.get(option.env):
            value, origin = os.environ[option.env], option.env
        if option.parse is not None and isinstance(value, str):
            value = option.parse(value, origin)
        values[option.dest] = value
    return values
