"""Commands for the tests: small Python programs run by the token command runner."""

from __future__ import annotations

import shlex
import sys


def python_command(code: str, *args: str) -> str:
    """A command line that runs ``code`` with this interpreter."""
    return " ".join(shlex.quote(word) for word in (sys.executable, "-c", code, *args))


#: Prints the token the test put in $FAKE_VAULT_TOKEN, as a password manager would.
PRINT_VAULT_TOKEN = python_command("import os; print(os.environ['FAKE_VAULT_TOKEN'])")
#: Fails like a locked vault, after printing the token on stdout and stderr (it must show nowhere).
LOCKED_VAULT = python_command(
    "import os, sys; t = os.environ['FAKE_VAULT_TOKEN']; print(t); "
    "sys.stderr.write('debug: got ' + t + '\\nvault is locked\\n'); sys.exit(3)")
