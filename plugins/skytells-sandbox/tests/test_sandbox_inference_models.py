"""The inference API's ``GET /v1/models``, which checks an API key."""

from __future__ import annotations

import re

import pytest

UNAUTHORIZED = {"error": "Unauthorized", "message": "Invalid API key"}


def models(http, sandbox, key: str | None):
    headers = {} if key is None else {"x-api-key": key}
    return http.get(f"{sandbox.url}/v1/models", headers=headers)


def test_issued_key_lists_models(sandbox_server, sandbox_http):
    key = sandbox_server.issue_api_key()

    response = models(sandbox_http, sandbox_server, key)

    assert re.fullmatch(r"sbx_key_[0-9a-f]{48}", key)
    assert response.status_code == 200
    data = response.json()["data"]
    assert len(data) >= 2
    assert all(isinstance(model["id"], str) and model["id"] for model in data)


def test_header_name_is_case_insensitive(sandbox_server, sandbox_http):
    key = sandbox_server.issue_api_key()

    response = sandbox_http.get(f"{sandbox_server.url}/v1/models", headers={"X-API-Key": key})

    assert response.status_code == 200


@pytest.mark.parametrize("key", [None, "", "sbx_key_" + "0" * 48, "wrong"])
def test_missing_or_unknown_key_is_unauthorized(sandbox_server, sandbox_http, key):
    response = models(sandbox_http, sandbox_server, key)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_revoked_key_is_unauthorized(sandbox_server, sandbox_http):
    key = sandbox_server.issue_api_key()
    sandbox_server.revoke(key)

    response = models(sandbox_http, sandbox_server, key)

    assert response.status_code == 401
    assert not sandbox_server.api_key_is_valid(key)


def test_other_credentials_are_not_api_keys(sandbox_server, sandbox_http):
    token = sandbox_server.issue_token()
    project_key = sandbox_server.issue_project_key()
    api_key = sandbox_server.issue_api_key()

    assert models(sandbox_http, sandbox_server, token).status_code == 401
    assert models(sandbox_http, sandbox_server, project_key).status_code == 401
    bearer = sandbox_http.get(
        f"{sandbox_server.url}/v1/models", headers={"Authorization": f"Bearer {api_key}"}
    )
    assert bearer.status_code == 401
    console = sandbox_http.get(
        f"{sandbox_server.url}/api/v1/cli/projects", headers={"Authorization": f"Bearer {api_key}"}
    )
    assert console.status_code == 401


def test_admin_endpoint_issues_working_keys(sandbox_server, sandbox_http):
    response = sandbox_http.post(f"{sandbox_server.url}/_sandbox/api-keys")

    assert response.status_code == 200
    key = response.json()["api_key"]
    assert sandbox_server.api_key_is_valid(key)
    assert models(sandbox_http, sandbox_server, key).status_code == 200
    revoked = sandbox_http.post(f"{sandbox_server.url}/_sandbox/revoke", json={"credential": key})
    assert revoked.json() == {"revoked": True}
    assert models(sandbox_http, sandbox_server, key).status_code == 401


def test_every_issued_key_is_different(sandbox_server):
    keys = {sandbox_server.issue_api_key() for _ in range(20)}

    assert len(keys) == 20
