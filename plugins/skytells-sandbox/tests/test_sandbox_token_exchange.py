"""Workload identity: test ID tokens, the GitHub Actions endpoint, token exchange (RFC 8693)."""

from __future__ import annotations

import pytest

GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"


def exchange(http, sandbox, subject_token: str, **fields: str):
    form = {"grant_type": GRANT, "subject_token": subject_token,
            "subject_token_type": ID_TOKEN_TYPE, "client_id": "skytells-cli", **fields}
    return http.post(sandbox.url + "/oauth/token", data=form)


def test_an_id_token_it_signed_is_exchanged_for_an_access_token(sandbox_server, sandbox_http):
    token = sandbox_server.issue_id_token()
    response = exchange(sandbox_http, sandbox_server, token, scope="inference")

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "issued_token_type", "token_type", "expires_in", "scope"}
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert body["scope"] == "inference"
    assert sandbox_server.token_is_active(body["access_token"])


def test_no_refresh_token_even_with_offline_access(sandbox_server, sandbox_http):
    token = sandbox_server.issue_id_token()
    response = exchange(sandbox_http, sandbox_server, token, scope="inference offline_access")

    assert response.status_code == 200
    assert "refresh_token" not in response.json()


@pytest.mark.parametrize(
    ("make", "fields", "error"),
    [
        (lambda s: s.issue_id_token(lifetime=-1), {}, "invalid_grant"),
        (lambda s: s.issue_id_token(audience="someone-else"), {}, "invalid_grant"),
        (lambda s: s.issue_id_token()[:-4] + "AAAA", {}, "invalid_grant"),
        (lambda s: "not-a-jwt", {}, "invalid_grant"),
        (lambda s: s.issue_id_token(), {"subject_token_type": "urn:x"}, "invalid_request"),
        (lambda s: s.issue_id_token(), {"requested_token_type": "urn:x"}, "invalid_request"),
        (lambda s: s.issue_id_token(), {"scope": "nope"}, "invalid_scope"),
    ],
)
def test_untrusted_or_malformed_exchanges_are_refused(
    sandbox_server, sandbox_http, make, fields, error
):
    response = exchange(sandbox_http, sandbox_server, make(sandbox_server), **fields)

    assert response.status_code == 400
    assert response.json()["error"] == error


def test_the_audience_must_be_served_and_match_the_id_token(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(exchange_audiences=("api://skytells",))
    token = sandbox.issue_id_token(audience="api://skytells")

    assert exchange(sandbox_http, sandbox, token, audience="api://skytells").status_code == 200
    refused = exchange(sandbox_http, sandbox, token, audience="api://other")
    assert refused.json()["error"] == "invalid_target"


def test_only_the_allowed_clients_may_exchange(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(client_ids=("skytells-cli", "ci"), exchange_clients=("ci",))

    response = exchange(sandbox_http, sandbox, sandbox.issue_id_token())

    assert response.json()["error"] == "unauthorized_client"


def test_switched_off_it_is_unsupported_and_not_in_the_metadata(sandbox_factory, sandbox_http):
    sandbox = sandbox_factory(token_exchange=False)

    response = exchange(sandbox_http, sandbox, sandbox.issue_id_token())

    assert response.json()["error"] == "unsupported_grant_type"
    metadata = sandbox_http.get(sandbox.url + "/.well-known/oauth-authorization-server").json()
    assert GRANT not in metadata["grant_types_supported"]


def test_the_actions_endpoint_wants_the_request_token_and_an_audience(sandbox_server, sandbox_http):
    env = sandbox_server.actions_environment
    url = env["ACTIONS_ID_TOKEN_REQUEST_URL"]
    bearer = {"Authorization": "Bearer " + env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]}

    assert sandbox_http.get(url + "&audience=skytells-cli").status_code == 401
    assert sandbox_http.get(url, headers=bearer).status_code == 400
    answer = sandbox_http.get(url + "&audience=skytells-cli", headers=bearer)
    assert answer.status_code == 200
    assert exchange(sandbox_http, sandbox_server, answer.json()["value"]).status_code == 200


def test_the_admin_endpoint_issues_id_tokens(sandbox_server, sandbox_http):
    url = sandbox_server.url + "/_sandbox/id-tokens"
    answer = sandbox_http.post(url, json={"audience": "skytells-cli"})

    assert answer.status_code == 200
    assert exchange(sandbox_http, sandbox_server, answer.json()["id_token"]).status_code == 200
    bad = sandbox_http.post(url, json={"lifetime": "soon"})
    assert bad.status_code == 422
