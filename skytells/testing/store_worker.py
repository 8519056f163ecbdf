"""Worker process of the concurrency check: ``python -m skytells.testing.store_worker MODULE:CLASS COUNT``.

Makes COUNT counter updates through fresh instances of the store class,
reading its settings (``SKYTELLS_CONFIG_DIR``...) from the environment.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from skytells.testing.stores import run_counter_updates


def main(argv: list[str]) -> int:
    """Run the updates; the exit status is 0 when all were saved."""
    target, count = argv
    module_name, _, qualname = target.partition(":")
    store_class: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        store_class = getattr(store_class, part)
    run_counter_updates(store_class, int(count))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
