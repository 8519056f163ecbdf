"""Permission scopes a login may request."""

from __future__ import annotations

from skytells.errors import UsageError
from skytells.safety.sanitize import terminal_safe

KNOWN_SCOPES = (
    "inference",
    "projects.read",
    "projects.write",
    "deployments.read",
    "deployments.write",
    "keys.read",
    "keys.write",
    "account.read",
)
DEFAULT_SCOPES = ("inference", "projects.read", "deployments.read", "account.read")


def parse_scopes(text: str | None) -> tuple[str, ...]:
    """Parse a comma-separated ``--scopes`` value; ``None`` gives the defaults.

    Raises UsageError (exit 2) naming the valid scopes when one is unknown.
    """
    if text is None:
        return DEFAULT_SCOPES
    requested: list[str] = []
    for part in text.split(","):
        scope = part.strip()
        if scope and scope not in requested:
            requested.append(scope)
    if not requested:
        raise UsageError("--scopes needs at least one scope.", hint=f"Valid scopes: {', '.join(KNOWN_SCOPES)}.")
    unknown = [s for s in requested if s not in KNOWN_SCOPES]
    if unknown:
        raise UsageError(
            f"Unknown scope {terminal_safe(', '.join(unknown), 80)!r}.",
            hint=f"Valid scopes: {', '.join(KNOWN_SCOPES)}.",
        )
    return tuple(requested)
