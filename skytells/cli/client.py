"""Authenticated API clients for commands: the right credential for each Skytells API, from the run's context.

``for_context(context, target)`` (also ``context.client(target)``) returns
a :class:`skytells.net.api_client.ApiClient` for one of the :data:`TARGETS`:

``console``
    The Skytells console (``SKYTELLS_API_URL``, else the server the stored
    token was issued by, else the official console), with the profile's
    user token as ``Authorization: Bearer``: ``SKYTELLS_TOKEN`` first, else
    the stored token, bound to its server and refreshed before it expires;
    after a 401 a refreshable token is refreshed once and the request sent
    again. With ``project=True``, the project access key instead (``skytells
    link``; ``SKYTELLS_ACCESS_KEY`` first).
``inference``
    The inference API (``SKYTELLS_AI_API_URL``, default
    ``https://api.skytells.ai/v1``), with the API key as ``x-api-key``
    (``SKYTELLS_API_KEY`` first, else ``skytells api-key set``'s).
``issuer``
    The origin of the standard OAuth provider that issued the profile's
    token (``login --issuer``), with that token (refreshed the same way).

A stored key or token is sent only where it was saved for: a stored API
key saved for another inference URL, or a project key linked at another
console, is refused (AuthError, exit 4) rather than sent to the URL the
environment now names. Credentials from the environment are the user's
explicit choice and go where the environment points.

Nothing is read or sent until the first request, so a URL the client
refuses costs no request at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from skytells.config import settings
from skytells.credentials import tokens
from skytells.credentials.tokens import ActiveToken
from skytells.errors import AuthError, NotLoggedInError, UsageError
from skytells.net.api_client import ApiClient, ApiCredential, OutgoingRequest, RequestSigner
from skytells.safety.masking import mask
from skytells.safety.urls import ServiceUrl, parse_service_url

if TYPE_CHECKING:
    from skytells.cli.context import Context
    from skytells.credentials.model import Credential
    from skytells.credentials.service import CredentialService

#: The APIs a client can be made for.
TARGETS = ("console", "inference", "issuer")


def for_context(context: Context, target: str = "console", *, project: bool = False,
                signer: RequestSigner | None = None, timeout: tuple[float, float] | None = None) -> ApiClient:
    """A client of ``target`` (one of :data:`TARGETS`) carrying the credential that belongs there.

    ``project`` sends the project access key to the console instead of the
    user token. ``signer`` is called with every request before it is sent
    (the seam for proof-of-possession tokens; none is needed today).
    Raises UsageError for an unknown target, or an ``issuer`` target without
    a token from a standard provider; a missing credential is an AuthError
    (exit 4) at the first request.
    """
    credentials = context.credentials
    if target == "console":
        if project:
            return _project_client(credentials, signer, timeout)
        return _console_client(credentials, signer, timeout)
    if project:
        raise UsageError("A project access key is sent to the console only.")
    if target == "inference":
        return _inference_client(credentials, signer, timeout)
    if target == "issuer":
        return _issuer_client(credentials, signer, timeout)
    raise UsageError(f"Unknown API {target[:40]!r}.", hint=f"Choose one of: {', '.join(TARGETS)}.")


def _stored_token(credentials: CredentialService) -> Credential | None:
    """The profile's stored token with its facts, unless ``SKYTELLS_TOKEN`` overrides it."""
    if credentials.overridden_by_env("token"):
        return None
    return credentials.profile_record().token_credential()


def _token_credential(credentials: CredentialService, server: str, what: str) -> ApiCredential:
    """The user token (refreshed when due) as a bearer credential that can be renewed once after a 401."""
    active = credentials.active_token(server=server)
    return _bearer(credentials, active, what)


def _bearer(credentials: CredentialService, active: ActiveToken, what: str) -> ApiCredential:
    """The user token as ``Authorization: Bearer``; a token bound to a key as ``DPoP``, with a fresh proof."""
    def renew() -> ApiCredential | None:
        fresh = credentials.renew_token(active)
        return None if fresh is None else _bearer(credentials, fresh, what)

    key = tokens.dpop_key(active.credential) if active.credential is not None else None
    if key is None:
        return ApiCredential("Authorization", f"Bearer {active.token}", what, renew=renew)

    def prove(request: OutgoingRequest) -> None:  # RFC 9449 section 7.1: a proof with the token's hash
        request.headers["DPoP"] = key.proof(request.method, request.url, access_token=active.token)

    return ApiCredential("Authorization", f"DPoP {active.token}", what, renew=renew, sign=prove)


def _console_client(credentials: CredentialService, signer: RequestSigner | None,
                    timeout: tuple[float, float] | None) -> ApiClient:
    stored = _stored_token(credentials)
    server = credentials.server_for(stored)
    setting = settings.ENV_CONSOLE_URL if settings.console_url_from_env() or not (stored and stored.host) \
        else "the stored token's server"
    return ApiClient(parse_service_url(server, setting), name="the console", setting=setting,
                     credential=lambda: _token_credential(credentials, server, "the user token"),
                     signer=signer, timeout=timeout,
                     hint_on_401=f"Run skytells login again (or set {settings.ENV_TOKEN}).")


def _bound_secret(credentials: CredentialService, field: str, url: ServiceUrl, what: str) -> str | None:
    """The ``field`` credential in effect, refused when it was stored for another server than ``url``."""
    resolved = credentials.resolve(field)
    if resolved.value is None:
        return None
    if resolved.origin == "store":
        host = credentials.profile_record().facts(field).get("host")
        if host and not _same_base(host, url):
            raise AuthError(f"The stored {what} ({mask(resolved.value)}) was saved for {host}, not {url.text}; "
                            "it is only ever sent to its own server.",
                            hint=f"Save one for {url.text} (use --profile to keep both), or unset "
                                 f"{url.setting or 'the variable that points elsewhere'}.")
    return resolved.value


def _same_base(saved: str, url: ServiceUrl) -> bool:
    try:
        return parse_service_url(saved, "the saved server").text.rstrip("/") == url.text.rstrip("/")
    except UsageError:
        return False


def _project_client(credentials: CredentialService, signer: RequestSigner | None,
                    timeout: tuple[float, float] | None) -> ApiClient:
    from_env = settings.console_url_from_env()
    saved = None if credentials.overridden_by_env("access_key") else \
        credentials.profile_record().facts("access_key").get("host")
    setting = settings.ENV_CONSOLE_URL if from_env or not saved else "the project key's server"
    url = parse_service_url(from_env or saved or settings.console_url(), setting)

    def credential() -> ApiCredential:
        key = _bound_secret(credentials, "access_key", url, "project access key")
        if key is None:
            where = f" in profile {credentials.profile!r}" if credentials.profile else ""
            raise NotLoggedInError(f"No project access key is linked{where}.",
                                   hint=f"Run skytells link - (or set {settings.ENV_ACCESS_KEY}).")
        return ApiCredential("Authorization", f"Bearer {key}", "the project access key")

    return ApiClient(url, name="the console", setting=setting, credential=credential, signer=signer,
                     timeout=timeout, hint_on_401="Link the project again: skytells link -")


def _inference_client(credentials: CredentialService, signer: RequestSigner | None,
                      timeout: tuple[float, float] | None) -> ApiClient:
    url = parse_service_url(settings.inference_url(), settings.ENV_INFERENCE_URL)
    keys_page = settings.console_page(settings.API_KEYS_PATH)

    def credential() -> ApiCredential:
        key = _bound_secret(credentials, "api_key", url, "API key")
        if key is None:
            where = f" in profile {credentials.profile!r}" if credentials.profile else ""
            raise NotLoggedInError(f"No API key is set{where}.",
                                   hint=f"Run skytells api-key set (or set {settings.ENV_API_KEY}).")
        return ApiCredential("x-api-key", key, "the API key")

    return ApiClient(url, name="the inference API", setting=settings.ENV_INFERENCE_URL, credential=credential,
                     signer=signer, timeout=timeout,
                     hint_on_401=f"Check the API key (skytells api-key set); keys are at {keys_page}")


def _issuer_client(credentials: CredentialService, signer: RequestSigner | None,
                   timeout: tuple[float, float] | None) -> ApiClient:
    if credentials.overridden_by_env("token"):
        raise UsageError(f"{settings.ENV_TOKEN} is set, and its issuer is unknown: the issuer's API is used with "
                         "a stored token from a standard provider only.", hint=f"Unset {settings.ENV_TOKEN}.")
    stored = credentials.profile_record().token_credential()
    if stored is None:
        raise credentials.not_logged_in()
    if not stored.issuer:
        raise UsageError("The profile's token is not from a standard OAuth provider (it has no issuer).",
                         hint="Log in with skytells login --issuer URL --client-id ID.")
    issuer = parse_service_url(stored.issuer, "the stored token's issuer")
    origin = ServiceUrl(issuer.scheme, issuer.host, issuer.port, "", None, "the stored token's issuer")

    def credential() -> ApiCredential:
        # Bound to the server it was issued for, not to SKYTELLS_API_URL: it goes to its issuer here.
        return _token_credential(credentials, stored.host or settings.console_url(), "the user token")

    return ApiClient(origin, name=f"the issuer {issuer.authority}", setting="the stored token's issuer",
                     credential=credential, signer=signer, timeout=timeout,
                     hint_on_401="Run skytells login again.")
