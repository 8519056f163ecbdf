"""The authenticator interface.

An authenticator is a class registered in the entry-point group
``skytells.authenticators``. It declares a name, a one-line description and
the options it adds to ``skytells login``; ``authenticate`` returns a
:class:`~skytells.credentials.model.Credential`. It never writes files: the login
command hands the credential to the credential store.

Only the chosen method's module is imported: ``skytells login --method NAME``
(and its ``--help``) imports NAME's, and ``skytells login --help`` lists the
other methods from a cache of their descriptions (kept fresh by their module
files' stamps, see ``skytells.cli.help``), importing them only when that cache
cannot answer. Keep the module that defines an authenticator light anyway
(import heavy libraries inside ``authenticate``).

Each method owns its options: they are added to ``skytells login`` only when
that method is chosen, so two methods may declare the same flag. A method
option that is one of ``skytells login``'s own (:data:`LOGIN_FLAGS`) makes the
method broken (see :func:`options_problem`): it is reported, never dropped.
"""

from __future__ import annotations

import abc
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from skytells.credentials.model import Credential
from skytells.net.console_api import ConsoleClient
from skytells.net.protocol.device_grant import DeviceGrantClient
from skytells.terminal.ui import Terminal


@dataclass(frozen=True)
class LoginOption:
    """A command-line option an authenticator adds to ``skytells login``.

    Secrets must never be options (they would show in ``ps`` and shell
    history): read them with ``LoginContext.terminal`` instead.
    """

    flag: str  # e.g. "--no-browser"
    help: str
    is_switch: bool = False  # True: a flag without a value
    metavar: str | None = None
    #: Environment variable that supplies the value when the flag is absent.
    env: str | None = None
    #: Checks and converts a value: called with the text and where it came from (the flag or ``env``), it
    #: returns the value the method gets or raises UsageError naming that origin. Not called for switches.
    parse: Callable[[str, str], Any] | None = None

    @property
    def dest(self) -> str:
        """The attribute name of the parsed value."""
        return self.flag.lstrip("-").replace("-", "_")


#: The options of ``skytells login`` itself, whatever the method.
LOGIN_FLAGS = ("-h", "--help", "--token", "--method", "--scopes", "-f", "--force")
#: What a method's option may look like: ``--name`` (or a one-letter ``-x``).
OPTION_FLAG = re.compile(r"--[A-Za-z0-9][A-Za-z0-9_-]*|-[A-Za-z0-9]")


def options_problem(options: Sequence[LoginOption]) -> str | None:
    """Why these options cannot be added to ``skytells login`` (one line), or None when they can.

    A flag of ``skytells login`` itself is refused rather than silently
    dropped; so is a flag declared twice or one argparse cannot take.
    """
    from skytells.safety.sanitize import terminal_safe

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
class LoginContext:
    """Everything an authenticator may use; built by the login command."""

    terminal: Terminal
    api: ConsoleClient
    #: Base URL of the console the credential is for.
    server: str
    scopes: tuple[str, ...]
    #: True when the user passed ``--scopes`` explicitly.
    scopes_requested: bool
    #: Values of the authenticator's declared options, by ``LoginOption.dest``.
    options: Mapping[str, Any] = field(default_factory=dict)
    client_name: str = "Skytells CLI"
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    #: For a standard authorization server (``--issuer``): its device-grant client, issuer URL and our client id.
    oauth: DeviceGrantClient | None = None
    issuer: str | None = None
    client_id: str | None = None
    #: Where a method reports the steps of its flow as JSON-shaped events (``login --json``); None: nobody listens.
    #: The device flow reports ``authorization_pending``; the login command reports the outcome.
    events: Callable[[dict[str, Any]], None] | None = None

    @property
    def device_api(self) -> DeviceGrantClient:
        """Where the device grant runs: the standard server when one was chosen, else the console."""
        return self.oauth or self.api


class Authenticator(abc.ABC):
    """Base class for login methods."""

    #: Name used with ``skytells login --method NAME``.
    name: ClassVar[str]
    #: One line shown by ``skytells login --help`` and ``skytells plugins``.
    description: ClassVar[str]
    #: Options this method adds to ``skytells login``.
    options: ClassVar[tuple[LoginOption, ...]] = ()
    #: The plugin interface version the class was written for (docs/plugins.md, "Versions").
    #: This default stays 1 forever: a plugin that does not set it is taken to target version 1.
    api_version: ClassVar[int] = 1

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """Why this method cannot be used here (and what to install), or None when it can."""
        return None

    @staticmethod
    def declaration_problem(plugin: type) -> str | None:
        """Why the class ``plugin`` declares its options wrongly (one line), or None; the loader asks this."""
        options = getattr(plugin, "options", ())
        if not (isinstance(options, tuple | list) and all(isinstance(o, LoginOption) for o in options)):
            return "its options are not a tuple of LoginOption"
        return options_problem(options)

    @abc.abstractmethod
    def authenticate(self, login: LoginContext) -> Credential:
        """Obtain a user token.

        Raise :class:`skytells.errors.SkytellsError` subclasses for failures
        the user should see (their message is printed as is, so it must not
        contain the token). KeyboardInterrupt is left to propagate.
        """
