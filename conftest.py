"""Settings for every suite run from here: the skytells.testing plugin, and deterministic properties.

Our own suites (tests/ and plugins/*/tests) use the skytells.testing pytest plugin.

It is opt-in for everyone else: installing skytells-cli registers no pytest
plugin. pytest reads ``pytest_plugins`` only from the conftest.py of the
root directory, which is this one when pytest runs from here; a plugin
distribution's tests run from its own directory enable it in its own
pytest configuration (``-p skytells.testing.pytest_plugin``).
"""

import os

from hypothesis import settings

pytest_plugins = ["skytells.testing.pytest_plugin"]

# The suite is deterministic: every property test draws the same examples on every run, so a red run
# always means a change, never luck. SKYTELLS_HYPOTHESIS_PROFILE=explore draws fresh examples each run
# (and keeps finds in .hypothesis/) to hunt for new failures on purpose.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("SKYTELLS_HYPOTHESIS_PROFILE", "deterministic"))
