"""Credentials: the model, the stores, tokens bound to their server, and the one service.

The model's names are importable from here too (``from skytells.credentials import Credential``),
as they were before the package was split.
"""

from skytells.credentials.model import (
    DEFAULT_PROFILE,
    OFFICIAL_SECRET_FIELDS,
    SECRET_FIELDS,
    Credential,
    PendingLogin,
    StoredCredentials,
    local_time,
    now_ms,
)

__all__ = ["DEFAULT_PROFILE", "OFFICIAL_SECRET_FIELDS", "SECRET_FIELDS", "Credential", "PendingLogin",
           "StoredCredentials", "local_time", "now_ms"]
