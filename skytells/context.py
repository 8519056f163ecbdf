"""Version 1 import path: this name is :mod:`skytells.cli.context` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.cli import context as _module
from skytells.cli.context import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
