"""Version 1 import path: this name is :mod:`skytells.safety.redaction` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.safety import redaction as _module
from skytells.safety.redaction import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
