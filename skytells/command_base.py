"""Version 1 import path: this name is :mod:`skytells.cli.command` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.cli import command as _module
from skytells.cli.command import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
