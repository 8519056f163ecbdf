"""Errors a user can cause or meet, each with a one-line message, an exit code and a stable reason.

Messages never contain secrets: callers mask credentials before building one.

``reason`` is the machine-readable kind of the failure: a program that runs
``skytells ... --json`` reads it from the error object on stdout
(``skytells.cli.json_errors``; docs/errors.md lists every reason). A reason, once
documented, never changes meaning; a plugin's subclass inherits the reason of
the class it extends.
"""

from skytells.exitcodes import ExitCode


class SkytellsError(Exception):
    """Base class: ``str(error)`` is the one-line message shown to the user."""

    exit_code: ExitCode = ExitCode.FAILURE
    #: The documented kind of failure (docs/errors.md).
    reason: str = "failure"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class UsageError(SkytellsError):
    """The command line or typed input is wrong."""

    exit_code = ExitCode.USAGE
    reason = "usage"


class CancelledError(UsageError):
    """The person (or the end of the input) declined to answer a question; nothing was done."""

    reason = "cancelled"


class NonInteractiveError(UsageError):
    """A question would have been asked, but the run is non-interactive (or has no terminal to ask at)."""

    reason = "non_interactive"


class AuthError(SkytellsError):
    """Authentication is required, was denied, expired or is invalid."""

    exit_code = ExitCode.AUTH
    reason = "auth"


class NotLoggedInError(AuthError):
    """There is no credential to use: log in (or set one in the environment) first."""

    reason = "not_logged_in"


class AccessDeniedError(AuthError):
    """The person refused the authorization (the device login was denied in the browser)."""

    reason = "access_denied"


class ExpiredTokenError(AuthError):
    """A device code or a token expired and cannot be renewed: log in again."""

    reason = "expired_token"


class NetworkError(SkytellsError):
    """The server could not be reached or did not answer in time."""

    reason = "network"


class ServerError(SkytellsError):
    """The server answered with something the CLI cannot use."""

    reason = "server"


class StoreError(SkytellsError):
    """The credential store cannot be read or written."""

    reason = "store"


class PluginError(SkytellsError):
    """An installed plugin is missing, broken or unusable."""

    reason = "plugin"
