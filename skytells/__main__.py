"""Allow ``python -m skytells``."""

import sys

from skytells.main import main

sys.exit(main())
