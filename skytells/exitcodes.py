"""The exit codes every ``skytells`` command uses (documented in the README)."""

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit status."""

    OK = 0
    #: Network, server or file-system failure (a closed or unwritable standard output too).
    FAILURE = 1
    #: Bad flag, argument, token format or scope.
    USAGE = 2
    #: Authentication required, denied, expired or invalid.
    AUTH = 4
    #: Not finished yet, try again later (sysexits' EX_TEMPFAIL): ``login --check`` before the approval.
    TEMPFAIL = 75
    #: Interrupted by Ctrl-C (128 + SIGINT).
    INTERRUPTED = 130
    #: The reader of standard output went away (128 + SIGPIPE); nothing more is printed.
    BROKEN_PIPE = 141
