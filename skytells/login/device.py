"""The ``device`` login method's loader: OAuth 2.0 Device Authorization Grant (RFC 8628).

It runs against the Skytells console, or against any standard OAuth 2.0 /
OpenID Connect server chosen with ``--issuer`` (or ``SKYTELLS_ISSUER``), found
through its metadata. This module declares the method (options, steps) and
stays light, since ``login --help`` and completion read it; the flow itself is
:mod:`skytells.login.device_flow`, imported when the method is built.
"""

from __future__ import annotations

from skytells.login.device_options import NAME, OPTIONS
from skytells.login.interface import TWO_STEPS, LoginMethod, MethodLoader, OptionValues


class DeviceLoader(MethodLoader):
    """Sign in through the browser with a one-time code."""

    name = NAME
    description = "Approve a one-time code in your browser (OAuth 2.0 device flow, the default)"
    steps = TWO_STEPS
    options = OPTIONS

    def build(self, options: OptionValues) -> LoginMethod:
        # The extension boundary: the flow and the HTTP stack load only when a device login runs.
        from skytells.login.device_flow import DeviceLogin  # noqa: PLC0415  (extension boundary)

        return DeviceLogin(options)
