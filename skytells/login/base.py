"""The authenticator interface of plugin interface version 1, kept for the methods written against it.

An authenticator is a class registered in the entry-point group
``skytells.authenticators``. It declares a name, a one-line description and
the options it adds to ``skytells login``; ``authenticate`` returns a
:class:`~skytells.credentials.Credential`. It never writes files: the login
command hands the credential to the credential store.

An authenticator is a loader of the version 2 interface
(:mod:`skytells.login.interface`) whose ``build`` wraps ``authenticate`` as a
one-step method, so it is listed, chosen, given its options, driven with
``--json`` and ``--non-interactive`` and tested exactly as any other method.
New methods derive from :class:`~skytells.login.interface.MethodLoader`.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from typing import ClassVar

from skytells.credentials.model import Credential
from skytells.login.interface import (
    LOGIN_FLAGS,
    ONE_STEP,
    OPTION_FLAG,
    LoginMethod,
    LoginOption,
    LoginRun,
    MethodLoader,
    OptionValues,
    options_problem,
)

__all__ = ["LOGIN_FLAGS", "OPTION_FLAG", "Authenticator", "LoginContext", "LoginOption", "options_problem"]


@dataclass
class LoginContext(LoginRun):
    """What a version 1 authenticator is given: a :class:`LoginRun`, and three fields kept for compatibility.

    ``oauth``, ``issuer`` and ``client_id`` are always None now: the ``device``
    method reads ``--issuer`` and ``--client-id`` itself.
    """

    oauth: object = None
    issuer: str | None = None
    client_id: str | None = None

    @property
    def device_api(self) -> object:
        """Where a device grant would run: the console (kept for compatibility)."""
        return self.oauth or self.api


class _Authenticate(LoginMethod):
    """A version 1 authenticator as a one-step method."""

    def __init__(self, authenticator: Authenticator, options: OptionValues) -> None:
        self.authenticator = authenticator
        self.options = options

    def run(self, login: LoginRun) -> Credential:
        context = LoginContext(terminal=login.terminal, api=login.api, server=login.server, scopes=login.scopes,
                               scopes_requested=login.scopes_requested, options=self.options,
                               client_name=login.client_name, clock=login.clock, sleep=login.sleep,
                               wall_clock=login.wall_clock, events=login.events, console=login.console)
        return self.authenticator.authenticate(context)


class Authenticator(MethodLoader):
    """Base class for version 1 login methods."""

    steps: ClassVar[frozenset[str]] = ONE_STEP
    #: This default stays 1 forever: a plugin that does not set it is taken to target version 1.
    api_version: ClassVar[int] = 1

    def build(self, options: OptionValues) -> LoginMethod:
        """``authenticate`` as a one-step method."""
        return _Authenticate(self, options)

    @abc.abstractmethod
    def authenticate(self, login: LoginContext) -> Credential:
        """Obtain a user token.

        Raise :class:`skytells.errors.SkytellsError` subclasses for failures
        the user should see (their message is printed as is, so it must not
        contain the token). KeyboardInterrupt is left to propagate.
        """
