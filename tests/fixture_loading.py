"""Reusing another test directory's fixtures: load its conftest.py as a module of its own."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).resolve().parent


def load_conftest(name: str, directory: str) -> ModuleType:
    """``tests/<directory>/conftest.py`` loaded as module ``name`` (its fixtures are then re-exported)."""
    spec = importlib.util.spec_from_file_location(name, TESTS / directory / "conftest.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
