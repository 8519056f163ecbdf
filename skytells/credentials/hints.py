"""Commands quoted in hints: ``skytells [--profile NAME] WORDS``, the one way they are written.

Every hint that tells the user a command to run goes through
:func:`command_for`, so the command names the profile in use and works as
typed: a profile named like an option (``-x``) is passed as
``--profile=-x``, which argparse cannot take for an option of its own, and
anything a shell would read specially is quoted.
"""

from __future__ import annotations

import shlex

PROGRAM = "skytells"


def command_for(profile: str | None, *words: str) -> str:
    """The command line that runs ``skytells WORDS`` for ``profile`` (None: the default profile).

    ``command_for("work", "login")`` is ``skytells --profile work login``;
    ``command_for("-x", "logout", "--force")`` is ``skytells --profile=-x logout --force``;
    ``command_for(None, "login")`` is ``skytells login``.
    """
    parts = [PROGRAM]
    if profile:
        quoted = shlex.quote(profile)
        parts.append(f"--profile={quoted}" if profile.startswith("-") else f"--profile {quoted}")
    parts.extend(shlex.quote(word) for word in words)
    return " ".join(parts)
