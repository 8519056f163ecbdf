"""Version 1 import path: this name is :mod:`skytells.credentials.stores.base` itself (docs/plugins.md, "Versions")."""

import sys

from skytells.credentials.stores import base as _module
from skytells.credentials.stores.base import *  # noqa: F403  (what type checkers and readers see)

sys.modules[__name__] = _module
