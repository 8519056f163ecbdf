"""Fixtures for the automation tests: those of the end-to-end suite, reused as they are.

``e2e`` runs the installed ``skytells`` against a sandbox on 127.0.0.1 (the
secret canary checks every run's output when the test ends), ``e2e_logged_in``
logs in first, ``e2e_closed_url`` is a URL where nothing listens.
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


_e2e = _load("automation_e2e_fixtures", TESTS / "e2e" / "conftest.py")

e2e = _e2e.e2e
e2e_logged_in = _e2e.e2e_logged_in
e2e_closed_url = _e2e.e2e_closed_url
