"""The credentials file shared with the official CLI: read as written, never damaged."""

from __future__ import annotations

import json

import pytest

OFFICIAL_CREATED_AT = 1700000000000  # 2023-11-14T22:13:20Z
API_KEY = "sk_live_" + "7a" * 20


@pytest.fixture
def e2e_official_file(e2e):
    """A file as the official CLI (or a later version of it) writes it, with a field this CLI does not know."""
    document = {
        "token": e2e.issue_token(),
        "access_key": e2e.issue_project_key("Official Project"),
        "api_key": API_KEY,
        "created_at": OFFICIAL_CREATED_AT,
        "someFutureField": 1,
    }
    e2e.write_credentials(document)
    return document


def test_whoami_reads_the_official_format(e2e, e2e_official_file):
    result = e2e.run("whoami", "--json")
    assert result.code == 0, result
    shown = json.loads(result.stdout)
    assert shown["token"] == "sk_pat_********"
    assert shown["token_source"] == "~/.config/skytells/credentials.json"
    assert shown["saved_at"] == "2023-11-14T22:13:20+00:00"
    assert shown["method"] == "unknown"
    assert shown["token_status"] == "valid"
    assert shown["project"] == "Official Project (official-project)"
    assert shown["project_key"] == "sk_proj_********"
    assert shown["api_key"] == "sk_********"
    assert shown["api_key_source"] == "~/.config/skytells/credentials.json"


def test_unknown_field_survives_link_and_logout(e2e, e2e_official_file):
    key = e2e.issue_project_key("Replacement")
    assert e2e.run("link", key).code == 0
    linked = e2e.read_credentials()
    assert linked["someFutureField"] == 1
    assert linked["access_key"] == key
    assert linked["token"] == e2e_official_file["token"]
    assert linked["api_key"] == API_KEY

    assert e2e.run("logout", "--force").code == 0
    after = e2e.read_credentials()
    assert after["someFutureField"] == 1
    assert "token" not in after
    assert after["access_key"] == key
    assert after["api_key"] == API_KEY
    assert after["created_at"] == OFFICIAL_CREATED_AT


def test_official_fields_stay_at_the_top_level_after_login(e2e, e2e_official_file):
    new_token = e2e.issue_token()
    assert e2e.run("login", "--token", input=new_token).code == 0
    data = e2e.read_credentials()
    assert data["token"] == new_token
    assert isinstance(data["created_at"], int) and data["created_at"] > OFFICIAL_CREATED_AT
    assert data["access_key"] == e2e_official_file["access_key"]
    assert data["api_key"] == API_KEY
    assert data["someFutureField"] == 1


CORRUPT = {
    "not json": b'{"token": "sk_pat_',
    "empty": b"",
    "a list": b"[]\n",
    "token not a string": b'{"token": 42}\n',
    "not utf-8": b'{"token": "\xff\xfe"}',
}
COMMANDS = {
    "login device": (("login", "--force"), None),
    "login token": (("login", "--token"), "TOKEN"),
    "link": (("link", "-"), "KEY"),
    "logout": (("logout", "--force"), None),
    "whoami": (("whoami",), None),
    "whoami offline": (("whoami", "--offline"), None),
}


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("content", list(CORRUPT))
def test_corrupt_file_is_a_one_line_error_and_left_byte_for_byte(e2e, content, command):
    original = e2e.write_credentials(CORRUPT[content])
    args, stdin = COMMANDS[command]
    if stdin == "TOKEN":
        stdin = e2e.issue_token()
    elif stdin == "KEY":
        stdin = e2e.issue_project_key()
    e2e.sandbox.clear_requests()
    result = e2e.run(*args, input=stdin)

    assert result.code == 1, result
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result
    assert lines[0].startswith("error: ")
    assert str(e2e.credentials_path) in lines[0] or "~/.config/skytells/credentials.json" in lines[0]
    assert e2e.credentials_bytes() == original
    assert sorted(p.name for p in e2e.config_dir.iterdir() if not p.name.startswith(".")) == ["credentials.json"]
    # Nothing was sent: no device request, no token check, no key check.
    assert e2e.sandbox.requests_seen == []


def test_a_world_readable_file_is_made_private_again(e2e, e2e_official_file):
    e2e.credentials_path.chmod(0o644)
    e2e.config_dir.chmod(0o755)
    original = e2e.credentials_bytes()
    result = e2e.run("link", e2e.issue_project_key())
    assert result.code == 0, result
    assert "was accessible to other users" in result.stderr
    e2e.assert_private_file()
    assert e2e.credentials_bytes() != original
    assert e2e.read_credentials()["someFutureField"] == 1
