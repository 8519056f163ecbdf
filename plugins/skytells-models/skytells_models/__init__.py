"""``skytells models`` and ``skytells predictions``: the Skytells inference API, as a skytells plugin.

Built only on what skytells offers every plugin: the run's context and its
authenticated client (``self.context.client("inference")``), which sends the
API key to the inference API and nowhere else, and the display commands of
``skytells.cli.display``.
"""

__version__ = "0.1.0"
