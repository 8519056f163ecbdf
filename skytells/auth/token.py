"""Version 1 import path: this name is :mod:`skytells.login.token` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.login import token as _module
from skytells.login.token import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
