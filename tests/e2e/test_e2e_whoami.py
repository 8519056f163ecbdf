"""``skytells whoami``: every output format, the credential's source, and the three token answers."""

from __future__ import annotations

import datetime
import json

import pytest
import yaml

FILE_SOURCE = "~/.config/skytells/credentials.json"
FIELDS = ("token", "token_source", "method", "scopes", "saved_at", "server", "token_status", "project",
          "project_key", "project_key_source", "api_key", "api_key_source")


@pytest.fixture
def e2e_linked(e2e, e2e_logged_in):
    """Logged in with a token and linked to a project called "Image Lab"; returns (token, key)."""
    key = e2e.issue_project_key("Image Lab")
    result = e2e.run("link", "-", input=key + "\n")
    assert result.code == 0, result
    return e2e_logged_in, key


def _parse_table(text: str) -> dict[str, str]:
    rows = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("|") and len(cells) == 2 and cells[0] != "Field":
            rows[cells[0]] = cells[1]
    return rows


PARSERS = {
    ("-f", "json"): json.loads,
    ("--json",): json.loads,
    ("-f", "yaml"): yaml.safe_load,
    ("-f", "table"): _parse_table,
    ("-f", "value", *(arg for name in FIELDS for arg in ("-c", name))):
        lambda text: dict(zip(FIELDS, text.splitlines(), strict=True)),
    (): _parse_table,
}


@pytest.mark.parametrize("format_args", list(PARSERS), ids=lambda args: " ".join(args[:2]) or "default")
def test_every_format_shows_the_same_masked_facts(e2e, e2e_linked, format_args):
    token, key = e2e_linked
    result = e2e.run("whoami", *format_args)
    assert result.code == 0, result
    assert result.stderr == ""
    shown = PARSERS[format_args](result.stdout)

    assert [name for name in shown if name in FIELDS] == list(FIELDS)  # in this order, among any others
    assert shown["token"] == "sk_pat_********"
    assert shown["token_source"] == FILE_SOURCE
    assert shown["method"] == "token"
    machine = format_args[-1:] in (("json",), ("yaml",), ("--json",))
    # A pasted token's scopes are not known locally: null in machine formats, a word in the others.
    assert shown["scopes"] == (None if machine else "unknown")
    assert shown["saved_at"].startswith("20") and shown["saved_at"].endswith("+00:00")
    assert shown["server"] == e2e.sandbox.url
    assert shown["token_status"] == "valid"
    assert shown["project"] == "Image Lab (image-lab)"
    assert shown["project_key"] == "sk_proj_********"
    assert shown["project_key_source"] == FILE_SOURCE
    assert shown["api_key"] == (None if machine else "-")
    assert token not in result.stdout and key not in result.stdout


def test_device_login_scopes_and_saved_time_are_shown(e2e):
    e2e.start_sandbox(auto_approve=True)
    assert e2e.run("login", "--scopes", "inference,projects.read,keys.read").code == 0
    e2e.wait_for_code()
    saved = e2e.read_credentials()["created_at"]
    shown = json.loads(e2e.run("whoami", "--json").stdout)
    assert shown["method"] == "device"
    assert shown["scopes"] == ["inference", "projects.read", "keys.read"]  # an array in JSON
    expected = datetime.datetime.fromtimestamp(saved // 1000, tz=datetime.timezone.utc)
    assert shown["saved_at"] == expected.isoformat(timespec="seconds")


def test_revoked_token_is_invalid_and_exits_4(e2e, e2e_logged_in):
    e2e.sandbox.revoke(e2e_logged_in)
    result = e2e.run("whoami", "--json")
    assert result.code == 4, result
    shown = json.loads(result.stdout)
    assert shown["token_status"].startswith("invalid")
    assert shown["token"] == "sk_pat_********"


def test_unreachable_server_could_not_be_checked_and_exits_1(e2e, e2e_logged_in):
    e2e.sandbox.stop()
    result = e2e.run("whoami", "--json")
    assert result.code == 1, result
    shown = json.loads(result.stdout)
    assert shown["token_status"].startswith("could not be checked")
    assert "connection refused" in shown["token_status"]


def test_three_answers_are_distinct(e2e, e2e_logged_in):
    valid = json.loads(e2e.run("whoami", "-f", "json").stdout)["token_status"]
    e2e.sandbox.revoke(e2e_logged_in)
    invalid = json.loads(e2e.run("whoami", "-f", "json").stdout)["token_status"]
    e2e.sandbox.stop()
    unknown = json.loads(e2e.run("whoami", "-f", "json").stdout)["token_status"]
    assert valid == "valid"
    assert invalid.split(" ")[0] == "invalid"
    assert unknown.startswith("could not be checked")


def test_offline_makes_no_request(e2e, e2e_linked, e2e_closed_url):
    result = e2e.run("whoami", "--offline", "--json", env={"SKYTELLS_API_URL": e2e_closed_url})
    assert result.code == 0, result
    shown = json.loads(result.stdout)
    assert shown["token_status"] == "not checked (--offline)"
    assert shown["project"] == "Image Lab (image-lab)"  # remembered from the link

    e2e.sandbox.clear_requests()
    assert e2e.run("whoami", "--offline").code == 0
    assert e2e.sandbox.requests_seen == []


def test_environment_token_takes_precedence_over_the_file(e2e, e2e_logged_in):
    from_env = e2e.issue_token()
    e2e.sandbox.revoke(e2e_logged_in)  # only the environment's token is still good
    result = e2e.run("whoami", "--json", env={"SKYTELLS_TOKEN": from_env})
    assert result.code == 0, result
    shown = json.loads(result.stdout)
    assert shown["token_source"] == "SKYTELLS_TOKEN"
    assert shown["method"] == "environment"
    assert shown["saved_at"] is None  # a token of the environment was never saved
    assert shown["token_status"] == "valid"
    assert from_env not in result.stdout


def test_environment_token_works_without_a_file(e2e):
    from_env = e2e.issue_token()
    result = e2e.run("whoami", "-f", "value", "-c", "token_source", "-c", "token_status",
                     env={"SKYTELLS_TOKEN": from_env})
    assert result.code == 0, result
    assert result.stdout.splitlines() == ["SKYTELLS_TOKEN", "valid"]
    assert not e2e.credentials_path.exists()


def test_environment_project_key_is_shown_with_its_source(e2e, e2e_logged_in):
    key = e2e.issue_project_key("Voice Studio")
    shown = json.loads(e2e.run("whoami", "--json", env={"SKYTELLS_ACCESS_KEY": key}).stdout)
    assert shown["project_key_source"] == "SKYTELLS_ACCESS_KEY"
    assert shown["project_key"] == "sk_proj_********"
    assert shown["project"] == "Voice Studio (voice-studio)"


def test_refused_project_key_is_reported_without_failing_the_token(e2e, e2e_linked):
    _token, key = e2e_linked
    e2e.sandbox.revoke(key)
    result = e2e.run("whoami", "--json")
    assert result.code == 0, result
    assert json.loads(result.stdout)["project"] == "key refused by the server"


def test_not_logged_in_exits_4_with_the_message(e2e):
    result = e2e.run("whoami")
    assert result.code == 4, result
    assert result.stdout == ""
    assert result.stderr == "error: You are not logged in. Run skytells login (or set SKYTELLS_TOKEN).\n"
    assert e2e.run("whoami", "--offline", "--json").code == 4
