"""The login-method interface (plugin interface version 2): a light loader, and the method it builds.

A login method is registered in the entry-point group ``skytells.authenticators``
as a :class:`MethodLoader` subclass. The loader is what ``login --help``,
``skytells plugins`` and completion see: its name, description, options,
steps and availability, all class attributes, so its module stays light.
``build(options)`` imports the method's own code only when the method is
chosen and returns a :class:`LoginMethod` configured from the parsed options.

A method does its work in one step or in two:

- ``run(login)`` signs in and returns a :class:`~skytells.credentials.Credential`
  (a pasted token, a browser redirect, a credential process);
- ``start(login)`` begins a login that waits on a person and returns a
  :class:`~skytells.credentials.PendingLogin`: an opaque JSON ``state`` that
  the store keeps for the method, per profile, until it expires; and
  ``resume(login, pending, wait=...)`` continues it, once or waiting, and
  returns the credential or the pending login as it now stands.

The login command owns how a run is driven: ``--json`` (events as NDJSON on
stdout), ``--request``/``--check``/``--wait`` (start, then resume, in two
processes) and ``--non-interactive``. It offers each to every method that
declares the step in :attr:`MethodLoader.steps`, and refuses it with a usage
error naming the method otherwise. A method never writes files; it reports
what a program driving the login should know through ``login.events``, and
shows people what to do through ``login.terminal``.

Version 1 authenticators (``skytells.login.base.Authenticator``) are loaders
too: their ``build`` wraps ``authenticate()`` as a one-step method.
"""

from __future__ import annotations

import abc
import datetime
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from skytells.credentials.model import Credential, PendingLogin
from skytells.safety.sanitize import terminal_safe
from skytells.terminal.ui import Terminal

if TYPE_CHECKING:  # the console client pulls in the HTTP stack, which login --help and listings never need
    from skytells.net.console_api import ConsoleClient

#: The steps a method may offer (``MethodLoader.steps``).
RUN, START, RESUME = "run", "start", "resume"
ONE_STEP = frozenset({RUN})
TWO_STEPS = frozenset({RUN, START, RESUME})

#: One event or pending state: a JSON object (str keys; str, number, bool, None, list or object values).
JsonObject = dict[str, object]
#: Where a method reports what a program driving the login should know: one JSON object per event.
EventSink = Callable[[JsonObject], None]
#: A method's option values by ``LoginOption.dest``: what each option's ``parse`` returned, the text given,
#: True/False for a switch, or None when unset.
OptionValues = Mapping[str, object]


def text_option(options: OptionValues, name: str) -> str | None:
    """The option ``name`` as text, or None when it is unset or blank."""
    value = options.get(name)
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class LoginOption:
    """A command-line option a login method adds to ``skytells login``.

    Secrets must never be options (they would show in ``ps`` and shell
    history): read them with ``login.terminal`` instead.
    """

    flag: str  # e.g. "--no-browser"
    help: str
    is_switch: bool = False  # True: a flag without a value
    metavar: str | None = None
    #: Environment variable that supplies the value when the flag is absent.
    env: str | None = None
    #: Checks and converts a value: called with the text and where it came from (the flag or ``env``), it
    #: returns the value the method gets or raises UsageError naming that origin. Not called for switches.
    parse: Callable[[str, str], object] | None = None

    @property
    def dest(self) -> str:
        """The attribute name of the parsed value."""
        return self.flag.lstrip("-").replace("-", "_")


#: The options of ``skytells login`` itself, whatever the method.
LOGIN_FLAGS = ("-h", "--help", "--token", "--method", "--scopes", "-f", "--force",
               "--json", "--request", "--check", "--wait")
#: What a method's option may look like: ``--name`` (or a one-letter ``-x``).
OPTION_FLAG = re.compile(r"--[A-Za-z0-9][A-Za-z0-9_-]*|-[A-Za-z0-9]")


def options_problem(options: Sequence[LoginOption]) -> str | None:
    """Why these options cannot be added to ``skytells login`` (one line), or None when they can.

    A flag of ``skytells login`` itself is refused rather than silently
    dropped; so is a flag declared twice or one argparse cannot take.
    """
    seen: set[str] = set()
    for option in options:
        flag = terminal_safe(str(option.flag), 40)
        if not isinstance(option.flag, str) or not OPTION_FLAG.fullmatch(option.flag):
            return f"its option {flag!r} is not an option name like --name"
        if option.flag in LOGIN_FLAGS:
            return f"its option {flag} clashes with an option of skytells login itself"
        if option.dest in seen:
            return f"it declares {flag} twice"
        seen.add(option.dest)
    return None


@dataclass
class LoginRun:
    """Everything a method may use in one login; built by the login command.

    Tests build one with their own terminal, console client, clocks and sink.
    """

    terminal: Terminal
    #: A client for the Skytells console the login is for.
    api: ConsoleClient
    #: Base URL of the console the credential is for.
    server: str
    scopes: tuple[str, ...]
    #: True when the user passed ``--scopes`` explicitly.
    scopes_requested: bool
    #: Values of the method's declared options, by ``LoginOption.dest``.
    options: OptionValues = field(default_factory=dict)
    client_name: str = "Skytells CLI"
    #: A monotonic clock and the sleep that moves it, for waiting within this process.
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    #: Seconds since the epoch, for what outlives this process (a pending login's times).
    wall_clock: Callable[[], float] = time.time
    #: Where the method reports its steps (``login --json``); None: nobody listens.
    events: EventSink | None = None
    #: The console client for another server (a pending login started elsewhere).
    console: Callable[[str], ConsoleClient] | None = None

    def report(self, event: JsonObject) -> None:
        """Send ``event`` to the listener, when there is one."""
        if self.events is not None:
            self.events(event)

    def console_for(self, server: str) -> ConsoleClient:
        """A console client for ``server`` (the login's own when it is the same)."""
        if server == self.server or self.console is None:
            return self.api
        return self.console(server)


class LoginMethod:
    """One login attempt, configured by its loader from the parsed options.

    Override ``run`` for a one-step method; ``start`` and ``resume`` for a
    two-step one (whose ``run`` then starts and waits). Raise
    :class:`skytells.errors.SkytellsError` subclasses for failures the user
    should see; their message is printed as is, so it must not contain a
    secret. KeyboardInterrupt is left to propagate.
    """

    def run(self, login: LoginRun) -> Credential:
        """Sign in and return the credential.

        A two-step method's default: start, show the person what to do and report it, then wait.
        """
        pending = self.start(login)
        self.present(login, pending)
        login.report(pending.event)
        outcome = self.resume(login, pending, wait=True)
        if not isinstance(outcome, Credential):
            raise TypeError(f"{type(self).__name__}.resume(wait=True) returned before the login finished")
        return outcome

    def start(self, login: LoginRun) -> PendingLogin:
        """Begin a login that a person finishes later; its ``event`` says what they must do."""
        raise NotImplementedError(f"{type(self).__name__} has no start step")

    def present(self, login: LoginRun, pending: PendingLogin) -> None:
        """Show a person what to do to finish ``pending`` (on ``login.terminal``), once it is kept.

        Called once the pending login ``start`` returned is stored (``login
        --request``). Programs read ``pending.event`` instead. The default shows nothing.
        """

    def resume(self, login: LoginRun, pending: PendingLogin, *, wait: bool) -> Credential | PendingLogin:
        """Continue ``pending``: the credential when it is finished, else the pending login as it now stands.

        With ``wait``, keep going until it is finished (or fails).
        """
        raise NotImplementedError(f"{type(self).__name__} has no resume step")


class MethodLoader(abc.ABC):
    """What ``skytells`` knows of a login method without importing it, and how to build it."""

    #: Name used with ``skytells login --method NAME``.
    name: ClassVar[str]
    #: One line shown by ``skytells login --help`` and ``skytells plugins``.
    description: ClassVar[str]
    #: Options this method adds to ``skytells login``.
    options: ClassVar[tuple[LoginOption, ...]] = ()
    #: The steps the method offers: ``ONE_STEP`` or ``TWO_STEPS``.
    steps: ClassVar[frozenset[str]] = ONE_STEP
    #: The plugin interface version the class was written for (docs/plugins.md, "Versions").
    api_version: ClassVar[int] = 2

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this method cannot be used here (and what to install), or None when it can."""
        return None

    @staticmethod
    def declaration_problem(plugin: type) -> str | None:
        """Why the class ``plugin`` declares itself wrongly (one line), or None; the plugin loader asks this."""
        options = getattr(plugin, "options", ())
        if not (isinstance(options, tuple | list) and all(isinstance(o, LoginOption) for o in options)):
            return "its options are not a tuple of LoginOption"
        steps = getattr(plugin, "steps", ONE_STEP)
        if steps not in (ONE_STEP, TWO_STEPS):
            return "its steps are neither ONE_STEP nor TWO_STEPS"
        return options_problem(options)

    @abc.abstractmethod
    def build(self, options: OptionValues) -> LoginMethod:
        """The method, configured from its parsed option values (by ``LoginOption.dest``).

        Import the method's heavy code here, not at the top of the loader's module.
        """

    def renew(self, credential: Credential) -> Credential | None:
        """Sign in again without a person, once the token this method gave has expired; None when it cannot.

        Called (under the store's lock) by any command that needs the expired
        token, with the stored credential: its ``renewal`` facts are what the
        method kept for this. Return the new credential, or raise a
        ``SkytellsError`` saying why it cannot (and how to log in again). The
        default cannot: the token must be refreshed or the person log in again.
        Import heavy code here, as in :meth:`build`.
        """
        return None


def iso_utc(moment_ms: int | None) -> str | None:
    """An epoch-milliseconds moment as ISO 8601 UTC (``2025-01-31T12:00:00Z``); None stays None."""
    if moment_ms is None:
        return None
    moment = datetime.datetime.fromtimestamp(moment_ms / 1000, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def authenticated_event(credential: Credential, profile: str) -> JsonObject:
    """The ``authenticated`` event: the login's outcome, never the token."""
    return {"event": "authenticated", "profile": profile, "method": credential.method,
            "scopes": list(credential.scopes or ()), "expires_at": iso_utc(credential.expires_at)}
