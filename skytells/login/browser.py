"""The ``browser`` login method's loader: OAuth 2.0 authorization code with PKCE, for a native app.

The person signs in in a browser on this machine; the authorization server
sends it back to a listener on ``http://127.0.0.1:PORT/callback`` (RFC 8252),
and the code is traded for tokens with its PKCE verifier (RFC 7636, S256).
It works with standard OAuth 2.0 / OpenID Connect servers (``--issuer``): the
Skytells console documents only the device flow. This module declares the
method and stays light, as ``login --help`` and completion read it; the flow
is :mod:`skytells.login.browser_flow`, imported when the method is built.
"""

from __future__ import annotations

from skytells.login.browser_options import NAME, OPTIONS
from skytells.login.interface import ONE_STEP, LoginMethod, MethodLoader, OptionValues


class BrowserLoader(MethodLoader):
    """Sign in in a browser on this machine, which comes back to the CLI on 127.0.0.1."""

    name = NAME
    description = ("Sign in in a browser on this machine (OAuth 2.0 authorization code with PKCE; "
                   "a standard server, --issuer)")
    steps = ONE_STEP
    options = OPTIONS

    def build(self, options: OptionValues) -> LoginMethod:
        # The extension boundary: the flow, the listener and the HTTP stack load only when a browser login runs.
        from skytells.login.browser_flow import BrowserLogin  # noqa: PLC0415  (extension boundary)

        return BrowserLogin(options)
