"""The version of skytells-cli.

It lives here, not in ``skytells/__init__.py``: ``skytells`` is a namespace
package shared with the official Skytells SDK (the ``skytells`` distribution),
which owns that file. A plain constant keeps ``skytells --version`` free of
any metadata lookup.
"""

__version__ = "0.1.0"
