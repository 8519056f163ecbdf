"""Version 1 import path: this name is :mod:`skytells.safety.sanitize` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.safety import sanitize as _module
from skytells.safety.sanitize import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
