"""Standard OAuth 2.0 authorization servers: discovery (RFC 8414 / OpenID Connect),
the device grant in its standard form (RFC 8628), the authorization code grant
with PKCE (RFC 7636) for a native client (RFC 8252), refresh, revocation
(RFC 7009), token exchange (RFC 8693) and OpenID Connect userinfo, each with
DPoP proofs (RFC 9449) when the client holds a key the server binds its tokens to.

Standard requests are form-encoded with ``client_id`` in the body and scopes
space-separated. Tokens from such servers are opaque strings of any format.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import Any

from skytells.errors import AuthError, ServerError, UsageError
from skytells.net.http import HttpClient, Response
from skytells.net.protocol.device_grant import DEVICE_GRANT_TYPE, DeviceGrantClientBase, TokenSet, parse_tokens
from skytells.net.protocol.dpop import ES256, NONCE_HEADER, USE_DPOP_NONCE, DPoPKey
from skytells.safety import redaction, values
from skytells.safety.sanitize import terminal_safe
from skytells.safety.urls import ServiceUrl, parse_service_url, shown

ISSUER_SETTING = "--issuer"
#: How a user names the device authorization endpoint a server's metadata leaves out.
DEVICE_ENDPOINT_SETTING = "--device-authorization-endpoint"

OFFLINE_ACCESS = "offline_access"
OPENID = "openid"
AUTHORIZATION_CODE_GRANT_TYPE = "authorization_code"
#: The one PKCE method this client uses (RFC 7636 section 4.2); ``plain`` is never offered.
PKCE_METHOD = "S256"


def new_code_verifier() -> str:
    """A fresh PKCE code verifier: 86 characters of the unreserved set (RFC 7636 section 4.1 asks 43 to 128)."""
    return secrets.token_urlsafe(64)


def s256_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: BASE64URL(SHA256(ASCII(verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")

#: OAuth 2.0 Token Exchange (RFC 8693): the grant and the token types the CLI names.
TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
#: The errors with which a server refuses an exchange for good (RFC 8693 section 2.2.2, RFC 6749 section 5.2).
EXCHANGE_REFUSALS = ("invalid_grant", "invalid_target", "unauthorized_client", "invalid_request", "invalid_scope",
                     "access_denied")


@dataclass(frozen=True)
class ServerMetadata:
    """What discovery tells about an authorization server; each endpoint passed the one URL rule."""

    issuer: str
    #: None when the metadata names none (django-oauth-toolkit): the device flow then needs it given.
    device_authorization_endpoint: ServiceUrl | None
    token_endpoint: ServiceUrl
    revocation_endpoint: ServiceUrl | None = None
    userinfo_endpoint: ServiceUrl | None = None
    scopes_supported: tuple[str, ...] | None = None
    #: Found through OpenID Connect discovery (or advertises a userinfo endpoint and ``openid``).
    openid: bool = False
    #: Where a browser is sent for the authorization code grant; None when the metadata names none.
    authorization_endpoint: ServiceUrl | None = None
    #: The PKCE methods the server names; None when it names none (RFC 8414 section 2).
    code_challenge_methods_supported: tuple[str, ...] | None = None
    #: The server sends ``iss`` with each authorization response (RFC 9207): the client must then check it.
    authorization_response_iss_parameter_supported: bool = False
    #: The grants the server lists (``grant_types_supported``); None when its metadata names none.
    grant_types_supported: tuple[str, ...] | None = None
    #: The DPoP proof algorithms the server accepts (RFC 9449 section 5.1); None: it does not do DPoP.
    dpop_signing_alg_values_supported: tuple[str, ...] | None = None

    @property
    def binds_with_es256(self) -> bool:
        """True when the server binds tokens to a key proven with ES256 DPoP proofs (the CLI's algorithm)."""
        return ES256 in (self.dpop_signing_alg_values_supported or ())

    def extra_scopes(self) -> tuple[str, ...]:
        """``offline_access`` when refresh tokens can be asked for, ``openid`` for OpenID Connect."""
        wanted = []
        if self.scopes_supported is None or OFFLINE_ACCESS in self.scopes_supported:
            wanted.append(OFFLINE_ACCESS)
        if self.openid:
            wanted.append(OPENID)
        return tuple(wanted)


def well_known_urls(issuer: ServiceUrl) -> list[tuple[ServiceUrl, bool]]:
    """Where to look for metadata, in order: RFC 8414, then OpenID Connect discovery (url, is_oidc)."""
    return [
        (issuer.with_path("/.well-known/oauth-authorization-server" + issuer.path), False),
        (issuer.join("/.well-known/openid-configuration"), True),
    ]


class Endpoints:
    """One keep-alive HttpClient per origin, for servers whose endpoints span hosts."""

    def __init__(self) -> None:
        self._clients: dict[str, HttpClient] = {}

    def request(self, method: str, url: ServiceUrl, **kwargs: Any) -> Response:
        """Send a request to ``url`` exactly (it passed the https-or-loopback rule when it was read)."""
        client = self._clients.get(url.origin)
        if client is None:
            client = self._clients[url.origin] = HttpClient(url)
        return client.request(method, url, **kwargs)


def discover(issuer: str, endpoints: Endpoints | None = None) -> ServerMetadata:
    """Fetch and check the issuer's metadata; UsageError/ServerError say what is wrong."""
    issuer_url = parse_service_url(issuer, ISSUER_SETTING)
    endpoints = endpoints or Endpoints()
    host = issuer_url.authority
    for url, is_oidc in well_known_urls(issuer_url):
        response = endpoints.request("GET", url)
        if response.status == 404:
            continue
        if response.status != 200 or not isinstance(response.data, dict):
            raise ServerError(f"{host} answered metadata discovery with {response.describe()}.")
        return _metadata(response.data, issuer_url, is_oidc)
    raise UsageError(f"{host} publishes no OAuth metadata (RFC 8414 or OpenID Connect discovery).",
                     hint="Check --issuer.")


def _metadata(data: dict[str, Any], issuer: ServiceUrl, is_oidc: bool) -> ServerMetadata:
    host = issuer.authority
    try:
        named = parse_service_url(str(data.get("issuer", "")), "issuer")
    except UsageError:
        named = None
    if named != issuer:
        raise ServerError(f"{host}'s metadata names a different issuer "
                          f"({shown(str(data.get('issuer')))}); refusing it (RFC 8414 section 3.3).")

    def optional(name: str) -> ServiceUrl | None:
        value = data.get(name)
        if not isinstance(value, str) or not value:
            return None
        return parse_service_url(value, f"the {name} in {host}'s metadata", endpoint=True)

    def required(name: str) -> ServiceUrl:
        url = optional(name)
        if url is None:
            raise ServerError(f"{host} names no {name} in its metadata.")
        return url

    # RECOMMENDED only (RFC 8414 section 2): an unusable list counts as absent.
    scopes_supported = values.if_usable(values.scope_list, data.get("scopes_supported"))
    userinfo = optional("userinfo_endpoint")
    methods = data.get("code_challenge_methods_supported")
    return ServerMetadata(
        issuer=issuer.text,
        device_authorization_endpoint=optional("device_authorization_endpoint"),
        token_endpoint=required("token_endpoint"),
        revocation_endpoint=optional("revocation_endpoint"),
        userinfo_endpoint=userinfo,
        scopes_supported=scopes_supported,
        openid=is_oidc or (userinfo is not None and OPENID in (scopes_supported or ())),
        authorization_endpoint=optional("authorization_endpoint"),
        code_challenge_methods_supported=tuple(m for m in methods if isinstance(m, str))
        if isinstance(methods, list) else None,
        authorization_response_iss_parameter_supported=data.get(
            "authorization_response_iss_parameter_supported") is True,
        grant_types_supported=_names(data.get("grant_types_supported")),
        dpop_signing_alg_values_supported=_names(data.get("dpop_signing_alg_values_supported")),
    )


def dpop_key_for(metadata: ServerMetadata, *, wanted: bool = True) -> DPoPKey | None:
    """A new key pair to bind a login's tokens to, when the server does ES256 DPoP and ``wanted`` (no ``--no-dpop``).

    The one helper every login method of a standard server calls before its token request: pass the key to
    :class:`OAuthClient` (``dpop=``), and keep :func:`kept_key` of it in the credential.
    """
    return DPoPKey.generate() if wanted and metadata.binds_with_es256 else None


def kept_key(key: DPoPKey | None, token_type: str) -> str | None:
    """What the credential keeps as ``dpop_key``: the key when the server bound the token to it, else None."""
    return key.stored() if key is not None and token_type.lower() == "dpop" else None


def _names(value: object) -> tuple[str, ...] | None:
    """A metadata list of short names or URIs (grant types, algorithms); None when absent or unusable."""
    if not isinstance(value, list) or len(value) > 100:
        return None
    if not all(isinstance(item, str) and 0 < len(item) <= 200 and item.isprintable() for item in value):
        return None
    return tuple(value)


class OAuthClient(DeviceGrantClientBase):
    """A public client of a standard authorization server."""

    def __init__(self, metadata: ServerMetadata, client_id: str, endpoints: Endpoints | None = None,
                 dpop: DPoPKey | None = None) -> None:
        self.metadata = metadata
        self.client_id = client_id
        self.endpoints = endpoints or Endpoints()
        #: The key tokens are (to be) bound to: every request to the server then carries a fresh DPoP proof.
        self.dpop = dpop
        self._nonces: dict[str, str] = {}  # the latest DPoP-Nonce of each origin

    def _send(self, method: str, url: ServiceUrl, *, form: dict[str, str] | None = None,
              access_token: str | None = None) -> Response:
        """One request, with a DPoP proof when the client holds a key (``ath`` when presenting ``access_token``).

        A server that asks for a nonce (``use_dpop_nonce`` with a ``DPoP-Nonce`` header) gets the request
        once more with a proof carrying it; the latest nonce of each origin is used for the next proof.
        """
        for attempt in (1, 2):
            headers: dict[str, str] = {}
            if self.dpop is not None:
                headers["DPoP"] = self.dpop.proof(method, url.text, access_token=access_token,
                                                  nonce=self._nonces.get(url.origin))
                if access_token is not None:
                    headers["Authorization"] = f"DPoP {access_token}"
            elif access_token is not None:
                headers["Authorization"] = f"Bearer {access_token}"
            response = self.endpoints.request(method, url, form=form, headers=headers)
            nonce = response.headers.get(NONCE_HEADER, "").strip()
            fresh = bool(nonce) and nonce.isprintable() and len(nonce) <= 512 and nonce != self._nonces.get(url.origin)
            if fresh:
                self._nonces[url.origin] = nonce
            if attempt == 1 and fresh and self.dpop is not None and _asks_for_nonce(response):
                continue
            return response
        raise AssertionError("unreachable")

    @property
    def host(self) -> str:  # type: ignore[override]
        """The authorization server's host, for messages."""
        return parse_service_url(self.metadata.issuer, ISSUER_SETTING).authority

    def _send_device_request(self, client_name: str, scopes: tuple[str, ...]) -> Response:
        wanted = list(dict.fromkeys((*scopes, *self.metadata.extra_scopes())))
        if self.metadata.device_authorization_endpoint is None:
            raise UsageError(f"{self.host} names no device_authorization_endpoint in its metadata.",
                             hint=f"Pass its URL with {DEVICE_ENDPOINT_SETTING} (the device flow needs it).")
        return self.endpoints.request("POST", self.metadata.device_authorization_endpoint,
                                      form={"client_id": self.client_id, "scope": " ".join(wanted)})

    def _send_token_request(self, device_code: str) -> Response:
        return self._send("POST", self.metadata.token_endpoint, form={
            "grant_type": DEVICE_GRANT_TYPE, "device_code": device_code, "client_id": self.client_id})

    def _failure(self, what: str, response: Response) -> Exception:
        if response.status in (400, 401) and response.error_code() == "invalid_client":
            return AuthError(f"{self.host} does not know the client id {terminal_safe(self.client_id, 100)!r} "
                             f"({response.describe()}).",
                             hint="Check --client-id (or SKYTELLS_CLIENT_ID): it must be registered there "
                                  "as a public client allowed to use the device grant (for --method browser: "
                                  "the authorization code grant with a loopback redirect).")
        return super()._failure(what, response)

    def authorization_url(self, *, redirect_uri: str, scopes: tuple[str, ...], state: str, code_challenge: str,
                          nonce: str | None = None) -> ServiceUrl:
        """Where to send the browser for an authorization code with PKCE (RFC 6749 4.1.1, RFC 7636 4.3).

        The endpoint's own query is kept; the parameters follow it. The result
        passed the one URL rule, so it is what a browser may be given.
        UsageError when the metadata names no authorization endpoint.
        """
        endpoint = self.metadata.authorization_endpoint
        if endpoint is None:
            raise UsageError(f"{self.host} names no authorization_endpoint in its metadata: it offers no "
                             "browser login.", hint="Run skytells login --method device.")
        wanted = list(dict.fromkeys((*scopes, *self.metadata.extra_scopes())))
        parameters = {"response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
                      "scope": " ".join(wanted), "state": state, "code_challenge": code_challenge,
                      "code_challenge_method": PKCE_METHOD}
        if nonce is not None:
            parameters["nonce"] = nonce
        query = urllib.parse.urlencode(parameters, quote_via=urllib.parse.quote, safe="")
        text = endpoint.text + ("&" if endpoint.query else "?") + query
        return parse_service_url(text, f"the authorization URL of {self.host}", endpoint=True)

    def exchange_code(self, code: str, code_verifier: str, redirect_uri: str) -> TokenSet:
        """Trade an authorization code and its PKCE verifier for tokens (RFC 6749 4.1.3, RFC 7636 4.5).

        AuthError when the server refuses the code (used, expired, another
        redirect URI, a verifier that does not match).
        """
        redaction.register(code)
        redaction.register(code_verifier)
        response = self._send("POST", self.metadata.token_endpoint, form={  # with a DPoP proof when binding
            "grant_type": AUTHORIZATION_CODE_GRANT_TYPE, "code": code, "redirect_uri": redirect_uri,
            "client_id": self.client_id, "code_verifier": code_verifier})
        if response.status == 200:
            return parse_tokens(response, self.host)
        if response.status in (400, 401) and response.error_code() != "invalid_client":
            raise AuthError(f"{self.host} refused the authorization code ({response.describe()}).",
                            hint="Run skytells login --method browser again.")
        raise self._failure("could not complete the browser login", response)

    def refresh(self, refresh_token: str) -> TokenSet:
        """Trade a refresh token for new tokens; AuthError when the server refuses it."""
        response = self._send("POST", self.metadata.token_endpoint, form={
            "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id})
        if response.status == 200:
            return parse_tokens(response, self.host)
        if response.status in (400, 401):
            raise AuthError(f"{self.host} refused to refresh the session ({response.describe()}).",
                            hint="Run skytells login again.")
        raise self._failure("could not refresh the session", response)

    def revoke(self, token: str, hint: str) -> bool:
        """Revoke ``token`` (RFC 7009); True when the server confirmed, False when it offers no revocation."""
        if not self.metadata.revocation_endpoint:
            return False
        response = self._send("POST", self.metadata.revocation_endpoint, form={
            "token": token, "token_type_hint": hint, "client_id": self.client_id})
        if response.status == 200:
            return True
        raise self._failure("did not confirm the revocation", response)

    def check_exchange_supported(self) -> None:
        """UsageError, naming what is missing, unless the server lists the token-exchange grant (RFC 8693)."""
        if TOKEN_EXCHANGE_GRANT_TYPE not in (self.metadata.grant_types_supported or ()):
            listed = "names no grant_types_supported" if self.metadata.grant_types_supported is None \
                else "does not list it in grant_types_supported"
            raise UsageError(f"{self.host} does not offer OAuth 2.0 token exchange: its metadata {listed} "
                             f"({TOKEN_EXCHANGE_GRANT_TYPE}).",
                             hint="Ask its administrators to enable token exchange for this client, or check --issuer.")

    def exchange(self, subject_token: str, subject_token_type: str, *, scopes: tuple[str, ...] = (),
                 audience: str | None = None, requested_token_type: str = ACCESS_TOKEN_TYPE) -> TokenSet:
        """Trade ``subject_token`` for an access token (RFC 8693); AuthError when the server refuses it.

        The server must list the grant (:meth:`check_exchange_supported`): nothing is sent otherwise.
        """
        self.check_exchange_supported()
        redaction.register(subject_token)  # a server may echo it in an error text
        form = {"grant_type": TOKEN_EXCHANGE_GRANT_TYPE, "subject_token": subject_token,
                "subject_token_type": subject_token_type, "requested_token_type": requested_token_type,
                "client_id": self.client_id}
        if scopes:
            form["scope"] = " ".join(scopes)
        if audience:
            form["audience"] = audience
        response = self._send("POST", self.metadata.token_endpoint, form=form)
        if response.status == 200:
            return parse_tokens(response, self.host)
        code = response.error_code()
        if response.status in (400, 401, 403) and code in (*EXCHANGE_REFUSALS, "invalid_client"):
            raise AuthError(f"{self.host} refused the token exchange ({code}, {response.describe()}).",
                            hint=EXCHANGE_HINTS.get(code or "", "Nothing was saved."))
        raise self._failure("could not exchange the token", response)

    def userinfo(self, access_token: str) -> dict[str, str]:
        """The OpenID Connect userinfo claims shown by whoami (subject, name, e-mail)."""
        if not self.metadata.userinfo_endpoint:
            return {}
        response = self._send("GET", self.metadata.userinfo_endpoint, access_token=access_token)
        if response.status == 401:
            raise AuthError(f"{self.host} did not accept the token for userinfo.")
        if response.status != 200 or not isinstance(response.data, dict):
            raise self._failure("could not return userinfo", response)
        return {k: terminal_safe(v, 200) for k, v in response.data.items()
                if k in ("sub", "name", "email", "preferred_username") and isinstance(v, str)}


#: What to check when a server refuses an exchange, by its error.
EXCHANGE_HINTS = {
    "invalid_grant": "The CI's ID token was not accepted (expired, or not trusted by the issuer); nothing was saved.",
    "invalid_target": "Check --audience: the issuer does not serve that audience; nothing was saved.",
    "unauthorized_client": "Check --client-id: it may not use token exchange there; nothing was saved.",
    "invalid_client": "Check --client-id (or SKYTELLS_CLIENT_ID); nothing was saved.",
}


def _asks_for_nonce(response: Response) -> bool:
    """True when ``response`` asks for a DPoP nonce: the token endpoint's error, or a resource's challenge."""
    if response.status == 400 and response.error_code() == USE_DPOP_NONCE:
        return True
    return response.status == 401 and USE_DPOP_NONCE in response.headers.get("www-authenticate", "")
