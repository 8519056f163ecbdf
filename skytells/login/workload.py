"""The ``workload`` login method's loader: a CI job's OIDC ID token exchanged for an access token (RFC 8693).

No secret is stored in the CI system: the job's platform (GitHub Actions,
GitLab CI, ...) gives it a short-lived ID token that says which repository and
workflow is running, and the issuer trades it for a short-lived access token
by OAuth 2.0 Token Exchange. This module declares the method (its options)
and stays light, since ``login --help`` and completion read it; the exchange
itself is :mod:`skytells.login.workload_flow`, imported when the method is
built or renews a token. It uses only the public login interface, the
credential model and the standard OAuth protocol library, as a third party's
method would.
"""

from __future__ import annotations

from skytells.credentials import Credential
from skytells.login.interface import ONE_STEP, LoginMethod, MethodLoader, OptionValues
from skytells.login.workload_options import NAME, OPTIONS


class WorkloadLoader(MethodLoader):
    """Exchange the CI job's OIDC ID token for a short-lived access token; no secret is stored in the CI."""

    name = NAME
    description = "In CI: exchange the job's OIDC ID token for a short-lived token (no stored secret, RFC 8693)"
    options = OPTIONS
    steps = ONE_STEP
    api_version = 2

    def build(self, options: OptionValues) -> LoginMethod:
        # The HTTP stack and the exchange load only when a workload login runs.
        from skytells.login.workload_flow import WorkloadLogin  # noqa: PLC0415  (extension boundary)

        return WorkloadLogin.from_options(options)

    def renew(self, credential: Credential) -> Credential | None:
        from skytells.login.workload_flow import renew  # noqa: PLC0415  (extension boundary)

        return renew(credential)
