"""RFC 8414 metadata and OpenID Connect discovery."""

from __future__ import annotations

import pytest

from skytells_sandbox.config import ALL_SCOPES, DEVICE_GRANT_TYPE
from skytells_sandbox.config import TOKEN_EXCHANGE_GRANT_TYPE as TOKEN_EXCHANGE

RFC8414 = "/.well-known/oauth-authorization-server"
OIDC = "/.well-known/openid-configuration"


def test_metadata_names_the_sandbox_as_issuer(sandbox_server, sandbox_http):
    response = sandbox_http.get(sandbox_server.url + RFC8414)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = response.json()
    url = sandbox_server.url
    assert document["issuer"] == url and not document["issuer"].endswith("/")
    assert document["device_authorization_endpoint"] == f"{url}/oauth/device_authorization"
    assert document["token_endpoint"] == f"{url}/oauth/token"
    assert document["revocation_endpoint"] == f"{url}/oauth/revoke"
    assert document["authorization_endpoint"] == f"{url}/oauth/authorize"
    assert document["grant_types_supported"] == [
        "authorization_code",
        DEVICE_GRANT_TYPE,
        "refresh_token",
        TOKEN_EXCHANGE,
    ]
    assert document["response_types_supported"] == ["code"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["authorization_response_iss_parameter_supported"] is True
    assert document["token_endpoint_auth_methods_supported"] == ["none"]


def test_metadata_without_oidc_has_no_userinfo_or_openid(sandbox_server, sandbox_http):
    document = sandbox_http.get(sandbox_server.url + RFC8414).json()

    assert "userinfo_endpoint" not in document
    assert document["scopes_supported"] == [*ALL_SCOPES, "offline_access"]


def test_metadata_with_oidc_adds_userinfo_and_openid(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(oidc=True)

    document = sandbox_http.get(sandbox.url + RFC8414).json()

    assert document["userinfo_endpoint"] == f"{sandbox.url}/oauth/userinfo"
    assert document["scopes_supported"] == [*ALL_SCOPES, "offline_access", "openid"]


def test_openid_configuration_is_absent_without_oidc(sandbox_server, sandbox_http):
    response = sandbox_http.get(sandbox_server.url + OIDC)

    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


def test_openid_configuration_extends_the_metadata(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(oidc=True)

    metadata = sandbox_http.get(sandbox.url + RFC8414).json()
    response = sandbox_http.get(sandbox.url + OIDC)

    assert response.status_code == 200
    document = response.json()
    assert {k: v for k, v in document.items() if k in metadata} == metadata
    assert document["subject_types_supported"] == ["public"]
    assert set(document["claims_supported"]) == {"sub", "name", "email", "preferred_username"}


def test_metadata_can_be_switched_off_to_test_the_oidc_fallback(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(oidc=True, oauth_metadata=False)

    assert sandbox_http.get(sandbox.url + RFC8414).status_code == 404
    fallback = sandbox_http.get(sandbox.url + OIDC)
    assert fallback.status_code == 200
    assert fallback.json()["token_endpoint"] == f"{sandbox.url}/oauth/token"


def test_no_discovery_at_all(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(oauth_metadata=False)

    assert sandbox_http.get(sandbox.url + RFC8414).status_code == 404
    assert sandbox_http.get(sandbox.url + OIDC).status_code == 404


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", RFC8414, "GET, HEAD"),
        ("GET", "/oauth/token", "POST"),
        ("GET", "/oauth/device_authorization", "POST"),
        ("GET", "/oauth/revoke", "POST"),
        ("POST", "/oauth/userinfo", "GET, HEAD"),
        ("POST", "/v1/models", "GET, HEAD"),
    ],
)
def test_standard_endpoints_refuse_other_methods(
    sandbox_server, sandbox_http, method, path, allowed
):
    response = sandbox_http.request(method, sandbox_server.url + path)

    assert response.status_code == 405
    assert response.headers["Allow"] == allowed


def test_every_advertised_endpoint_is_served(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(oidc=True)
    document = sandbox_http.get(sandbox.url + OIDC).json()

    for name in ("device_authorization_endpoint", "token_endpoint", "revocation_endpoint"):
        response = sandbox_http.post(document[name], data={})
        assert response.status_code in (400, 401), name  # reached, and refused for the empty form
    assert sandbox_http.get(document["userinfo_endpoint"]).status_code == 401
