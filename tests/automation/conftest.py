"""Fixtures for the automation tests: those of the end-to-end suite, reused as they are.

``e2e`` runs the installed ``skytells`` against a sandbox on 127.0.0.1 (the
secret canary checks every run's output when the test ends), ``e2e_logged_in``
logs in first, ``e2e_closed_url`` is a URL where nothing listens.
"""

from __future__ import annotations

from tests.fixture_loading import load_conftest

_e2e = load_conftest("automation_e2e_fixtures", "e2e")

e2e = _e2e.e2e
e2e_logged_in = _e2e.e2e_logged_in
e2e_closed_url = _e2e.e2e_closed_url
