"""Signing in again without a person: the login method that issued an expired token, asked to renew it.

The credential service (a lower layer) cannot know login methods; the CLI's
context hands it :func:`renew_without_person`, which finds the method by the
name stored with the token and asks its loader (``MethodLoader.renew``).
"""

from __future__ import annotations

from skytells.credentials.model import Credential
from skytells.errors import SkytellsError
from skytells.login import registry


def renew_without_person(credential: Credential) -> Credential | None:
    """A new credential from the method that issued ``credential``; None when it is gone or cannot renew.

    Errors the method raises while trying (its source of proof is gone, the
    server refused) propagate: they say why and how to log in again.
    """
    try:
        loader = registry.get(credential.method)
    except SkytellsError:  # not installed any more, broken, or unusable here: it cannot renew
        return None
    return loader().renew(credential)
