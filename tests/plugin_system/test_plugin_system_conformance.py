"""The built-in plugins pass the same conformance checks that skytells.testing offers plugin authors."""

from __future__ import annotations

from skytells.credentials.stores.file import FileStore
from skytells.login.token import TokenLoader
from skytells.testing import AuthenticatorConformance, CredentialStoreConformance, LoginCase


class TestFileStoreConformance(CredentialStoreConformance):
    store_class = FileStore


class TestTokenAuthenticatorConformance(AuthenticatorConformance):
    authenticator_class = TokenLoader

    def success_case(self, token, tmp_path):
        return LoginCase(stdin=token + "\n")

    def failure_cases(self, tmp_path):
        unknown = "sk_pat_" + "0" * 64
        project_key = "sk_proj_" + "5" * 48
        return [LoginCase(stdin=unknown + "\n", secrets=(unknown,)),
                LoginCase(stdin=project_key + "\n", secrets=(project_key,)),
                LoginCase(stdin="not a token\n"),
                LoginCase(stdin="")]
