"""Version 1 import path: this name is :mod:`skytells.terminal.ui` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.terminal import ui as _module
from skytells.terminal.ui import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
