"""The API client in-process: when the credential is looked up, the signer seam, renewal, errors' reasons."""

from __future__ import annotations

import pytest

from skytells.cli.json_errors import reason_of
from skytells.errors import UsageError
from skytells.net.api_client import ApiAuthError, ApiClient, ApiCredential, ApiStatusError, OutgoingRequest

from .conftest import answer


class Source:
    """A credential source that counts its calls; ``renewals`` are handed out after a 401."""

    def __init__(self, *renewals: str) -> None:
        self.looked_up = 0
        self.renewed = 0
        self.renewals = list(renewals)

    def __call__(self) -> ApiCredential:
        self.looked_up += 1
        return self.credential("first-secret-value")

    def credential(self, value: str) -> ApiCredential:
        def renew() -> ApiCredential | None:
            self.renewed += 1
            return self.credential(self.renewals.pop(0)) if self.renewals else None

        return ApiCredential("Authorization", f"Bearer {value}", "the test token", renew=renew)


@pytest.fixture
def server(api_server):
    return api_server()


def test_the_credential_is_looked_up_at_the_first_request_only(server):
    source = Source()
    client = ApiClient(server.url, credential=source, setting="TEST_URL")
    assert source.looked_up == 0
    with pytest.raises(UsageError, match="its own origin"):
        client.request("GET", "http://127.0.0.1:1/x")
    assert source.looked_up == 0 and server.received == []
    client.get("/a")
    client.get("/b")
    assert source.looked_up == 1
    assert [r.header("Authorization") for r in server.received] == ["Bearer first-secret-value"] * 2


def test_the_signer_sees_every_attempt_with_the_credential_attached(server):
    server.on("/refused", answer(401, {"message": "no"}))
    seen: list[OutgoingRequest] = []

    def signer(request: OutgoingRequest) -> None:
        seen.append(request)
        request.headers["DPoP"] = f"proof-{len(seen)}"

    client = ApiClient(server.url, credential=Source("second-secret-value"), signer=signer)
    with pytest.raises(ApiAuthError):
        client.get("/refused")
    assert [r.headers["Authorization"] for r in seen] == ["Bearer first-secret-value", "Bearer second-secret-value"]
    assert [r.header("DPoP") for r in server.received] == ["proof-1", "proof-2"]


def test_a_401_renews_once_and_an_unrenewable_one_is_not_retried(server):
    server.on("/refused", answer(401, {"message": "no"}))
    source = Source()
    client = ApiClient(server.url, credential=source)
    response = client.get("/refused", check=False)
    assert response.status == 401 and source.renewed == 1
    assert len(server.received) == 1  # nothing newer: not sent again


def test_error_statuses_have_their_reasons_and_keep_the_answer(server):
    server.on("/gone", answer(404, {"error": {"message": "Gone.", "details": "Long ago.", "error_id": "e1"}}))
    server.on("/refused", answer(401, {"message": "Invalid API key"}))
    client = ApiClient(server.url, credential=Source(), name="the test API")
    with pytest.raises(ApiStatusError) as status:
        client.get("/gone")
    assert str(status.value) == f"{server.url[7:]} answered HTTP 404: Gone: Long ago [e1]."
    assert (status.value.exit_code, reason_of(status.value), status.value.response.status) == (1, "api_status", 404)
    with pytest.raises(ApiAuthError) as auth:
        client.get("/refused")
    assert (auth.value.exit_code, reason_of(auth.value)) == (4, "auth")
    assert "refused the test token (HTTP 401: Invalid API key)" in str(auth.value)


def test_answers_unwrap_data_and_read_json(server):
    server.on("/wrapped", answer(200, {"data": [1, 2], "pagination": {"page": 1}}))
    server.on("/text", answer(200, raw=b"plain", content_type="text/plain"))
    client = ApiClient(server.url)
    assert client.get("/wrapped").body() == [1, 2]
    text = client.get("/text")
    assert (text.text, text.is_json, text.content_type) == ("plain", False, "text/plain")
    with pytest.raises(Exception, match="not JSON"):
        text.json()


@pytest.mark.parametrize(("path", "expected"), [
    ("models", "/v1/models"), ("/models", "/v1/models"), ("a b", "/v1/a%20b"), ("x@y", "/v1/x%40y"),
    ("p?q=1", "/v1/p?q=1"), ("", "/v1/"),
])
def test_paths_are_joined_to_the_base(path, expected):
    url = ApiClient("https://api.example.com/v1").url(path)
    assert url.origin == "https://api.example.com" and url.path + (f"?{url.query}" if url.query else "") == expected


@pytest.mark.parametrize("path", ["https://other.example/v1/models", "http://api.example.com/v1/x", "/%zz",
                                  "p?q=a b", "https://user@api.example.com/x"])
def test_other_origins_and_unclear_paths_are_usage_errors(path):
    with pytest.raises(UsageError):
        ApiClient("https://api.example.com/v1").url(path)


def test_params_join_the_query_typed():
    url = ApiClient("https://api.example.com").url("/s?a=1", [("b", True), ("c", None), ("d", [1, 2])])
    assert url.query == "a=1&b=true&c=&d=%5B1%2C2%5D"
