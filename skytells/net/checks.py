"""The answer to "is this token good?": what every client that checks a token returns.

Apart from the clients (``skytells.net.console_api``, ``skytells.net.protocol.oauth``)
because showing a status needs no network: ``skytells.credentials.service`` and the
commands import this module on every start-up, and the clients only online. For the same
reason :class:`TokenCheck` is a named tuple: a dataclass takes several times as long to create.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

from skytells.exitcodes import ExitCode


class TokenStatus(enum.Enum):
    """Whether the server accepts a user token."""

    VALID = "valid"
    INVALID = "invalid"
    UNKNOWN = "could not be checked"
    #: A token no server can be asked about (a standard provider without userinfo): only its expiry is known.
    UNVERIFIED = "not checked"

    @property
    def exit_code(self) -> ExitCode:
        """The exit status of a command that checked a token: 4 invalid, 1 could not be checked, else 0."""
        return {TokenStatus.INVALID: ExitCode.AUTH, TokenStatus.UNKNOWN: ExitCode.FAILURE}.get(self, ExitCode.OK)


class TokenCheck(NamedTuple):
    """The answer to "is this token good?", with a caveat or a reason when it is not simply valid."""

    status: TokenStatus
    detail: str = ""
    #: Extra facts learnt on the way (the OpenID Connect userinfo claims, for a standard provider's token).
    claims: Mapping[str, str] = MappingProxyType({})

    @property
    def summary(self) -> str:
        """How every command shows the status: ``valid, lacks projects.read``, ``invalid (HTTP 401 ...)``."""
        detail = self.detail.rstrip(".")
        if not detail:
            return self.status.value
        return f"{self.status.value}, {detail}" if self.status is TokenStatus.VALID \
            else f"{self.status.value} ({detail})"
