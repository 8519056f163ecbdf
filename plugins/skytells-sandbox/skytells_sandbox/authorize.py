"""The standard authorization endpoint: the authorization code grant with PKCE for native apps.

``GET /oauth/authorize`` (RFC 6749 section 4.1.1, RFC 7636 section 4.3)
checks the client and its redirect URI first, which must be a loopback IP
literal over plain http with any port (RFC 8252 section 7.3); a problem there
is shown on a page and never redirected. Other problems go back to the client
as ``error`` parameters. With ``auto_approve`` the browser goes straight back
with a code; otherwise a consent page asks, and its Approve or Deny
(``POST /oauth/authorize``) sends the browser back. Every answer carries
``iss`` (RFC 9207). :func:`redeem` is the token endpoint's
``authorization_code`` grant.
"""

from __future__ import annotations

import urllib.parse
from html import escape

from skytells_sandbox import pages
from skytells_sandbox.authcodes import CHALLENGE, AuthorizationRequest, CodeRefusedError
from skytells_sandbox.config import DEFAULT_SCOPES
from skytells_sandbox.context import Context
from skytells_sandbox.grants import TokenSet
from skytells_sandbox.messages import HTML_TYPE, InvalidBodyError, Request, Response
from skytells_sandbox.state import validate_scopes

AUTHORIZE_PATH = "/oauth/authorize"
AUTHORIZATION_CODE_GRANT_TYPE = "authorization_code"
PKCE_METHOD = "S256"
LOOPBACK_HOSTS = ("127.0.0.1", "::1")
# The consent form may send the browser back to a loopback redirect URI on any port.
_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self' http://127.0.0.1:* http://[::1]:*; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = (
    ("Content-Security-Policy", _POLICY),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
)


class _RefusedError(Exception):
    """The request cannot be sent back to the client: show ``message`` on a page with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _page(status: int, title: str, content: str) -> Response:
    return Response(status, pages._layout(title, content).encode("utf-8"), HTML_TYPE, _HEADERS)


def _problem_page(status: int, message: str) -> Response:
    content = f"<h1>Cannot sign in</h1>\n<p>{escape(message)}</p>"
    return _page(status, "Cannot sign in", content)


def _back(redirect_uri: str, parameters: dict[str, str], status: int = 302) -> Response:
    """Send the browser to ``redirect_uri`` with ``parameters`` added to its query."""
    query = urllib.parse.urlencode(parameters)
    location = redirect_uri + ("&" if urllib.parse.urlsplit(redirect_uri).query else "?") + query
    link = escape(location)
    body = f'<!DOCTYPE html>\n<p>Continue to <a href="{link}">{link}</a>.</p>\n'.encode()
    return Response(status, body, HTML_TYPE, (*_HEADERS, ("Location", location)))


def loopback_redirect(uri: str) -> bool:
    """True for ``http://127.0.0.1[:port]/...`` or ``http://[::1][:port]/...``, plainly written."""
    try:
        parts = urllib.parse.urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK_HOSTS
        and "@" not in parts.netloc
        and not parts.fragment
        and "#" not in uri
        and port != 0
        and uri.isprintable()
        and " " not in uri
    )


def _single(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for name, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if name in params:
            raise _RefusedError(400, f"{name} was sent more than once.")
        params[name] = value
    return params


def _client_and_redirect(ctx: Context, params: dict[str, str]) -> tuple[str, str]:
    """Checked first: a wrong one must not be redirected to (RFC 6749 section 4.1.2.1)."""
    client_id = params.get("client_id", "")
    if client_id not in ctx.config.client_ids:
        raise _RefusedError(400, "This application is not registered here (unknown client_id).")
    redirect_uri = params.get("redirect_uri", "")
    if not loopback_redirect(redirect_uri):
        raise _RefusedError(
            400, "The redirect_uri is not a loopback address over http (RFC 8252 7.3)."
        )
    return client_id, redirect_uri


def _error(
    ctx: Context, redirect_uri: str, state: str | None, error: str, description: str
) -> Response:
    parameters = {"error": error, "error_description": description}
    if state is not None:
        parameters["state"] = state
    parameters["iss"] = ctx.url
    return _back(redirect_uri, parameters)


def _approved(ctx: Context, request: AuthorizationRequest, status: int = 302) -> Response:
    parameters = {"code": ctx.state.authorization_codes.issue(request)}
    if request.state is not None:
        parameters["state"] = request.state
    parameters["iss"] = ctx.url
    return _back(request.redirect_uri, parameters, status)


def _consent_page(request_id: str, request: AuthorizationRequest) -> Response:
    items = "\n".join(
        f"<li>{escape(pages.SCOPE_LABELS.get(scope, scope))} <code>{escape(scope)}</code></li>"
        for scope in request.scopes
    )
    where = urllib.parse.urlsplit(request.redirect_uri).netloc
    content = f"""<h1>Authorize access?</h1>
<p><span class="client">{escape(request.client_id)}</span>
 is requesting access to your Skytells account, for the program listening on
 <code>{escape(where)}</code> on your computer.</p>
<p>It will be able to:</p>
<ul class="scopes">
{items}
</ul>
<form method="post" action="{AUTHORIZE_PATH}">
<input type="hidden" name="request" value="{escape(request_id)}">
<div class="actions">
<button type="submit" name="action" value="deny" class="secondary">Deny</button>
<button type="submit" name="action" value="approve">Approve</button>
</div>
</form>"""
    return _page(200, "Authorize access", content)


def authorize(ctx: Context, request: Request) -> Response:
    """``GET /oauth/authorize``: check the request, then approve at once or ask."""
    try:
        params = _single(request.query)
        client_id, redirect_uri = _client_and_redirect(ctx, params)
    except _RefusedError as refused:
        return _problem_page(refused.status, refused.message)
    state = params.get("state")
    if params.get("response_type") != "code":
        return _error(
            ctx, redirect_uri, state, "unsupported_response_type", "Only response_type=code"
        )
    challenge = params.get("code_challenge", "")
    if not challenge or params.get("code_challenge_method") != PKCE_METHOD:
        return _error(ctx, redirect_uri, state, "invalid_request", "PKCE with S256 is required")
    if not CHALLENGE.fullmatch(challenge):
        return _error(ctx, redirect_uri, state, "invalid_request", "code_challenge is malformed")
    scope_text = params.get("scope", "")
    try:
        scopes = (
            validate_scopes(scope_text.split(), ctx.config.standard_scopes)
            if scope_text.split()
            else DEFAULT_SCOPES
        )
    except ValueError as exc:
        return _error(ctx, redirect_uri, state, "invalid_scope", str(exc))
    wanted = AuthorizationRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scopes=scopes,
        state=state,
        code_challenge=challenge,
        nonce=params.get("nonce"),
    )
    if ctx.config.auto_approve:
        return _approved(ctx, wanted)
    return _consent_page(ctx.state.authorization_codes.hold(wanted), wanted)


def decide(ctx: Context, request: Request) -> Response:
    """``POST /oauth/authorize`` (form ``request``, ``action``): Approve or Deny."""
    try:
        form = request.form()
    except InvalidBodyError:
        return _problem_page(400, "The form could not be read.")
    action = form.get("action")
    if action not in ("approve", "deny"):
        return _problem_page(400, "Unknown action.")
    wanted = ctx.state.authorization_codes.decide(form.get("request", ""))
    if wanted is None:
        return _problem_page(
            404, "This request is unknown or already decided; start the sign-in again."
        )
    if action == "deny":
        response = _error(
            ctx, wanted.redirect_uri, wanted.state, "access_denied", "The user denied it"
        )
        return Response(303, response.body, response.content_type, response.headers)
    return _approved(ctx, wanted, 303)


def redeem(ctx: Context, params: dict[str, str], client_id: str) -> TokenSet | tuple[str, str]:
    """The token endpoint's ``authorization_code`` grant: the tokens a good code buys, or the
    ``(error, description)`` to answer (a reused code's tokens are revoked first)."""
    code = params.get("code", "")
    redirect_uri = params.get("redirect_uri", "")
    verifier = params.get("code_verifier", "")
    if not code or not redirect_uri or not verifier:
        return ("invalid_request", "code, redirect_uri and code_verifier are required")
    codes = ctx.state.authorization_codes
    try:
        approved = codes.redeem(code, client_id, redirect_uri, verifier)
    except CodeRefusedError as refused:
        ctx.state.revoke_tokens(codes.reused(code), "authorization_code_reuse")
        return (refused.error, refused.description)
    tokens = ctx.state.grant_tokens(client_id, approved.scopes)
    codes.bought(code, [token for token in (tokens.access_token, tokens.refresh_token) if token])
    return tokens
