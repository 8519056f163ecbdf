"""Version 1 import path: this name is :mod:`skytells.login.base` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.login import base as _module
from skytells.login.base import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
