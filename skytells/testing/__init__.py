"""Test helpers for skytells plugins, and an opt-in pytest plugin.

Fixtures (from :mod:`skytells.testing.pytest_plugin`; installing skytells-cli
does not register it, so a project enables it with
``pytest_plugins = ["skytells.testing.pytest_plugin"]`` in its root
``conftest.py``, or ``-p skytells.testing.pytest_plugin``):

* ``skytells_sandbox``: a started Skytells console stand-in on a free
  loopback port (skipped when skytells-sandbox is not installed); configure it
  with ``@pytest.mark.skytells_sandbox(auto_approve=True, ...)``.
* ``skytells_sandbox_factory``: start more sandboxes, each with its settings.
* ``skytells_cli``: a :class:`CliRunner` that runs the ``skytells``
  executable in a subprocess with its own home, configuration and cache
  directories and no Skytells variables from the caller's environment: to
  completion, in the background (:class:`CliProcess`) or on a
  pseudo-terminal (:class:`CliTerminal`, needs pexpect).
* ``skytells_cli_in_process``: the same, an :class:`InProcessRunner`, whose
  ``run`` calls the CLI's ``main`` in the test's own process (much faster;
  ``start`` and ``spawn`` still start the executable).

Conformance classes, subclassed by a plugin's tests:
:class:`CredentialStoreConformance` and :class:`AuthenticatorConformance`.
The secret canary (:class:`SecretCanary`, :func:`find_leaks`) finds secrets,
and pieces of them, in what a run showed.
"""

from skytells.testing.authenticators import AuthenticatorConformance, LoginCase
from skytells.testing.background import CliProcess
from skytells.testing.canary import SecretCanary, find_leaks
from skytells.testing.cli import CliRunner
from skytells.testing.environment import executable, isolated_environment
from skytells.testing.inprocess import InProcessRunner, run_in_process
from skytells.testing.results import CliResult
from skytells.testing.sandbox import start_sandbox, wait_for_polls
from skytells.testing.stores import CredentialStoreConformance
from skytells.testing.terminal import CliTerminal

__all__ = [
    "AuthenticatorConformance",
    "CliProcess",
    "CliResult",
    "CliRunner",
    "CliTerminal",
    "CredentialStoreConformance",
    "InProcessRunner",
    "LoginCase",
    "SecretCanary",
    "executable",
    "find_leaks",
    "isolated_environment",
    "run_in_process",
    "start_sandbox",
    "wait_for_polls",
]
