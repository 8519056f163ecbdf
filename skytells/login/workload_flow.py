"""The ``workload`` login method's flow: find the CI's ID token, exchange it (RFC 8693), keep how to do it again.

Where the ID token comes from (:class:`IdTokenSource`): ``--id-token-file``,
``--id-token-env``, or, in GitHub Actions (both ``ACTIONS_ID_TOKEN_REQUEST_URL``
and ``ACTIONS_ID_TOKEN_REQUEST_TOKEN`` set) and neither option given, GitHub's
ID-token endpoint. The ID token and GitHub's request token are secrets of the
CI: registered with the redaction step the moment they are read, never
stored, printed or logged. What is stored is the exchanged access token, its
expiry, and the facts to exchange again once it expires (the source, the
audience, the token type: never a token), through ``Credential.renewal``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from skytells.credentials import Credential, now_ms
from skytells.errors import AuthError, ExpiredTokenError, ServerError, UsageError
from skytells.login.interface import LoginMethod, LoginRun, OptionValues, text_option
from skytells.login.standard_options import ENV_CLIENT_ID, ENV_ISSUER
from skytells.login.workload_options import ENV_ACTIONS_TOKEN, ENV_ACTIONS_URL, NAME
from skytells.net.protocol.device_grant import TokenSet
from skytells.net.protocol.oauth import ID_TOKEN_TYPE, Endpoints, OAuthClient, discover
from skytells.safety import redaction
from skytells.safety.sanitize import terminal_safe
from skytells.safety.urls import parse_service_url
from skytells.safety.values import expiry_ms

GITHUB, FILE, ENV = "github", "file", "env"
#: The longest ID token read (a JWT is a few kilobytes at most).
MAX_ID_TOKEN = 65536
#: What an ID token may be made of: a JWT's base64url parts and dots (any printable ASCII without spaces, to
#: leave room for other formats a ``--subject-token-type`` names).
_PRINTABLE = frozenset(chr(code) for code in range(0x21, 0x7F))
LOGIN_AGAIN = f"Run skytells login --method {NAME} again where the CI's ID token is available."


def _checked_token(text: str, where: str) -> str:
    """The ID token read from ``where``: registered as a secret first, then checked (never quoted in an error)."""
    token = text.strip()
    redaction.register(token)
    if not token:
        raise UsageError(f"{where} holds no ID token (it is empty).")
    if len(token) > MAX_ID_TOKEN or not set(token) <= _PRINTABLE:
        raise UsageError(f"{where} does not hold an ID token (printable text without spaces, "
                         f"at most {MAX_ID_TOKEN} characters).")
    return token


@dataclass(frozen=True)
class IdTokenSource:
    """Where the CI's ID token comes from: GitHub Actions, a file or an environment variable."""

    kind: str
    path: str | None = None
    variable: str | None = None

    @classmethod
    def chosen(cls, options: OptionValues) -> IdTokenSource:
        """The source the options (or, without one, the GitHub Actions environment) choose; UsageError when none."""
        path, variable = text_option(options, "id_token_file"), text_option(options, "id_token_env")
        if path and variable:
            raise UsageError("--id-token-file and --id-token-env cannot be used together.",
                             hint="Pass the one that holds the CI's ID token.")
        if path:
            return cls(FILE, path=path)
        if variable:
            return cls(ENV, variable=variable)
        if os.environ.get(ENV_ACTIONS_URL) and os.environ.get(ENV_ACTIONS_TOKEN):
            return cls(GITHUB)
        raise UsageError("There is no CI ID token to exchange: this is not a GitHub Actions job allowed to ask for "
                         f"one ({ENV_ACTIONS_URL} and {ENV_ACTIONS_TOKEN} are not both set), and neither "
                         "--id-token-file nor --id-token-env was given.",
                         hint="In GitHub Actions grant 'permissions: id-token: write'; elsewhere pass "
                              "--id-token-env NAME or --id-token-file PATH (docs/automation.md).")

    @classmethod
    def from_facts(cls, facts: Mapping[str, str]) -> IdTokenSource | None:
        """The source a stored token keeps in its renewal facts; None when they name none this version knows."""
        kind = facts.get("id_token_source")
        if kind == GITHUB:
            return cls(GITHUB)
        if kind == FILE and facts.get("id_token_path"):
            return cls(FILE, path=facts["id_token_path"])
        if kind == ENV and facts.get("id_token_variable", "").isidentifier():
            return cls(ENV, variable=facts["id_token_variable"])
        return None

    def facts(self) -> dict[str, str]:
        """The facts that find this source again (never the token)."""
        facts = {"id_token_source": self.kind}
        if self.path:
            facts["id_token_path"] = self.path
        if self.variable:
            facts["id_token_variable"] = self.variable
        return facts

    @property
    def label(self) -> str:
        """The source, for messages."""
        if self.kind == FILE:
            return f"the file {terminal_safe(self.path or '', 200)}"
        if self.kind == ENV:
            return f"${self.variable}"
        return "GitHub Actions"

    def missing(self) -> str | None:
        """Why the source cannot give an ID token now (for a renewal), or None when it looks available."""
        if self.kind == GITHUB and not (os.environ.get(ENV_ACTIONS_URL) and os.environ.get(ENV_ACTIONS_TOKEN)):
            return f"{ENV_ACTIONS_URL} and {ENV_ACTIONS_TOKEN} are not set here"
        if self.kind == ENV and not os.environ.get(self.variable or ""):
            return f"${self.variable} is not set here"
        if self.kind == FILE and not Path(os.path.expanduser(self.path or "")).is_file():
            return f"{self.label} is not there"
        return None

    def read(self, audience: str) -> str:
        """The CI's ID token (``audience`` is asked of GitHub Actions); UsageError, AuthError or ServerError."""
        if self.kind == FILE:
            return self._from_file()
        if self.kind == ENV:
            value = os.environ.get(self.variable or "", "")
            redaction.register(value)
            if not value.strip():
                raise UsageError(f"--id-token-env: ${self.variable} is not set (or empty).",
                                 hint="In GitLab CI declare it under id_tokens: (docs/automation.md).")
            return _checked_token(value, f"${self.variable}")
        return _from_github(audience)

    def _from_file(self) -> str:
        path = Path(os.path.expanduser(self.path or ""))
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_ID_TOKEN + 1)
        except OSError as error:
            raise UsageError(f"--id-token-file: cannot read {self.label} ({error.strerror or 'unreadable'}).") \
                from None
        text = data.decode("ascii", errors="replace")
        return _checked_token(text, self.label)


def _from_github(audience: str) -> str:
    """Ask GitHub Actions' ID-token endpoint for a token whose audience is ``audience``."""
    request_token = os.environ.get(ENV_ACTIONS_TOKEN, "")
    redaction.register(request_token)
    url = parse_service_url(os.environ.get(ENV_ACTIONS_URL, "").strip(), ENV_ACTIONS_URL, endpoint=True)
    query = f"{url.query}&" if url.query else ""
    target = dataclasses.replace(url, query=f"{query}audience={quote(audience, safe='')}")
    response = Endpoints().request("GET", target, bearer=request_token.strip())
    host = url.authority
    if response.status in (401, 403):
        raise AuthError(f"GitHub Actions ({host}) refused to issue an ID token ({response.describe()}).",
                        hint="Grant the job 'permissions: id-token: write' (docs/automation.md).")
    value = response.data.get("value") if isinstance(response.data, dict) else None
    if response.status != 200 or not isinstance(value, str):
        raise ServerError(f"GitHub Actions ({host}) did not issue an ID token ({response.describe()}).")
    return _checked_token(value, f"The answer of {host}")


@dataclass(frozen=True)
class WorkloadLogin(LoginMethod):
    """One exchange of the CI's ID token at ``issuer`` for an access token."""

    issuer: str
    client_id: str
    source: IdTokenSource
    audience: str | None = None
    subject_token_type: str = ID_TOKEN_TYPE

    @classmethod
    def from_options(cls, options: OptionValues) -> WorkloadLogin:
        """The login the options describe; UsageError (before anything is read or sent) when one is missing."""
        issuer, client_id = text_option(options, "issuer"), text_option(options, "client_id")
        if not issuer:
            raise UsageError("The workload login needs the issuer that exchanges the ID token.",
                             hint=f"Pass --issuer URL or set {ENV_ISSUER}.")
        if not client_id:
            raise UsageError("The workload login needs this CLI's client id at the issuer.",
                             hint=f"Pass --client-id or set {ENV_CLIENT_ID}.")
        return cls(issuer=issuer, client_id=client_id, source=IdTokenSource.chosen(options),
                   audience=text_option(options, "audience"),
                   subject_token_type=text_option(options, "subject_token_type") or ID_TOKEN_TYPE)

    def run(self, login: LoginRun) -> Credential:
        return self.exchange(login.server, login.scopes, activity=login.terminal.activity)

    def renewal_facts(self) -> dict[str, str]:
        """What is kept to exchange again once the token expires: the source, audience and token type."""
        facts = self.source.facts()
        if self.audience:
            facts["audience"] = self.audience
        facts["subject_token_type"] = self.subject_token_type
        return facts

    def exchange(self, server: str, scopes: tuple[str, ...],
                 activity: Callable[[str], AbstractContextManager[Any]] | None = None) -> Credential:
        """Discover the issuer, check it offers token exchange, read the ID token and exchange it.

        The grant is checked before the ID token is read: an issuer without it gets no request at its token
        endpoint, and GitHub is not asked for a token that could not be used.
        """
        def step(text: str) -> AbstractContextManager[Any]:
            return activity(text) if activity is not None else nullcontext()

        with step("Reading the authorization server's metadata..."):
            client = OAuthClient(discover(self.issuer), self.client_id)
        client.check_exchange_supported()
        with step(f"Getting the CI's ID token from {self.source.label}..."):
            id_token = self.source.read(self.audience or self.client_id)
        with step(f"Exchanging it at {client.host}..."):
            tokens = client.exchange(id_token, self.subject_token_type, scopes=scopes, audience=self.audience)
        return self._credential(tokens, server, scopes, client)

    def _credential(self, tokens: TokenSet, server: str, scopes: tuple[str, ...], client: OAuthClient) -> Credential:
        # No refresh token is kept, even if one came: the ID token is the way to a new access token.
        return Credential(token=tokens.access_token, method=NAME, host=server,
                          scopes=tokens.scopes if tokens.scopes is not None else scopes,
                          token_type=tokens.token_type, expires_at=expiry_ms(tokens.expires_in, now_ms()),
                          issuer=client.metadata.issuer, client_id=self.client_id, renewal=self.renewal_facts())


def renew(credential: Credential) -> Credential:
    """Exchange a new ID token for the expired ``credential``'s; ExpiredTokenError when its source is gone."""
    facts = dict(credential.renewal or {})
    source = IdTokenSource.from_facts(facts)
    if source is None or not (credential.issuer and credential.client_id):
        raise ExpiredTokenError("The stored workload token has expired and its stored facts do not say where "
                                "the CI's ID token comes from.", hint=LOGIN_AGAIN)
    missing = source.missing()
    if missing:
        raise ExpiredTokenError(f"The stored workload token has expired and cannot be exchanged again: {missing}.",
                                hint=LOGIN_AGAIN)
    login = WorkloadLogin(issuer=credential.issuer, client_id=credential.client_id, source=source,
                          audience=facts.get("audience"),
                          subject_token_type=facts.get("subject_token_type") or ID_TOKEN_TYPE)
    return login.exchange(credential.host, credential.scopes or ())
