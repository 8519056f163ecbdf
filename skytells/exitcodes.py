"""The exit codes every ``skytells`` command uses (documented in the README)."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status."""

    OK = 0
    #: Network, server or file-system failure.
    FAILURE = 1
    #: Bad flag, argument, token format or scope.
    USAGE = 2
    #: Authentication required, denied, expired or invalid.
    AUTH = 4
    #: Interrupted by Ctrl-C (128 + SIGINT).
    INTERRUPTED = 130
