"""Version 1 import path: this name is :mod:`skytells.safety.masking` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.safety import masking as _module
from skytells.safety.masking import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
