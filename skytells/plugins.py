"""Version 1 import path: this name is :mod:`skytells.extensions.plugins` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.extensions import plugins as _module
from skytells.extensions.plugins import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
