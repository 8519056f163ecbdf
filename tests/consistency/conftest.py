"""Fixtures for the consistency tests: those of the end-to-end and start-up suites, reused as they are.

``e2e`` (and ``e2e_logged_in``) run the installed ``skytells`` against a
sandbox; ``startup_world`` installs tiny plugin distributions built on the
spot, for rules that must hold for a plugin's commands too.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parent.parent


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_e2e = _load("consistency_e2e_fixtures", TESTS / "e2e" / "conftest.py")
_startup = _load("consistency_startup_fixtures", TESTS / "startup" / "conftest.py")

e2e = _e2e.e2e
e2e_logged_in = _e2e.e2e_logged_in
startup_quiet = _startup.startup_quiet
startup_world = _startup.startup_world
