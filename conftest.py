"""Our own suites (tests/ and plugins/*/tests) use the skytells.testing pytest plugin.

It is opt-in for everyone else: installing skytells-cli registers no pytest
plugin. pytest reads ``pytest_plugins`` only from the conftest.py of the
root directory, which is this one when pytest runs from here; a plugin
distribution's tests run from its own directory enable it in its own
pytest configuration (``-p skytells.testing.pytest_plugin``).
"""

pytest_plugins = ["skytells.testing.pytest_plugin"]
