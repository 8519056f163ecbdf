"""The secret canary: every secret a test handled must appear nowhere, not even in pieces.

A secret counts as shown when it, or any ``window``-long piece of its body
(what follows a known prefix such as ``sk_pat_``), appears in a text: a
masked ``sk_pat_********`` passes, ``...89abcdef0123...`` does not.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

#: Length of the pieces searched for: long enough not to turn up by chance, short enough to catch a partial leak.
DEFAULT_WINDOW = 12
#: Prefixes that say what a credential is; a masked credential shows them, so they are not part of a piece.
SECRET_PREFIX = re.compile(r"^(sk_(pat|proj)_|sbx_[a-z]+_)")
#: Fields of ``credentials.json`` (and of each of its profiles) that hold secrets.
SECRET_FIELDS = ("token", "refresh_token", "access_key", "api_key", "dpop_key")
#: Request parameters (JSON or form) that carry secrets (``subject_token``: a CI's ID token in a token exchange).
SECRET_PARAMETERS = ("device_code", "refresh_token", "token", "code", "code_verifier", "subject_token")
#: Commands whose standard output is a secret by design.
SECRET_PRINTING_COMMANDS = (("auth", "token"),)


def secret_pieces(secret: str, window: int = DEFAULT_WINDOW) -> set[str]:
    """The secret and every ``window``-long piece of its body (the whole secret when the body is shorter)."""
    body = SECRET_PREFIX.sub("", secret)
    if len(body) < window:
        return {secret}
    return {secret} | {body[i:i + window] for i in range(len(body) - window + 1)}


def find_leaks(texts: Iterable[tuple[str, str]], secrets: Iterable[str], window: int = DEFAULT_WINDOW) -> list[str]:
    """One line for each (labelled text, secret) where the secret or a piece of it appears.

    ``texts`` are ``(label, text)`` pairs; a label names where the text was
    shown ("the output of skytells whoami"). The lines quote no more of a
    secret than its first eight characters.
    """
    prepared = [(secret, secret_pieces(secret, window)) for secret in secrets if secret]
    return [f"a secret of {len(secret)} characters starting {secret[:8]!r} appears in {label}"
            for label, text in texts for secret, pieces in prepared if any(piece in text for piece in pieces)]


def prints_a_secret(args: Sequence[str]) -> bool:
    """True for a command line whose standard output is a secret by design (``skytells auth token``)."""
    words = tuple(args)
    return any(words[i:i + len(command)] == command
               for command in SECRET_PRINTING_COMMANDS for i in range(len(words)))


class SecretCanary:
    """The secrets one test handled, and the search for them in what was shown."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        self.window = window
        self.secrets: set[str] = set()

    def secret(self, value: str) -> str:
        """Register ``value`` (an empty one is ignored); return it."""
        if value:
            self.secrets.add(value)
        return value

    def collect_credentials(self, path: Path) -> None:
        """Register the secrets stored in a ``credentials.json`` (every profile); a missing file is fine,
        and anything but a regular file (a FIFO, a device, a directory) is left unopened."""
        with contextlib.suppress(OSError, ValueError):
            if not stat.S_ISREG(os.stat(path).st_mode):
                return
            document = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(document, dict):
                profiles = document.get("profiles")
                for record in (document, *(profiles.values() if isinstance(profiles, dict) else ())):
                    for name in SECRET_FIELDS:
                        if isinstance(record, dict) and isinstance(record.get(name), str):
                            self.secret(record[name])

    def collect_sandbox(self, sandbox: Any) -> None:
        """Register every credential a ``skytells_sandbox`` sandbox received: bearer and DPoP-bound tokens,
        API keys, device codes, refresh tokens, revoked tokens and the subject tokens of token exchanges."""
        for seen in sandbox.requests_seen:
            authorization = seen.header("Authorization") or ""
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() in ("bearer", "dpop"):
                self.secret(credential.strip())
            self.secret((seen.header("x-api-key") or "").strip())
            for value in _parameters(seen.body):
                self.secret(value)

    def leaks(self, texts: Iterable[tuple[str, str]]) -> list[str]:
        """:func:`find_leaks` for this canary's secrets."""
        return find_leaks(texts, list(self.secrets), self.window)

    def check(self, texts: Iterable[tuple[str, str]]) -> None:
        """Fail (AssertionError) when any secret or piece of one appears in ``texts``."""
        found = self.leaks(texts)
        assert not found, "\n".join(found)


def _parameters(body: bytes) -> list[str]:
    """The values of :data:`SECRET_PARAMETERS` in a JSON or form request body."""
    try:
        document = json.loads(body)
    except ValueError:
        with contextlib.suppress(UnicodeDecodeError, ValueError):
            form = parse_qs(body.decode())
            return [value for name in SECRET_PARAMETERS for value in form.get(name, [])]
        return []
    if not isinstance(document, dict):
        return []
    return [document[name] for name in SECRET_PARAMETERS if isinstance(document.get(name), str)]
