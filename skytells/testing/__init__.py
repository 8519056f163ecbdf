"""Test helpers for skytells plugins, also registered as a pytest plugin (``pytest11`` entry point).

Fixtures (from :mod:`skytells.testing.pytest_plugin`, available in every
pytest run where skytells-cli is installed):

* ``skytells_sandbox``: a started Skytells console stand-in on a free
  loopback port (skipped when skytells-sandbox is not installed); configure it
  with ``@pytest.mark.skytells_sandbox(auto_approve=True, ...)``.
* ``skytells_sandbox_factory``: start more sandboxes, each with its settings.
* ``skytells_cli``: a :class:`CliRunner` that runs the ``skytells``
  executable in a subprocess with its own home, configuration and cache
  directories and no Skytells variables from the caller's environment.

Conformance classes, subclassed by a plugin's tests:
:class:`CredentialStoreConformance` and :class:`AuthenticatorConformance`.
"""

from skytells.testing.authenticators import AuthenticatorConformance, LoginCase
from skytells.testing.cli import CliResult, CliRunner, isolated_environment
from skytells.testing.sandbox import start_sandbox
from skytells.testing.stores import CredentialStoreConformance

__all__ = [
    "AuthenticatorConformance",
    "CliResult",
    "CliRunner",
    "CredentialStoreConformance",
    "LoginCase",
    "isolated_environment",
    "start_sandbox",
]
