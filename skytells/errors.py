"""Errors a user can cause or meet, each with a one-line message and an exit code.

Messages never contain secrets: callers mask credentials before building one.
"""

from skytells.exitcodes import ExitCode


class SkytellsError(Exception):
    """Base class: ``str(error)`` is the one-line message shown to the user."""

    exit_code: ExitCode = ExitCode.FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class UsageError(SkytellsError):
    """The command line or typed input is wrong."""

    exit_code = ExitCode.USAGE


class AuthError(SkytellsError):
    """Authentication is required, was denied, expired or is invalid."""

    exit_code = ExitCode.AUTH


class NetworkError(SkytellsError):
    """The server could not be reached or did not answer in time."""


class ServerError(SkytellsError):
    """The server answered with something the CLI cannot use."""


class StoreError(SkytellsError):
    """The credential store cannot be read or written."""


class PluginError(SkytellsError):
    """An installed plugin is missing, broken or unusable."""
