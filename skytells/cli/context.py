"""One run of the CLI as its commands see it: the profile, the terminal, the credentials and the console.

The app builds one :class:`Context` from the global options and hands it to
every command as ``self.app.context`` (``self.context`` in commands built on
``skytells.cli.command.Command`` and ``skytells.cli.display``). Nothing in it is
module state: a test, or a program embedding the CLI, builds its own.
Everything is made on first use, so a command that never touches the store
never opens it, and one that does opens it once.

For plugin commands this is the public way to the credentials and the
console: ``context.credentials`` (a
:class:`~skytells.credentials.service.CredentialService`) resolves, saves and
refreshes them; ``context.console()`` talks to the Skytells console;
``context.terminal`` prints and prompts.
"""

from __future__ import annotations

import os
import sys
from functools import cached_property
from pathlib import Path
from typing import IO, TYPE_CHECKING

from skytells.config import settings
from skytells.credentials.model import Credential
from skytells.credentials.service import CredentialService
from skytells.credentials.stores.base import CredentialStore
from skytells.credentials.stores.registering import RegisteringStore
from skytells.extensions import plugins
from skytells.extensions.discovery import CREDENTIAL_STORES
from skytells.safety.safe_files import git_work_tree
from skytells.terminal.ui import Terminal

#: Set (to anything but "", "0", "false", "no" or "off") for a run that must never ask a question.
ENV_NONINTERACTIVE = "SKYTELLS_NONINTERACTIVE"
#: Values of SKYTELLS_NONINTERACTIVE that leave questions on (any other value turns them off).
INTERACTIVE_VALUES = ("", "0", "false", "no", "off")

if TYPE_CHECKING:
    from skytells.net.api_client import ApiClient
    from skytells.net.console_api import ConsoleClient


def open_store() -> CredentialStore:
    """The credential store chosen by ``SKYTELLS_CREDENTIAL_STORE`` or ``config.json`` (default ``file``).

    Every secret the store hands out or saves is registered with the redaction step.
    """
    name, chosen_by = settings.credential_store_choice()
    store_class: type[CredentialStore] = plugins.choose(CREDENTIAL_STORES, name, chosen_by=chosen_by)
    return RegisteringStore(store_class())


class Context:
    """The choices and the shared objects of one run (see the module docstring)."""

    def __init__(self, *, stdin: IO[str] | None = None, stdout: IO[str] | None = None,
                 stderr: IO[str] | None = None, profile: str | None = None, debug: bool = False,
                 quiet: bool = False, non_interactive: bool = False) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        #: True with ``--debug``: tracebacks are shown.
        self.debug = debug
        #: True with ``-q``: the terminal shows no progress, success or detail lines.
        self.quiet = quiet
        #: True with ``--non-interactive`` or ``SKYTELLS_NONINTERACTIVE``: no question is ever asked; a
        #: confirmation fails at once naming its flag, and a secret is read from piped stdin only.
        self.non_interactive = non_interactive or non_interactive_from_env()
        self._profile = profile

    @cached_property
    def profile(self) -> str | None:
        """The profile chosen by ``--profile``, else ``SKYTELLS_PROFILE``; None means the stored default.

        A bad ``SKYTELLS_PROFILE`` raises UsageError when a command first asks.
        """
        return self._profile or settings.profile_from_env()

    @cached_property
    def terminal(self) -> Terminal:
        """Where commands print progress and messages (stderr) and ask questions (stdin)."""
        return Terminal(stdin=self.stdin, stderr=self.stderr, quiet=self.quiet, non_interactive=self.non_interactive)

    @cached_property
    def store(self) -> CredentialStore:
        """The credential store chosen by ``SKYTELLS_CREDENTIAL_STORE`` or ``config.json``, opened once."""
        return open_store()

    @cached_property
    def credentials(self) -> CredentialService:
        """The credentials of this run's profile: resolution, changes, refresh and renewal by the login method."""
        return CredentialService(self.store, self.profile, renew=renew_without_person)


    def console(self, server: str | None = None) -> ConsoleClient:
        """A client of the Skytells console at ``server`` (default: ``SKYTELLS_API_URL``, else the official one)."""
        # Only online: requests takes as long to import as cliff.app (1.03x); whoami --offline, auth token need none.
        from skytells.net.console_api import ConsoleClient  # noqa: PLC0415

        return ConsoleClient.at(server or settings.console_url())

    def client(self, target: str = "console", *, project: bool = False) -> ApiClient:
        """An authenticated client of ``target``: ``"console"``, ``"inference"`` or ``"issuer"``.

        It carries the credential that belongs there (the user token, refreshed
        when due and once after a 401; the API key; with ``project`` the project
        access key), sends it to that origin only, and maps error statuses to
        the documented exit codes. See ``skytells.cli.client``.
        """
        # Only for commands that call an API: it loads the HTTP client (requests: 1.03x cliff.app's import time).
        from skytells.cli.client import for_context  # noqa: PLC0415

        return for_context(self, target, project=project)

    def report_change(self, headline: str, *details: str, field: str) -> None:
        """Tell the user a credential (``field``) was saved or removed, the same way in every command.

        The headline and ``details`` (silent with ``-q``), then the warnings that
        apply: a variable of the environment that overrides the stored
        ``field``, and a store kept inside a git work tree.
        """
        credentials = self.credentials
        self.terminal.success(headline)
        for detail in details:
            self.terminal.detail(f"  {detail}")
        if variable := credentials.overridden_by_env(field):
            self.terminal.warning(f"{variable} is set in this environment and takes precedence over the stored "
                                  f"{field.replace('_', ' ')}.")
        location = self.store.location
        root = git_work_tree(Path(location).parent) if os.path.isabs(location) else None
        if root is not None:
            self.terminal.warning(f"The credentials are kept inside the git work tree {root}: keep them out of "
                                  "version control (set SKYTELLS_CONFIG_DIR elsewhere).")


def non_interactive_from_env() -> bool:
    """True when ``SKYTELLS_NONINTERACTIVE`` is set to a value that is not one of :data:`INTERACTIVE_VALUES`.

    Any other value counts, so that a setting such as ``true``, ``1`` or ``ci`` never leaves a run waiting.
    """
    return os.environ.get(ENV_NONINTERACTIVE, "").strip().lower() not in INTERACTIVE_VALUES


def renew_without_person(credential: Credential) -> Credential | None:
    """Have the login method that issued ``credential`` sign in again without a person (or None)."""
    # Only for a token that expired and has no refresh token: local commands load no login code (tests/startup).
    from skytells.login.renewal import renew_without_person as renew  # noqa: PLC0415

    return renew(credential)
