"""The one redaction step: every secret in play in this run is masked wherever it would be shown.

Everything the CLI shows passes through :func:`redact` on its way out: the
process's stdout and stderr (``skytells.terminal.streams`` wraps them at start-up),
and so the console log, ``--debug`` tracebacks and rich's output, and the
``--log-file`` (``skytells.cli.app`` gives its handler a redacting formatter).
It masks

- every secret registered during the run, wherever it came from: a store's
  ``load()`` or ``update()`` (``skytells.session.open_store``), the
  environment (``skytells.config.settings.credential_from_env``), stdin or a hidden
  prompt (``skytells.terminal.ui``), a request (bearer tokens, API keys, secret form
  and JSON fields) or a server's answer (``access_token``,
  ``refresh_token``, ``device_code``, ... in ``skytells.net.http``);
- anything shaped like a Skytells credential (``sk_pat_...``,
  ``sk_proj_...``, ``sk_`` and a random-looking key), registered or not.

A registered secret is masked wherever :data:`PIECE_LENGTH` or more of its
characters appear in a row, not only whole: a message cut at its length
limit, a table cell wrapped over two lines or a character escaped by a
formatter would otherwise show most of it.

Values shorter than :data:`MIN_SECRET_LENGTH` are not registered: no
credential is that short, and masking every ``true`` or ``1234`` that
happens to match would mangle ordinary output.
"""

from __future__ import annotations

import re

from skytells.safety.masking import mask

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: this module loads on every start-up
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any

#: Shorter values are never registered (see the module docstring).
MIN_SECRET_LENGTH = 8
#: A run of this many characters of a registered secret is masked, wherever it appears.
PIECE_LENGTH = 12
#: Only this much of a longer value is registered (no credential comes near it; a hostile answer might).
MAX_SECRET_LENGTH = 16384
#: JSON nodes looked at in one server answer for secret-named fields.
MAX_FIELDS_WALKED = 10000
#: Anything shaped like a Skytells credential: ``sk_pat_`` or ``sk_proj_`` and a key body of 8 characters
#: or more, or ``sk_`` and a random-looking one (16 characters or more, a digit among them). An identifier
#: such as ``sk_missing_module`` is not one.
CREDENTIAL_SHAPE = re.compile(r"(?<![A-Za-z0-9])sk_(?:(?:pat|proj)_[A-Za-z0-9_-]{8,}"
                              r"|(?=[A-Za-z_-]*[0-9])[A-Za-z0-9_-]{16,})")
#: Field names (of JSON, forms and stored records) whose values are secrets.
SECRET_FIELD_NAMES = frozenset({"access_token", "refresh_token", "id_token", "token", "device_code",
                                "client_secret", "api_key", "access_key", "password", "code_verifier"})
#: Request headers whose values are secrets.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "x-api-key", "cookie"})

def is_secret_field(name: object) -> bool:
    """True for a field name that holds a secret (``token``, ``refresh_token``, ``api_key``, ...)."""
    if not isinstance(name, str):
        return False
    lowered = name.lower()
    return lowered in SECRET_FIELD_NAMES or lowered.endswith(("_token", "_secret", "_key"))


class Redactor:
    """The secrets registered in one run, and the masking of them in any text."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pieces: dict[str, list[tuple[str, int]]] | None = None
        self._short: list[str] = []
        self._deferred: Callable[[], None] | None = None

    def register(self, value: object) -> None:
        """Mask ``value`` from now on (ignored unless it is a string of at least 8 characters)."""
        if not isinstance(value, str):
            return
        value = value.strip()[:MAX_SECRET_LENGTH]
        if len(value) >= MIN_SECRET_LENGTH and value not in self._secrets:
            self._secrets.add(value)
            self._pieces = None

    def register_fields(self, document: Any) -> None:
        """Register the value of every secret-named field in a JSON document or form (nested too)."""
        todo, walked = [document], 0
        while todo and walked < MAX_FIELDS_WALKED:
            node = todo.pop()
            walked += 1
            if isinstance(node, dict):
                for key, value in node.items():
                    if isinstance(value, str):
                        if is_secret_field(key):
                            self.register(value)
                    elif isinstance(value, dict | list):
                        todo.append(value)
            elif isinstance(node, list):
                todo.extend(item for item in node if isinstance(item, dict | list))

    def register_headers(self, headers: dict[str, str]) -> None:
        """Register the values of credential headers (of ``Authorization: Bearer X``, X alone)."""
        for name, value in headers.items():
            if name.lower() in SECRET_HEADERS and isinstance(value, str):
                self.register(value.strip().partition(" ")[2] or value)

    def register_stored(self, record: Any) -> None:
        """Register every secret of a store's record, every profile: each attribute named like a secret
        (``token``, ``refresh_token``, ``api_key``...) and the secret-named fields it keeps unread (``extra``)."""
        self._deferred = None  # the store has been seen: nothing left to look up before a message
        profiles = getattr(record, "profiles", None)
        for profile in (record, *(profiles.values() if isinstance(profiles, dict) else ())):
            for name, value in getattr(profile, "__dict__", {}).items():
                if is_secret_field(name):
                    self.register(value)
            self.register_fields(getattr(profile, "extra", None))

    def before_first_message(self, lookup: Callable[[], None]) -> None:
        """Call ``lookup`` (which registers secrets) once, before the first message is redacted.

        Messages (stderr, logs) may quote what the user typed before any store
        was opened; ``lookup`` registers the stored credentials for them. It
        is dropped once a store has been seen.
        """
        self._deferred = lookup

    def redact(self, text: str, *, message: bool = False) -> str:
        """``text`` with every registered secret and every credential-shaped word masked.

        ``message``: the text is a message (stderr, a log) rather than command
        output; the deferred lookup runs first if it has not yet.
        """
        if message and self._deferred is not None:
            lookup, self._deferred = self._deferred, None
            lookup()
        if self._secrets and len(text) >= MIN_SECRET_LENGTH:
            text = self._mask_registered(text)
        if "sk_" in text:
            text = CREDENTIAL_SHAPE.sub(lambda found: mask(found.group()), text)
        return text

    def _piece_index(self) -> tuple[dict[str, list[tuple[str, int]]], list[str]]:
        if self._pieces is None:
            pieces: dict[str, list[tuple[str, int]]] = {}
            for secret in self._secrets:
                for offset in range(len(secret) - PIECE_LENGTH + 1):
                    places = pieces.setdefault(secret[offset:offset + PIECE_LENGTH], [])
                    if len(places) < 4:  # a repetitive secret: a few starting points extend over all of it
                        places.append((secret, offset))
            self._pieces = pieces
            self._short = sorted((s for s in self._secrets if len(s) < PIECE_LENGTH), key=len, reverse=True)
        return self._pieces, self._short

    def _mask_registered(self, text: str) -> str:
        pieces, short = self._piece_index()
        spans: list[tuple[int, int]] = []
        for start in range(len(text) - PIECE_LENGTH + 1):
            for secret, offset in pieces.get(text[start:start + PIECE_LENGTH], ()):
                spans.append(_matching_span(text, start, secret, offset))
        for secret in short:
            found = text.find(secret)
            while found >= 0:
                spans.append((found, found + len(secret)))
                found = text.find(secret, found + 1)
        if not spans:
            return text
        parts, done = [], 0
        for start, end in _merged(spans):
            parts += [text[done:start], mask(text[start:end])]
            done = end
        parts.append(text[done:])
        return "".join(parts)


def _matching_span(text: str, start: int, secret: str, offset: int) -> tuple[int, int]:
    """The span of ``text`` around ``text[start:start + PIECE_LENGTH]`` that matches ``secret`` around ``offset``."""
    before = 0
    while before < min(start, offset) and text[start - before - 1] == secret[offset - before - 1]:
        before += 1
    end, position = start + PIECE_LENGTH, offset + PIECE_LENGTH
    while end < len(text) and position < len(secret) and text[end] == secret[position]:
        end += 1
        position += 1
    return start - before, end


def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


#: The redactor of this process's run (``skytells.main`` resets it for each run).
REDACTOR = Redactor()


def reset() -> None:
    """Forget every registered secret and the deferred lookup: a new run begins."""
    REDACTOR.__init__()  # type: ignore[misc]  # in place: modules may hold REDACTOR


def register(value: object) -> None:
    """Register one secret value (see :meth:`Redactor.register`)."""
    REDACTOR.register(value)


def registered(value: str) -> str:
    """Register ``value`` as a secret and return it: ``return registered(getpass(...))``."""
    REDACTOR.register(value)
    return value


def redact(text: str, *, message: bool = False) -> str:
    """``text`` with every secret in play masked (see :meth:`Redactor.redact`)."""
    return REDACTOR.redact(text, message=message)


def shaped_like_credential(text: str) -> bool:
    """True when ``text`` holds something shaped like a Skytells credential (``sk_pat_...``, ``sk_proj_...``)."""
    return CREDENTIAL_SHAPE.search(text) is not None
