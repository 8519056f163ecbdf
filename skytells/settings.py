"""Version 1 import path: this name is :mod:`skytells.config.settings` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.config import settings as _module
from skytells.config.settings import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
