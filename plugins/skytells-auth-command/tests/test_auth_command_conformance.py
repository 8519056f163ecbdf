"""The standard authenticator checks of skytells.testing, applied to the ``command`` method."""

from __future__ import annotations

from auth_command_helpers import LOCKED_VAULT, PRINT_VAULT_TOKEN
from skytells_auth_command.authenticator import CommandAuthenticator

from skytells.testing import AuthenticatorConformance, LoginCase

REVOKED_LOOKING = "sk_pat_" + "0" * 64


class TestCommandAuthenticatorConformance(AuthenticatorConformance):
    authenticator_class = CommandAuthenticator

    def success_case(self, token, tmp_path):
        return LoginCase(options={"command": PRINT_VAULT_TOKEN}, argv=["--command", PRINT_VAULT_TOKEN],
                         env={"FAKE_VAULT_TOKEN": token})

    def failure_cases(self, tmp_path):
        leaked = "sk_pat_" + "7" * 64
        missing = "/nonexistent/vault-cli read item"
        project_key = "sk_proj_" + "d" * 48
        return [
            LoginCase(options={"command": LOCKED_VAULT}, argv=["--command", LOCKED_VAULT],
                      env={"FAKE_VAULT_TOKEN": leaked}, secrets=(leaked,)),
            LoginCase(options={"command": PRINT_VAULT_TOKEN}, argv=["--command", PRINT_VAULT_TOKEN],
                      env={"FAKE_VAULT_TOKEN": REVOKED_LOOKING}, secrets=(REVOKED_LOOKING,)),
            LoginCase(options={"command": missing}, argv=["--command", missing]),
            LoginCase(options={"command": PRINT_VAULT_TOKEN}, argv=["--command", PRINT_VAULT_TOKEN],
                      env={"FAKE_VAULT_TOKEN": project_key}, secrets=(project_key,)),
            LoginCase(),
        ]
