"""Strings a server, a plugin or a hand-edited file stores are checked when they come in and made safe when shown.

- a token is refused at login unless it is 8 to 8192 printable ASCII
  characters, whoever produced it (either dialect's token endpoint, or a
  third-party authenticator: the check sits in ``Credential``); nothing is
  saved and an earlier file is left as it was;
- scopes that are not RFC 6749 scope tokens are never stored;
- whatever reaches a display command (``whoami``, ``auth status``) is
  terminal-safe in every output format, and ``-f shell`` output stays a
  literal under ``eval``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_dialects import (
    ACCESS_TOKEN,
    CONSOLE,
    DIALECTS,
    LIST_FORMATS,
    SHOW_FORMATS,
    STANDARD,
    Dialect,
    display_runs,
    each_case,
    problems,
    refusal_problems,
    report,
    token_answer,
)
from reliability_support import UNSAFE_OUTPUT, HostileServer, World, fake_pat, fake_project_key, json_reply

from skytells.config.scopes import DEFAULT_SCOPES
from skytells.safety.sanitize import terminal_safe

# Each would do something to a terminal if printed raw (see test_rel_terminal_injection.py).
PAYLOADS = ("\x1b[2J", "\x1b]0;owned\x07", "\x1b]8;;https://evil.example\x1b\\", "\x1b[6n", "\r\nerror: fake",
            "\u202e", "\u2066", "\x9b2J", "\x07", "\x00", "\x7f")
HOSTILE_TEXT = "".join(PAYLOADS)
# Access tokens no login may accept, as JSON text.
BAD_TOKENS = [json.dumps("at_" + "7" * 20 + payload + "7" * 20) for payload in PAYLOADS] + [
    json.dumps("at_7777"), json.dumps("a" * 8193), json.dumps("at_7777 7777 7777"), json.dumps("at_t\u00f6ken_77777"),
    json.dumps("at_\u0430\u0430\u0430\u0430\u0430\u0430\u0430"), "12345678", '["at_77777777"]', '{"t": "at_77777777"}',
    "true", '""', '"          "',
]
CLI_PROPERTY = settings(max_examples=12, deadline=None, database=None, derandomize=True,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def _no_payload(run: Any) -> list[str]:
    return [f"{payload!r} reached the output" for payload in PAYLOADS if payload.strip() and payload in run.output]


# -- tokens from a token endpoint ----------------------------------------------------------------


def test_an_unusable_token_from_either_dialect_is_refused_and_nothing_is_saved(tmp_path: Path) -> None:
    def check(world: World, case: tuple[Dialect, str, str]) -> list[str]:
        dialect, field, literal = case
        earlier = world.write_credentials({"token": fake_pat(), "created_at": 1_700_000_000_000})
        with HostileServer() as server:
            dialect.serve(server, token_answer(**{field: literal}))
            run = dialect.login(world, server)
        found = refusal_problems(run, 1, server.host, repr(field)) + _no_payload(run)
        if world.credentials_bytes() != earlier:
            found.append("the credentials file was changed")
        return report(run, found)

    cases = [(CONSOLE, "access_token", literal) for literal in BAD_TOKENS]
    cases += [(STANDARD, "access_token", literal) for literal in BAD_TOKENS[::4]]
    cases += [(dialect, "refresh_token", literal) for dialect in DIALECTS for literal in BAD_TOKENS[::5]
              if literal not in ('""',)]
    each_case(tmp_path, cases, check)


@pytest.mark.parametrize("dialect", DIALECTS, ids=[d.name for d in DIALECTS])
@pytest.mark.parametrize("scopes", [
    {"scopes": json.dumps(["inference", HOSTILE_TEXT])}, {"scope": json.dumps("inference " + HOSTILE_TEXT)},
    {"scopes": json.dumps("inference,\r\nerror: fake")}, {"scope": json.dumps(["s" * 257])},
], ids=["list", "string", "crlf", "long"])
def test_scopes_that_are_not_scope_tokens_are_never_stored(rel_world: World, rel_hostile: type[HostileServer],
                                                          dialect: Dialect, scopes: dict[str, str]) -> None:
    server = rel_hostile()
    dialect.serve(server, token_answer(**scopes))
    run = dialect.login(rel_world, server)
    assert not problems(run, 0), run
    stored = rel_world.read_credentials()
    assert stored["token"] == ACCESS_TOKEN
    assert stored["meta"]["token"]["scopes"] == list(DEFAULT_SCOPES)  # RFC 6749 section 5.1: as requested
    assert "\\u001b" not in rel_world.credentials_path.read_text()


# -- credentials from a third-party authenticator ------------------------------------------------

PLUGIN = '''
import json, os

from skytells.login.base import Authenticator
from skytells.credentials.model import Credential


class Handmade(Authenticator):
    """Returns the credential described by $HANDMADE_CREDENTIAL (JSON), as a careless plugin might."""

    name = "handmade"
    description = "A credential made by hand"

    def authenticate(self, login):
        fields = json.loads(os.environ["HANDMADE_CREDENTIAL"])
        return Credential(method=self.name, host=login.server, **fields)
'''


@pytest.fixture(scope="module")
def handmade_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory for PYTHONPATH holding the ``handmade`` authenticator as an installed distribution."""
    site = tmp_path_factory.mktemp("handmade-site")
    (site / "sk_handmade.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "skytells_handmade-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: skytells-handmade\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[skytells.authenticators]\nhandmade = sk_handmade:Handmade\n")
    (info / "top_level.txt").write_text("sk_handmade\n")
    return site


PLUGIN_CASES = [("token", {"token": "at_" + "7" * 20 + payload}) for payload in PAYLOADS[::2]] + [
    ("token", {"token": "short"}), ("token", {"token": 12345678}),
    ("refresh_token", {"token": ACCESS_TOKEN, "refresh_token": "rt_77777777\r\nX: 1"}),
    ("scopes", {"token": ACCESS_TOKEN, "scopes": ["inference", HOSTILE_TEXT]}),
    ("scopes", {"token": ACCESS_TOKEN, "scopes": 5}),
    ("expires_at", {"token": ACCESS_TOKEN, "expires_at": 1e20}),
    ("token_type", {"token": ACCESS_TOKEN, "token_type": "Bearer\r\nX: 1"}),
]


def test_a_plugin_credential_with_an_unusable_value_is_refused(tmp_path: Path, handmade_site: Path) -> None:
    def check(world: World, case: tuple[str, dict[str, Any]]) -> list[str]:
        field, credential = case
        world.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(handmade_site), os.environ.get("PYTHONPATH")]))
        run = world.run("login", "--method", "handmade", env={"HANDMADE_CREDENTIAL": json.dumps(credential)})
        found = refusal_problems(run, 4, "'handmade' login", repr(field)) + _no_payload(run)
        if isinstance(credential["token"], str) and len(credential["token"]) > 5 and credential["token"] in run.output:
            found.append("the token was shown")
        if world.credentials_path.exists():
            found.append("a credential was saved")
        return report(run, found)

    each_case(tmp_path, PLUGIN_CASES, check)


def test_a_plugin_credential_that_is_usable_is_saved(rel_world: World, handmade_site: Path) -> None:
    rel_world.env["PYTHONPATH"] = str(handmade_site)
    credential = {"token": ACCESS_TOKEN, "scopes": ["inference"], "expires_at": 4_102_444_800_000}
    run = rel_world.run("login", "--method", "handmade", env={"HANDMADE_CREDENTIAL": json.dumps(credential)})
    assert not problems(run, 0), run
    assert rel_world.read_credentials()["meta"]["token"]["scopes"] == ["inference"]


# -- what display commands show ----------------------------------------------------------------


def _hostile_store(world: World, server_url: str = "https://console.skytells.ai") -> None:
    project = {"id": "proj_" + HOSTILE_TEXT, "name": "Evil" + HOSTILE_TEXT, "slug": "evil" + HOSTILE_TEXT}
    world.write_credentials({
        "token": fake_pat(), "access_key": fake_project_key(), "created_at": 1_700_000_000_000,
        "meta": {"token": {"method": "device", "host": server_url, "scopes": ["inference", "$(touch${IFS}PWNED)"]},
                 "access_key": {"project": project, "note": HOSTILE_TEXT}},
        "profiles": {"work": {"token": fake_pat(), "meta": {"token": {"host": server_url}}}},
    })


def _hostile_world(root: Path) -> World:
    """A world whose configuration directory has control characters in its path (shown as the token's source)."""
    world = World(root / "home\x1b]0;owned\x07\u202e")
    world.env["HOME"] = str(root / "elsewhere")  # else the path is shown as ~/...
    return world


def test_stored_strings_are_terminal_safe_in_every_format_offline(tmp_path: Path) -> None:
    with _hostile_world(tmp_path) as world:
        _hostile_store(world)
        runs = display_runs(world)
    for run in runs:
        assert not problems(run, 0) + _no_payload(run), run
    whoami = {fmt: run.stdout for fmt, run in zip(SHOW_FORMATS, runs, strict=False)}
    assert json.loads(whoami["json"])["project"].startswith("Evil\ufffd")
    assert yaml.safe_load(whoami["yaml"])["project"].startswith("Evil\ufffd")
    assert "\ufffd" in json.loads(runs[len(SHOW_FORMATS) + LIST_FORMATS.index("json")].stdout)[0]["source"]


def test_stored_and_served_strings_are_terminal_safe_in_every_format_online(
        tmp_path: Path, rel_hostile: type[HostileServer]) -> None:
    project = {"id": "proj_1", "name": "Evil" + HOSTILE_TEXT, "slug": "evil" + HOSTILE_TEXT}
    server = rel_hostile({"/api/v1/cli/projects": json_reply(401, {"message": HOSTILE_TEXT}),
                          "/api/v1/cli/project": json_reply(200, {"data": project})})
    with _hostile_world(tmp_path) as world:
        _hostile_store(world, server.url)
        world.point_at(server.url)
        runs = display_runs(world, offline=False)
    for run in runs:
        assert not problems(run, 4) + _no_payload(run), run


def test_shell_output_stays_a_literal_under_eval(tmp_path: Path) -> None:
    name = "a$(touch PWNED)`touch PWNED2`\\\"'$HOME!"
    with World(tmp_path / "w") as world:
        world.write_credentials({
            "token": fake_pat(), "access_key": fake_project_key(),
            "meta": {"token": {"method": "device", "scopes": ["inference", "$(touch${IFS}PWNED3)", "`id`"]},
                     "access_key": {"project": {"name": name + HOSTILE_TEXT, "slug": "s"}}},
        })
        run = world.run("whoami", "--offline", "-f", "shell")
    assert not problems(run, 0), run
    script = 'eval "$1"; printf "%s\\n" "$project" "$scopes"'
    shell = shutil.which("sh") or "/bin/sh"
    done = subprocess.run([shell, "-c", script, "sh", run.stdout], cwd=tmp_path, capture_output=True, text=True,
                          check=True, timeout=30)
    project, scopes = done.stdout.splitlines()
    assert project == terminal_safe(f"{name}{HOSTILE_TEXT} (s)", 4096)
    assert scopes == "inference,$(touch${IFS}PWNED3),`id`"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith("PWNED")]


@CLI_PROPERTY
@given(text=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40),
       command=st.sampled_from([("whoami", "--offline", "-f", fmt) for fmt in SHOW_FORMATS]
                               + [("auth", "status", "--offline", "-f", fmt) for fmt in LIST_FORMATS]))
def test_any_stored_text_is_shown_terminal_safe(text: str, command: tuple[str, ...]) -> None:
    with tempfile.TemporaryDirectory() as root, World(Path(root) / text.replace("/", "_")[:30]) as world:
        world.write_credentials({"token": fake_pat(), "access_key": fake_project_key(),
                                 "meta": {"access_key": {"project": {"name": text, "slug": text}},
                                          "token": {"method": text, "client_id": text, "issuer": text}}})
        run = world.run(*command)
    assert not problems(run, 0), run
    assert UNSAFE_OUTPUT.search(run.stdout) is None
