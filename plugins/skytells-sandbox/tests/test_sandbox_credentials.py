"""Personal access tokens, project keys, revocation and the /_sandbox/ admin endpoints."""

from __future__ import annotations

import re

import pytest

from skytells_sandbox.config import DEFAULT_SCOPES
from skytells_sandbox.state import DeviceStatus

UNAUTHORIZED = {"error": "Unauthorized", "message": "Token is invalid or expired"}


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


def get_projects(http, sandbox, headers=None):
    return http.get(f"{sandbox.url}/api/v1/cli/projects", headers=headers or {})


def get_project(http, sandbox, headers=None):
    return http.get(f"{sandbox.url}/api/v1/cli/project", headers=headers or {})


# Personal access tokens ---------------------------------------------------------


def test_issued_token_has_the_documented_format(sandbox_server):
    token = sandbox_server.issue_token()

    assert re.fullmatch(r"sk_pat_[0-9a-f]{64}", token)
    assert len(token) == 71
    assert sandbox_server.token_scopes(token) == DEFAULT_SCOPES
    assert sandbox_server.issue_token() != token


def test_valid_token_lists_projects(sandbox_server, sandbox_http):
    response = get_projects(sandbox_http, sandbox_server, bearer(sandbox_server.issue_token()))

    assert response.status_code == 200
    projects = response.json()["data"]
    assert len(projects) >= 2
    for project in projects:
        assert set(project) == {"id", "name", "slug", "status"}
        assert project["id"].startswith("proj_")
        assert project["status"] == "active"


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {"Authorization": "Bearer"},
        {"Authorization": "Basic c2tfcGF0Xw=="},
        bearer("sk_pat_" + "0" * 64),
    ],
)
def test_missing_or_unknown_token_is_unauthorized(sandbox_server, sandbox_http, headers):
    response = get_projects(sandbox_http, sandbox_server, headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_bearer_scheme_is_case_insensitive(sandbox_server, sandbox_http):
    headers = {"Authorization": f"bearer {sandbox_server.issue_token()}"}

    assert get_projects(sandbox_http, sandbox_server, headers).status_code == 200


def test_token_without_projects_read_is_forbidden(sandbox_server, sandbox_http):
    token = sandbox_server.issue_token(["inference"])

    response = get_projects(sandbox_http, sandbox_server, bearer(token))

    assert response.status_code == 403
    assert response.json() == {
        "error": "Forbidden",
        "message": "Insufficient scope: projects.read required",
    }


def test_issue_token_rejects_unknown_scopes(sandbox_server):
    with pytest.raises(ValueError, match="Unknown scope: root"):
        sandbox_server.issue_token(["inference", "root"])


def test_revoked_token_is_unauthorized(sandbox_server, sandbox_http):
    token = sandbox_server.issue_token()
    assert get_projects(sandbox_http, sandbox_server, bearer(token)).status_code == 200

    sandbox_server.revoke(token)

    assert get_projects(sandbox_http, sandbox_server, bearer(token)).status_code == 401
    assert sandbox_server.token_scopes(token) is None


def test_revoking_an_unknown_credential_raises(sandbox_server):
    with pytest.raises(LookupError):
        sandbox_server.revoke("sk_pat_" + "1" * 64)


# Project access keys --------------------------------------------------------------


def test_project_key_format_and_project(sandbox_server, sandbox_http):
    key = sandbox_server.issue_project_key("My Shiny App!")

    response = get_project(sandbox_http, sandbox_server, bearer(key))

    assert re.fullmatch(r"sk_proj_[0-9a-f]{48}", key)
    assert response.status_code == 200
    project = response.json()["data"]
    assert project == sandbox_server.project_for_key(key)
    assert re.fullmatch(r"proj_[0-9a-f]+", project["id"])
    assert (project["name"], project["slug"], project["status"]) == (
        "My Shiny App!",
        "my-shiny-app",
        "active",
    )


def test_default_project_name(sandbox_server):
    key = sandbox_server.issue_project_key()

    assert sandbox_server.project_for_key(key)["slug"] == "demo-project"


def test_keyed_project_appears_in_the_project_list(sandbox_server, sandbox_http):
    key = sandbox_server.issue_project_key("Listed")

    projects = get_projects(sandbox_http, sandbox_server, bearer(sandbox_server.issue_token()))

    assert sandbox_server.project_for_key(key) in projects.json()["data"]


@pytest.mark.parametrize("kind", ["missing", "unknown", "pat", "revoked"])
def test_bad_project_key_is_unauthorized(sandbox_server, sandbox_http, kind):
    key = sandbox_server.issue_project_key()
    if kind == "revoked":
        sandbox_server.revoke(key)
    headers = {
        "missing": None,
        "unknown": bearer("sk_proj_" + "a" * 48),
        "pat": bearer(sandbox_server.issue_token()),
        "revoked": bearer(key),
    }[kind]

    response = get_project(sandbox_http, sandbox_server, headers)

    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_project_key_does_not_list_projects(sandbox_server, sandbox_http):
    key = sandbox_server.issue_project_key()

    assert get_projects(sandbox_http, sandbox_server, bearer(key)).status_code == 401


# Admin endpoints --------------------------------------------------------------------


def admin(http, sandbox, path, body=None):
    return http.post(f"{sandbox.url}/_sandbox/{path}", json=body)


def test_admin_issues_tokens(sandbox_server, sandbox_http):
    default = admin(sandbox_http, sandbox_server, "tokens")
    scoped = admin(sandbox_http, sandbox_server, "tokens", {"scopes": ["keys.read"]})

    assert default.status_code == 200
    assert sandbox_server.token_scopes(default.json()["token"]) == DEFAULT_SCOPES
    assert scoped.json()["scopes"] == ["keys.read"]
    assert sandbox_server.token_scopes(scoped.json()["token"]) == ("keys.read",)


@pytest.mark.parametrize("scopes", [["nope"], "inference", [3]])
def test_admin_token_scopes_are_checked(sandbox_server, sandbox_http, scopes):
    response = admin(sandbox_http, sandbox_server, "tokens", {"scopes": scopes})

    assert response.status_code == 422
    assert response.json()["error"] == "invalid_scope"


def test_admin_issues_project_keys(sandbox_server, sandbox_http):
    response = admin(sandbox_http, sandbox_server, "project-keys", {"name": "Acme Bot"})

    body = response.json()
    assert response.status_code == 200
    assert body["access_key"].startswith("sk_proj_")
    assert body["project"] == sandbox_server.project_for_key(body["access_key"])
    assert body["project"]["slug"] == "acme-bot"


def test_admin_revokes(sandbox_server, sandbox_http):
    token = sandbox_server.issue_token()

    revoked = admin(sandbox_http, sandbox_server, "revoke", {"credential": token})
    unknown = admin(sandbox_http, sandbox_server, "revoke", {"credential": "sk_pat_x"})
    missing = admin(sandbox_http, sandbox_server, "revoke", {})

    assert (revoked.status_code, revoked.json()) == (200, {"revoked": True})
    assert sandbox_server.token_scopes(token) is None
    assert unknown.status_code == 404
    assert missing.status_code == 422


def test_admin_rejects_malformed_json(sandbox_server, sandbox_http):
    response = sandbox_http.post(
        f"{sandbox_server.url}/_sandbox/tokens",
        data=b"[1, 2",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("approve", DeviceStatus.APPROVED),
        ("deny", DeviceStatus.DENIED),
        ("expire", DeviceStatus.EXPIRED),
    ],
)
def test_admin_device_controls(sandbox_server, sandbox_http, action, status):
    flow = sandbox_http.post(f"{sandbox_server.url}/api/oauth/device", json={}).json()

    response = admin(
        sandbox_http, sandbox_server, f"device/{action}", {"user_code": flow["user_code"]}
    )

    assert response.status_code == 200
    assert response.json() == {"user_code": flow["user_code"], "status": status.value}
    assert sandbox_server.device_request(flow["user_code"]).status is status


def test_admin_device_controls_report_unknown_and_settled_codes(sandbox_server, sandbox_http):
    flow = sandbox_http.post(f"{sandbox_server.url}/api/oauth/device", json={}).json()
    sandbox_server.deny(flow["user_code"])

    unknown = admin(sandbox_http, sandbox_server, "device/approve", {"user_code": "BCDF-0000"})
    settled = admin(
        sandbox_http, sandbox_server, "device/approve", {"user_code": flow["user_code"]}
    )

    assert unknown.status_code == 404
    assert settled.status_code == 409


def test_admin_lists_pending_codes(sandbox_server, sandbox_http):
    flows = [
        sandbox_http.post(f"{sandbox_server.url}/api/oauth/device", json={}).json()
        for _ in range(3)
    ]
    sandbox_server.approve(flows[0]["user_code"])

    response = sandbox_http.get(f"{sandbox_server.url}/_sandbox/device/pending")

    assert response.status_code == 200
    assert response.json() == {"user_codes": [flows[1]["user_code"], flows[2]["user_code"]]}
