"""Rule 4: machine output is typed, and docs/output.md is its schema.

Each command's documented table (field, type) is read from docs/output.md
and every ``-f json`` and ``-f yaml`` object the real commands print, in
several states, is checked against it: every field documented, every value
of its documented type, no table placeholder standing in for an absent value.
The text formats still show the words.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "output.md"
PLACEHOLDERS = {"-", "unknown", "none linked", "*", ""}


def schema(command: str) -> dict[str, str]:
    """The documented field -> type table under the heading for ``skytells <command> -f json``."""
    text = DOCUMENT.read_text(encoding="utf-8")
    section = text.split(f"## `skytells {command} -f json`", 1)[1].split("\n## ", 1)[0]
    fields = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            for name in re.findall(r"`([^`]+)`", cells[0]):
                fields[name] = cells[1]
    assert fields, f"no schema for {command}"
    return fields


def is_time(value: Any) -> bool:
    return isinstance(value, str) and datetime.datetime.fromisoformat(value).tzinfo is not None


CHECKS = {
    "string": lambda value: isinstance(value, str),
    "boolean": lambda value: isinstance(value, bool),
    "time": is_time,
    "array of strings": lambda value: isinstance(value, list) and all(isinstance(item, str) for item in value),
}


def matches(value: Any, documented: str) -> bool:
    """Whether ``value`` is of the documented type (``string or null``, ``array of strings or null``, ...)."""
    kind, _, nullable = documented.partition(" or ")
    if value is None:
        return nullable == "null"
    return CHECKS[kind](value)


def problems(command: str, objects: list[dict[str, Any]]) -> list[str]:
    documented = schema(command)
    found = []
    for number, shown in enumerate(objects):
        for field, value in shown.items():
            if field not in documented:
                found.append(f"{command}[{number}].{field} is not documented")
            elif not matches(value, documented[field]):
                found.append(f"{command}[{number}].{field} = {value!r} is not {documented[field]}")
            elif isinstance(value, str) and value in PLACEHOLDERS and documented[field] != "string":
                found.append(f"{command}[{number}].{field} = {value!r} is a table placeholder")
    return found


def machine_outputs(e2e, *args: str, env=None) -> list[dict[str, Any]]:
    """The objects ``skytells *args`` prints with -f json and -f yaml (both must agree)."""
    as_json = e2e.run(*args, "-f", "json", env=env)
    as_yaml = e2e.run(*args, "-f", "yaml", env=env)
    assert as_json.code == as_yaml.code, (as_json, as_yaml)
    parsed = json.loads(as_json.stdout)
    assert yaml.safe_load(as_yaml.stdout) == parsed
    return parsed if isinstance(parsed, list) else [parsed]


def test_whoami_in_every_state_matches_its_schema(e2e):
    e2e.start_sandbox(auto_approve=True, interval=0)
    found = []
    key = e2e.issue_project_key()
    assert e2e.run("link", "-", input=key + "\n").code == 0
    found += problems("whoami", machine_outputs(e2e, "whoami", "--offline"))  # keys, no token
    found += problems("whoami", machine_outputs(e2e, "whoami"))
    assert e2e.run("login", "--token", input=e2e.issue_token() + "\n").code == 0  # scopes unknown
    found += problems("whoami", machine_outputs(e2e, "whoami"))
    assert e2e.run("login", "--force", "--no-browser").code == 0  # device: scopes, expiry
    found += problems("whoami", machine_outputs(e2e, "whoami"))
    found += problems("whoami", machine_outputs(e2e, "whoami", "--offline"))
    found += problems("whoami", machine_outputs(e2e, "whoami", env={"SKYTELLS_TOKEN": e2e.issue_token()}))
    assert found == []


def test_auth_status_doctor_and_plugins_match_their_schemas(e2e):
    e2e.start_sandbox(auto_approve=True, interval=0)
    assert e2e.run("login", "--no-browser").code == 0
    assert e2e.run("--profile", "pasted", "login", "--token", input=e2e.issue_token() + "\n").code == 0
    found = problems("auth status", machine_outputs(e2e, "auth", "status"))
    found += problems("auth status", machine_outputs(e2e, "auth", "status", "--offline",
                                                     env={"SKYTELLS_TOKEN": e2e.issue_token()}))
    found += problems("auth doctor", machine_outputs(e2e, "auth", "doctor", "--offline"))
    found += problems("auth doctor", [e2e.run("auth", "doctor", "-f", "json").json()][0])
    found += problems("plugins", machine_outputs(e2e, "plugins"))
    assert found == []
    rows = machine_outputs(e2e, "auth", "status")
    assert [row["default"] for row in rows] == [True, False]
    assert isinstance(rows[0]["scopes"], list) and rows[1]["scopes"] is None


@pytest.mark.parametrize("fmt", ["table", "value"])
def test_the_text_formats_keep_the_words(e2e, fmt):
    e2e.start_sandbox(auto_approve=True, interval=0)
    assert e2e.run("login", "--token", input=e2e.issue_token() + "\n").code == 0
    shown = e2e.run("whoami", "--offline", "-f", fmt, "-c", "scopes", "-c", "project", "-c", "api_key").stdout
    for word in ("unknown", "none linked", "-"):
        assert word in shown, shown
    listed = e2e.run("auth", "status", "--offline", "-f", fmt, "-c", "default").stdout
    assert "*" in listed and "True" not in listed and "true" not in listed
