"""The ``command`` authenticator: ``skytells login --method command --command "op read op://vault/skytells/token"``.

This module stays light (``skytells login --help`` imports it to list the
options); running the command happens in :mod:`skytells_auth_command.runner`.
"""

from __future__ import annotations

from skytells.auth.base import Authenticator, LoginContext, LoginOption
from skytells.credentials import Credential

ENV_COMMAND = "SKYTELLS_AUTH_COMMAND"
ENV_SHELL = "SKYTELLS_AUTH_COMMAND_SHELL"
ENV_TIMEOUT = "SKYTELLS_AUTH_COMMAND_TIMEOUT"
#: Seconds; generous because a password manager may wait for its owner to unlock it.
DEFAULT_TIMEOUT = 60.0


class CommandAuthenticator(Authenticator):
    """Log in with the personal access token a command prints (git credential helper style)."""

    name = "command"
    description = "Use the token a command prints, e.g. a password manager's CLI (--command)"
    options = (
        LoginOption("--command", "The command that prints a personal access token on stdout; "
                    f"run without a shell unless --shell is given (default: ${ENV_COMMAND}).",
                    metavar="COMMAND", env=ENV_COMMAND),
        LoginOption("--shell", f"Run --command through the shell, for pipes and variables (default: ${ENV_SHELL}).",
                    is_switch=True, env=ENV_SHELL),
        LoginOption("--command-timeout", f"Seconds to wait for the command (default: ${ENV_TIMEOUT}, "
                    f"else {DEFAULT_TIMEOUT:g}).", metavar="SECONDS", env=ENV_TIMEOUT),
    )
    api_version = 1

    def authenticate(self, login: LoginContext) -> Credential:
        from skytells.auth.token import check_format, check_with_console
        from skytells.errors import UsageError
        from skytells_auth_command.runner import TokenCommand, run_token_command

        spec = TokenCommand.from_options(login.options)
        terminal = login.terminal
        if login.scopes_requested:
            terminal.warning("--scopes has no effect with a personal access token: "
                             "its scopes were chosen when it was created.")
        with terminal.activity(f"Running the token command ({spec.program})..."):
            token = run_token_command(spec)
        try:
            check_format(token)
        except UsageError as error:
            said = error.message[:1].lower() + error.message[1:]
            raise UsageError(f"The token command's output is not usable: {said}", hint=error.hint) from None
        check_with_console(login, token)
        return Credential(token=token, method=self.name, host=login.server)
