"""Version 1 import path: this name is :mod:`skytells.credentials.service` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.credentials import service as _module
from skytells.credentials.service import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
