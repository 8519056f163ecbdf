"""Fixtures for the consistency tests: those of the end-to-end and start-up suites, reused as they are.

``e2e`` (and ``e2e_logged_in``) run the installed ``skytells`` against a
sandbox; ``startup_world`` installs tiny plugin distributions built on the
spot, for rules that must hold for a plugin's commands too.
"""

from __future__ import annotations

from tests.fixture_loading import load_conftest

_e2e = load_conftest("consistency_e2e_fixtures", "e2e")
_startup = load_conftest("consistency_startup_fixtures", "startup")

e2e = _e2e.e2e
e2e_logged_in = _e2e.e2e_logged_in
startup_quiet = _startup.startup_quiet
startup_world = _startup.startup_world
