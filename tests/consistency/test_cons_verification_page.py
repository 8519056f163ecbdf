"""Rule: the sandbox's device page never says "Access granted" again for a code already used.

Checked over HTTP against the real sandbox, in both console dialects and in
standard OAuth mode (which shares the page): a code typed again after it was
approved, redeemed by the client, or denied, and a second press of Approve,
all get the "already used" page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import pytest
import requests

from skytells.testing.sandbox import start_sandbox

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT = 10


class Flow:
    """One device request on one sandbox, driven through its HTTP endpoints as a browser and a client would."""

    def __init__(self, sandbox, http: requests.Session, standard: bool) -> None:
        self.sandbox, self.http, self.standard = sandbox, http, standard
        if standard:
            answer = http.post(f"{sandbox.url}/oauth/device_authorization",
                               data={"client_id": "skytells-cli", "scope": "projects.read"}, timeout=TIMEOUT)
        else:
            answer = http.post(f"{sandbox.url}/api/oauth/device", json={"client_name": "Consistency"},
                               timeout=TIMEOUT)
        assert answer.status_code == 200, answer.text
        self.user_code = answer.json()["user_code"]
        self.device_code = answer.json()["device_code"]

    def page(self, **fields: str) -> requests.Response:
        return self.http.post(f"{self.sandbox.url}/device", data={"code": self.user_code, **fields}, timeout=TIMEOUT)

    def form_token(self) -> str:
        confirm = self.page(action="continue")
        assert confirm.status_code == 200, confirm.text
        return html.unescape(re.search(r'name="form_token" value="([^"]+)"', confirm.text).group(1))

    def redeem(self) -> None:
        if self.standard:
            answer = self.http.post(f"{self.sandbox.url}/oauth/token", timeout=TIMEOUT, data={
                "grant_type": DEVICE_GRANT, "device_code": self.device_code, "client_id": "skytells-cli"})
        else:
            answer = self.http.post(f"{self.sandbox.url}/api/oauth/token", timeout=TIMEOUT,
                                    json={"grant_type": DEVICE_GRANT, "device_code": self.device_code})
        assert answer.status_code == 200, answer.text


MODES = {"console dialect": {"dialect": "console"}, "rfc8628 dialect": {"dialect": "rfc8628"},
         "standard OAuth": {"dialect": "rfc8628", "oidc": True}}


@pytest.fixture(params=MODES.values(), ids=MODES.keys())
def new_flow(request) -> Iterator[Callable[[], Flow]]:
    sandbox = start_sandbox(interval=1, **request.param)
    standard = "oidc" in request.param
    with requests.Session() as http:
        yield lambda: Flow(sandbox, http, standard)
    sandbox.stop()


def assert_already_used(response: requests.Response) -> None:
    assert response.status_code == 409, response.text
    assert "Code already used" in response.text
    assert "no longer valid" in response.text
    assert "Access granted" not in response.text and "approved" not in response.text.lower()
    assert 'value="approve"' not in response.text  # nothing left to approve


def test_approving_says_access_granted_once(new_flow):
    flow = new_flow()
    token = flow.form_token()
    first = flow.page(action="approve", form_token=token)
    assert first.status_code == 200 and "Access granted" in first.text
    assert_already_used(flow.page(action="approve", form_token=token))  # the button pressed twice
    assert_already_used(flow.page(action="continue"))  # the code typed again
    flow.redeem()
    assert_already_used(flow.page(action="continue"))  # and after the client took its token


def test_a_denied_code_typed_again_is_already_used(new_flow):
    flow = new_flow()
    denied = flow.page(action="deny", form_token=flow.form_token())
    assert denied.status_code == 200 and "Access denied" in denied.text
    assert_already_used(flow.page(action="continue"))
    assert_already_used(flow.page(action="approve", form_token="anything"))


def test_a_code_approved_elsewhere_is_already_used(new_flow):
    flow = new_flow()
    token = flow.form_token()
    flow.sandbox.approve(flow.user_code)  # approved from another tab or device
    assert_already_used(flow.page(action="continue"))
    assert_already_used(flow.page(action="approve", form_token=token))
