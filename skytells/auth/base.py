"""The authenticator interface.

An authenticator is a class registered in the entry-point group
``skytells.authenticators``. It declares a name, a one-line description and
the options it adds to ``skytells login``; ``authenticate`` returns a
:class:`~skytells.credentials.Credential`. It never writes files: the login
command hands the credential to the credential store.

Keep the module that defines an authenticator light (import heavy libraries
inside ``authenticate``): ``skytells login --help`` imports every installed
authenticator to list its options.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from skytells.console_api import ConsoleClient
from skytells.credentials import Credential
from skytells.protocol.device_grant import DeviceGrantClient
from skytells.ui import Terminal


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

    @property
    def dest(self) -> str:
        """The attribute name of the parsed value."""
        return self.flag.lstrip("-").replace("-", "_")


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

    @abc.abstractmethod
    def authenticate(self, login: LoginContext) -> Credential:
        """Obtain a user token.

        Raise :class:`skytells.errors.SkytellsError` subclasses for failures
        the user should see (their message is printed as is, so it must not
        contain the token). KeyboardInterrupt is left to propagate.
        """
