"""The ``token`` authenticator: a pasted personal access token."""

from __future__ import annotations

from skytells.config.settings import TOKENS_PATH, console_page
from skytells.credentials.model import Credential
from skytells.errors import AuthError, NetworkError, UsageError
from skytells.login.interface import LoginMethod, LoginRun, MethodLoader, OptionValues
from skytells.net.console_api import TokenStatus
from skytells.safety.masking import looks_like_pat, looks_like_project_key

PROMPT = "Paste your personal access token"


def read_token(login: LoginRun) -> str:
    """A hidden prompt on a terminal; otherwise one line of stdin (bounded, stripped, never empty)."""
    return login.terminal.read_secret("personal access token", PROMPT)


def check_format(token: str) -> None:
    """Refuse anything but ``sk_pat_`` + 64 hex digits, showing at most a known prefix."""
    if looks_like_pat(token):
        return
    if looks_like_project_key(token):
        raise UsageError("That is a project access key (sk_proj_...), not a personal access token.",
                         hint="Link it with: skytells link -")
    shown = " (it starts with sk_pat_)" if token.startswith("sk_pat_") else ""
    raise UsageError(f"That is not a personal access token{shown}: expected sk_pat_ followed by "
                     "64 hexadecimal characters.", hint=f"Copy it again from {console_page(TOKENS_PATH)}")


def check_with_console(login: LoginRun, token: str) -> None:
    """Ask the console whether ``token`` is valid: AuthError if it is not, NetworkError if it cannot tell."""
    with login.terminal.activity("Checking the token..."):
        check = login.api.check_token(token)
    if check.status is TokenStatus.INVALID:
        raise AuthError(f"Token is invalid: it contains a typo or has been revoked ({login.api.host} refused it).",
                        hint=f"Generate a new one at {console_page(TOKENS_PATH, login.server)}")
    if check.status is TokenStatus.UNKNOWN:
        raise NetworkError(f"Could not check the token, so it was not saved: {check.detail}")
    if check.detail:
        login.terminal.warning(f"The token is {check.summary}.")


class TokenLogin(LoginMethod):
    """Read a personal access token, check its format, then ask the console."""

    def run(self, login: LoginRun) -> Credential:
        terminal = login.terminal
        if login.scopes_requested:
            terminal.warning("--scopes has no effect with a personal access token: "
                             "its scopes were chosen when it was created.")
        token = read_token(login)
        check_format(token)
        check_with_console(login, token)
        return Credential(token=token, method=TokenLoader.name, host=login.server)


class TokenLoader(MethodLoader):
    """Log in with a personal access token."""

    name = "token"
    description = "Paste a personal access token (sk_pat_...), or pipe one on stdin (--token)"

    def build(self, options: OptionValues) -> LoginMethod:
        return TokenLogin()
