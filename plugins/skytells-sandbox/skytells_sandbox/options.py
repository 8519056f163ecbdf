"""Command-line options of the sandbox server, shared by ``skytells sandbox`` and ``python -m``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from skytells_sandbox.config import DEFAULT_CLIENT_IDS, DIALECTS, SandboxConfig

DEFAULT_PORT = 8765
TEST_CREDENTIALS_HELP = """\
Test credentials: with the sandbox running and its two export lines in
effect, each POST below mints a new fake credential, answered as JSON.
  personal access token (field token, sk_pat_...) for skytells login --token:
    curl -s -X POST "$SKYTELLS_API_URL/_sandbox/tokens"
  project access key (field access_key, sk_proj_...) for skytells link -:
    curl -s -X POST "$SKYTELLS_API_URL/_sandbox/project-keys"
  API key (field api_key, sbx_key_...) for skytells api-key set:
    curl -s -X POST "$SKYTELLS_API_URL/_sandbox/api-keys"
Those commands read the value from stdin, for example:
  curl -s -X POST "$SKYTELLS_API_URL/_sandbox/tokens" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' |
    skytells login --token
See "Test credentials" in the skytells-sandbox README for all three."""


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be positive")
    return value


def keep_line_breaks(
    formatter: type[argparse.HelpFormatter],
) -> type[argparse.HelpFormatter]:
    """A subclass of ``formatter`` that prints the description and epilog line by line."""

    class KeepLineBreaks(formatter):  # type: ignore[valid-type,misc]
        def _fill_text(self, text: str, width: int, indent: str) -> str:
            # The epilog holds commands to copy; rewrapping would join them into one paragraph.
            return "".join(indent + line for line in text.splitlines(keepends=True))

    return KeepLineBreaks


def add_server_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the server's options to ``parser`` and return it."""
    parser.add_argument(
        "--port",
        type=_non_negative_int,
        default=DEFAULT_PORT,
        help=f"TCP port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free port).",
    )
    parser.add_argument(
        "--interval",
        type=_non_negative_int,
        default=5,
        help="Polling interval in seconds announced to clients (default 5).",
    )
    parser.add_argument(
        "--expires-in",
        type=_non_negative_int,
        default=900,
        dest="expires_in",
        help="Lifetime of a device code in seconds (default 900).",
    )
    parser.add_argument(
        "--auto-approve",
        action="store_true",
        dest="auto_approve",
        help="Approve every device request as soon as it is made.",
    )
    parser.add_argument(
        "--dialect",
        choices=DIALECTS,
        default="console",
        help="Token endpoint answers: console status codes (default) or RFC 8628 400 bodies.",
    )
    parser.add_argument(
        "--slow-down",
        type=_non_negative_int,
        default=0,
        dest="slow_down",
        metavar="N",
        help="Answer slow_down to the first N polls of each device code (rfc8628 only).",
    )
    parser.add_argument(
        "--oidc",
        action="store_true",
        help="Act as an OpenID Connect provider: discovery, the openid scope and userinfo.",
    )
    parser.add_argument(
        "--no-oauth-metadata",
        action="store_false",
        dest="oauth_metadata",
        help="Answer 404 at /.well-known/oauth-authorization-server (RFC 8414).",
    )
    parser.add_argument(
        "--token-lifetime",
        type=_positive_int,
        default=3600,
        dest="token_lifetime",
        metavar="SECONDS",
        help="Lifetime of a standard-mode access token in seconds (default 3600).",
    )
    parser.add_argument(
        "--client-id",
        action="append",
        dest="client_ids",
        metavar="ID",
        help=f"Register an OAuth client id; repeatable (default {', '.join(DEFAULT_CLIENT_IDS)}).",
    )
    parser.add_argument(
        "--no-token-exchange",
        action="store_false",
        dest="token_exchange",
        help="Refuse OAuth 2.0 token exchange (RFC 8693) and leave it out of the metadata.",
    )
    parser.add_argument(
        "--dpop",
        action="store_true",
        help="Bind tokens to the client's key when it sends DPoP proofs (RFC 9449, ES256).",
    )
    parser.add_argument(
        "--dpop-nonce",
        action="store_true",
        dest="dpop_nonce",
        help="With --dpop: require the server's nonce in every proof (use_dpop_nonce).",
    )
    parser.add_argument(
        "--quiet",
        action="store_true",
        help="Do not log one 'METHOD /path STATUS' line per request.",
    )
    return parser


def config_from_options(options: argparse.Namespace, **overrides: Any) -> SandboxConfig:
    """Build a :class:`SandboxConfig` from parsed options; ``ValueError`` if they clash."""
    if options.slow_down and options.dialect != "rfc8628":
        raise ValueError("--slow-down needs --dialect rfc8628")
    if options.expires_in == 0:
        raise ValueError("--expires-in must be positive")
    if getattr(options, "dpop_nonce", False) and not getattr(options, "dpop", False):
        raise ValueError("--dpop-nonce needs --dpop")
    fields: dict[str, Any] = {
        "port": options.port,
        "interval": options.interval,
        "expires_in": options.expires_in,
        "auto_approve": options.auto_approve,
        "dialect": options.dialect,
        "slow_down_polls": options.slow_down,
        "access_log": None if options.quiet else sys.stderr,
        "oidc": options.oidc,
        "oauth_metadata": options.oauth_metadata,
        "token_lifetime": options.token_lifetime,
        "client_ids": tuple(options.client_ids or DEFAULT_CLIENT_IDS),
        "token_exchange": getattr(options, "token_exchange", True),
        "dpop": getattr(options, "dpop", False),
        "dpop_nonce": getattr(options, "dpop_nonce", False),
    }
    fields.update(overrides)
    return SandboxConfig(**fields)
