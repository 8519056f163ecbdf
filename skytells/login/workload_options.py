"""The ``workload`` login method's name and options, shared by its loader and its flow."""

from __future__ import annotations

from skytells.errors import UsageError
from skytells.login.interface import LoginOption
from skytells.login.standard_options import ENV_CLIENT_ID, ENV_ISSUER, issuer_url

#: ``skytells login --method workload``.
NAME = "workload"
#: What GitHub Actions sets in a job allowed to ask for an ID token (``permissions: id-token: write``).
ENV_ACTIONS_URL = "ACTIONS_ID_TOKEN_REQUEST_URL"
ENV_ACTIONS_TOKEN = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"



def plain_text(text: str, origin: str) -> str | None:
    """A client id, an audience or a token type: printable, without spaces; None when blank."""
    value = text.strip()
    if not value:
        return None
    if len(value) > 512 or not value.isprintable() or any(character.isspace() for character in value):
        raise UsageError(f"{origin} must be printable text without spaces (at most 512 characters).")
    return value


def variable_name(text: str, origin: str) -> str:
    """``--id-token-env``: the name of an environment variable."""
    name = text.strip()
    if not name.isidentifier() or not name.isascii():
        raise UsageError(f"{origin} takes the name of an environment variable, such as SKYTELLS_ID_TOKEN.",
                         hint="Pass the variable's name, not its value.")
    return name


def file_path(text: str, origin: str) -> str:
    """``--id-token-file``: a path (read when the login runs)."""
    if not text.strip() or "\0" in text:
        raise UsageError(f"{origin} takes the path of a file holding the ID token.")
    return text.strip()


OPTIONS = (
    LoginOption("--issuer", f"The authorization server that exchanges the ID token, found through its metadata "
                f"(default: ${ENV_ISSUER}).", metavar="URL", env=ENV_ISSUER, parse=issuer_url),
    LoginOption("--client-id", f"This CLI's client id at --issuer (default: ${ENV_CLIENT_ID}).", metavar="ID",
                env=ENV_CLIENT_ID, parse=plain_text),
    LoginOption("--audience", "The audience asked for: sent with the exchange, and the ID token's audience in "
                "GitHub Actions (default there: the client id).", metavar="AUDIENCE", parse=plain_text),
    LoginOption("--id-token-file", "Read the CI's ID token from this file (instead of asking GitHub Actions).",
                metavar="PATH", parse=file_path),
    LoginOption("--id-token-env", "Read the CI's ID token from this environment variable, e.g. one of GitLab's "
                "id_tokens (instead of asking GitHub Actions).", metavar="NAME", parse=variable_name),
    LoginOption("--subject-token-type", "The ID token's type, as the exchange names it "
                "(default: urn:ietf:params:oauth:token-type:id_token).", metavar="URI", parse=plain_text),
)
