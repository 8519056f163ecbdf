"""Numbers and JSON types out of range, from a server or a hand-edited file, through the real CLI.

Where a value enters, it is checked (skytells/safety/values.py): a lifetime a
server announces is clamped or set aside (RFC 6749 section 5.1 makes it
advice), so a login the user approved is never lost to it; a field of the
credentials file is either refused with one line naming the file and the
field, leaving the file untouched (secrets, the official ``created_at``, the
token's server), or treated as unknown with a warning (the CLI's own facts
under ``meta``). No run ends in a traceback.

Cases that each need their own machine run a few at a time (``each_case``).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_dialects import (
    ACCESS_TOKEN,
    CLIENT_ID,
    CONSOLE,
    DIALECTS,
    LIST_FORMATS,
    REFRESH_TOKEN,
    SHOW_FORMATS,
    STANDARD,
    Dialect,
    each_case,
    metadata,
    problems,
    refusal_problems,
    report,
    token_answer,
)
from reliability_support import HostileServer, World, fake_pat, fake_project_key, json_reply

from skytells.config.scopes import DEFAULT_SCOPES
from skytells.safety import values

CLI_PROPERTY = settings(max_examples=6, deadline=None, database=None, derandomize=True,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TEN_YEARS_MS = int(values.MAX_TOKEN_LIFETIME * 1000)
# expires_in as a server might write it, and what the stored expiry must then be.
LIFETIMES = [("3600", "exact"), ("1e-300", "exact"), ("1e15", "clamped"), ("1e308", "clamped"),
             ("1" + "0" * 400, "unknown"), ("-5", "unknown"), ("0", "unknown"), ("NaN", "unknown"),
             ("-Infinity", "unknown"), ('"3600"', "unknown"), ("true", "unknown"), ('{"s": [1]}', "unknown")]
# JSON text that is no usable number of milliseconds.
BAD_MOMENTS = ["1e20", "-1", "1e400", "NaN", "Infinity", "-Infinity", '"yesterday"', "true", "[]", '{"ms": 1}',
               "1" + "0" * 400]

json_scalars = (st.none() | st.booleans() | st.integers() | st.integers(10**300, 10**400) | st.floats()
                | st.text(max_size=12))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=6)


def _stored_token_facts(world: World, profile: str | None = None) -> dict[str, Any]:
    document = world.read_credentials()
    if profile:
        document = document["profiles"][profile]
    return document.get("meta", {}).get("token", {})


def _expiry_problems(expires_at: Any, kind: str, started_ms: int, lifetime: str) -> list[str]:
    now_ms = int(time.time() * 1000)
    if kind == "unknown":
        low = high = None
    elif kind == "clamped":
        low, high = started_ms + TEN_YEARS_MS, now_ms + TEN_YEARS_MS
    else:
        seconds = json.loads(lifetime)
        low, high = started_ms + int(seconds * 1000), now_ms + int(seconds * 1000)
    if low is None:
        return [] if expires_at is None else [f"an expiry {expires_at} was stored for {lifetime}"]
    ok = isinstance(expires_at, int) and low <= expires_at <= high
    return [] if ok else [f"the stored expiry {expires_at} is not within {low}..{high}"]


# -- lifetimes from a token endpoint -----------------------------------------------------------


def test_an_approved_login_survives_any_token_lifetime(tmp_path: Path) -> None:
    def check(world: World, case: tuple[Dialect, str, str]) -> list[str]:
        dialect, lifetime, kind = case
        with HostileServer() as server:
            dialect.serve(server, token_answer(expires_in=lifetime))
            started_ms = int(time.time() * 1000)
            run = dialect.login(world, server)
        if problems(run, 0):
            return report(run, problems(run, 0))
        found = _expiry_problems(_stored_token_facts(world).get("expires_at"), kind, started_ms, lifetime)
        shown = world.run("auth", "status", "--offline", "-f", "json")  # shows the expiry
        return found + report(shown, problems(shown, 0) + (["a warning"] if "warning:" in shown.stderr else []))

    # The answer is parsed by the same code in both dialects: the standard one gets a sample.
    cases = [(CONSOLE, lifetime, kind) for lifetime, kind in LIFETIMES]
    each_case(tmp_path, cases + [(STANDARD, lifetime, kind) for lifetime, kind in LIFETIMES[::3]], check)


@CLI_PROPERTY
@given(dialect=st.sampled_from(DIALECTS), expires_in=json_values, scope=json_values, token_type=json_values)
def test_any_advice_in_a_token_answer_leaves_the_login_usable(dialect: Dialect, expires_in: Any, scope: Any,
                                                              token_type: Any) -> None:
    text = {"expires_in": json.dumps(expires_in), "scope": json.dumps(scope), "token_type": json.dumps(token_type)}
    with tempfile.TemporaryDirectory() as root, World(Path(root)) as world, HostileServer() as server:
        dialect.serve(server, token_answer(**text))
        run = dialect.login(world, server)
        assert not problems(run, 0), run
        facts = _stored_token_facts(world)
        assert facts.get("expires_at") is None or 0 <= facts["expires_at"] <= values.MAX_EPOCH_MS
        assert values.scope_list(facts["scopes"]) == tuple(facts["scopes"])
        shown = world.run("auth", "status", "--offline", "-f", "json")
        assert not problems(shown, 0), shown


def test_a_refresh_survives_any_token_lifetime(tmp_path: Path) -> None:
    def check(world: World, case: tuple[str, str]) -> list[str]:
        lifetime, kind = case
        with HostileServer() as server:
            server.set("/.well-known/oauth-authorization-server", json_reply(200, metadata(server)))
            server.set("/oauth/token", token_answer(access_token=json.dumps("at_" + "8" * 40), expires_in=lifetime))
            server.set("/api/v1/cli/projects", json_reply(200, {"data": []}))
            world.point_at(server.url)
            world.write_credentials({"token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "created_at": 1,
                                     "meta": {"token": {"method": "device", "host": server.url, "issuer": server.url,
                                                        "client_id": CLIENT_ID, "expires_at": 1}}})
            started_ms = int(time.time() * 1000)
            run = world.run("whoami")
        found = report(run, problems(run, 0))
        if world.read_credentials()["token"] != "at_" + "8" * 40:
            found.append("the refreshed token was not saved")
        return found + _expiry_problems(_stored_token_facts(world).get("expires_at"), kind, started_ms, lifetime)

    each_case(tmp_path, [case for case in LIFETIMES if case[1] != "exact"], check)


def test_unusable_scopes_supported_in_metadata_count_as_absent(tmp_path: Path) -> None:
    def check(world: World, scopes_supported: Any) -> list[str]:
        with HostileServer() as server:
            STANDARD.serve(server, token_answer(), scopes_supported=scopes_supported)
            run = STANDARD.login(world, server)
            asked = b"".join(seen.body for seen in server.requests_to("/oauth/device_authorization"))
        # As when the metadata lists no scopes: a refresh token is asked for (RFC 8414 section 2).
        return report(run, problems(run, 0) + ([] if b"offline_access" in asked else ["offline_access not asked"]))

    each_case(tmp_path, [5, [1, 2], ["in\x1bference"], {"a": 1}, [["x"]], ["s"] * 300], check)


@pytest.mark.parametrize("dialect", DIALECTS, ids=[d.name for d in DIALECTS])
def test_unusable_advice_in_the_answer_does_not_lose_the_approval(rel_world: World, rel_hostile: type[HostileServer],
                                                                  dialect: Dialect) -> None:
    server = rel_hostile()
    dialect.serve(server, token_answer(expires_in="1e308", scope='"in\\u001bference"', token_type="[]",
                                       refresh_token=json.dumps(REFRESH_TOKEN)))
    run = dialect.login(rel_world, server)
    assert not problems(run, 0), run
    saved = rel_world.read_credentials()
    assert (saved["token"], saved["refresh_token"]) == (ACCESS_TOKEN, REFRESH_TOKEN)
    assert saved["meta"]["token"]["token_type"] == "Bearer"
    assert saved["meta"]["token"]["scopes"] == list(DEFAULT_SCOPES)  # RFC 6749 section 5.1: as requested


# -- the credentials file, edited by hand ------------------------------------------------------


def _document(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {"token": fake_pat(), "created_at": 1_700_000_000_000,
                                "meta": {"token": {"method": "token", "host": "https://console.skytells.ai",
                                                   "saved_at": 1_700_000_000_000}}}
    document.update(changes)
    return document


def _with_literals(document: dict[str, Any], places: dict[tuple[str, ...], str]) -> str:
    """``document`` as JSON text with the member at each place written as the given JSON text (NaN, 1e400 as is)."""
    for number, path in enumerate(places):
        target = document
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = f"\u2063{number}\u2063"
    text = json.dumps(document, indent=2)
    for number, literal in enumerate(places.values()):
        text = text.replace(json.dumps(f"\u2063{number}\u2063"), literal)
    return text


# Official fields and the token's server: refused, naming the field (each case needs a file of its own).
REFUSED = [(("created_at",), "'created_at'", literal) for literal in BAD_MOMENTS] + [
    (("profiles", "work", "created_at"), "'created_at'", "1e20"),
    (("meta", "token", "host"), "'meta.token.host'", "5"),
    (("meta", "token", "host"), "'meta.token.host'", "[]"),
    (("meta", "token", "host"), "'meta.token.host'", '""'),
    (("meta", "token", "host"), "'meta.token.host'", '"https://console.skytells.ai\\u001b[2J"'),
] + [((secret,), repr(secret), literal) for secret in ("token", "refresh_token", "access_key", "api_key")
     for literal in ("[]", '"short"', '"sk_pat_\\u001b[2J' + "a" * 60 + '"', '"t\\u00f6ken value"')] + [
    (("token",), "'token'", literal) for literal in ("5", '"' + "x" * 8193 + '"', '"sk_pat_' + "a" * 64 + '\\n"')]


def test_an_unusable_official_field_refuses_the_file_and_leaves_it_untouched(tmp_path: Path) -> None:
    def check(world: World, case: tuple[tuple[str, ...], str, str]) -> list[str]:
        place, field, literal = case
        written = world.write_credentials(_with_literals(_document(profiles={"work": {"token": fake_pat()}}),
                                                         {place: literal}))
        run = world.run("whoami", "--offline")
        changed = ["the file was changed"] if world.credentials_bytes() != written else []
        return report(run, refusal_problems(run, 1, str(world.credentials_path), field) + changed)

    each_case(tmp_path, REFUSED, check)


def test_every_command_refuses_such_a_file_the_same_way(rel_world: World) -> None:
    written = rel_world.write_credentials(_with_literals(_document(), {("created_at",): "1e20"}))
    commands = [("whoami", "--offline"), ("auth", "status", "--offline"), ("whoami",), ("auth", "status"),
                ("auth", "token"), ("logout", "--force"), ("auth", "switch", "default"),
                ("login", "--token"), ("link", "-"), ("api-key", "set")]
    for args in commands:
        typed = {"link": fake_project_key(), "api-key": "sbx_key_" + "4" * 40}.get(args[0], fake_pat())
        run = rel_world.run(*args, input=typed + "\n")
        assert not refusal_problems(run, 1, str(rel_world.credentials_path), "'created_at'"), run
        assert rel_world.credentials_bytes() == written


# The CLI's own facts: treated as unknown, with one warning each.
TEXT_FACT_CASES = ['""', '"in\\u001b]0;owned\\u0007ference"', '"\\u202eevil"', "5", "[]", '{"a": 1}', "true",
                   '"' + "m" * 3000 + '"']
BAD_FACTS = {
    "expires_at": BAD_MOMENTS,
    "saved_at": BAD_MOMENTS,
    "scopes": ["5", "true", '{"a": 1}', "[1, 2]", '["inference", "\\u001b[2J"]', '["a b"]', '"in\\u001bference"',
               '["' + "s" * 257 + '"]', json.dumps(["s"] * 257)],
    "method": TEXT_FACT_CASES,
    "issuer": TEXT_FACT_CASES,
    "client_id": TEXT_FACT_CASES,
    "token_type": ['""', '"Bearer\\r\\nX-Injected: 1"', '"a b"', "5", "[]", "true"],
}


def test_unusable_facts_count_as_unknown_with_a_warning_in_every_format(rel_world: World) -> None:
    # One profile per unusable fact (auth status reads them all), and the default profile with one of each.
    places: dict[tuple[str, ...], str] = {}
    profiles: dict[str, Any] = {}
    for fact, literals in BAD_FACTS.items():
        for number, literal in enumerate(literals):
            name = f"{fact}-{number}"
            profiles[name] = {"token": fake_pat(), "meta": {"token": {"host": "https://console.skytells.ai"}}}
            places[("profiles", name, "meta", "token", fact)] = literal
        places[("meta", "token", fact)] = literals[0]
    written = rel_world.write_credentials(_with_literals(_document(profiles=profiles), places))
    path = rel_world.credentials_path
    warnings = [f"warning: The credentials file {path} has a 'meta.token.{fact}' that" for fact in BAD_FACTS]
    warnings += [f"warning: The credentials file {path} has a profile {place[1]!r} with 'meta.token.{place[-1]}' that"
                 for place in places if place[0] == "profiles"]
    for fmt in LIST_FORMATS:
        run = rel_world.run("auth", "status", "--offline", "-f", fmt)
        assert not problems(run, 0), run
        assert [run.stderr.count(w) for w in warnings] == [1] * len(warnings), run
        assert len(run.stdout.splitlines()) >= len(profiles) + 1
    for fmt in SHOW_FORMATS:
        run = rel_world.run("whoami", "--offline", "-f", fmt)
        assert not problems(run, 0), run
        assert [run.stderr.count(w) for w in warnings[:len(BAD_FACTS)]] == [1] * len(BAD_FACTS), run
    shown = rel_world.run("whoami", "--offline", "-f", "json").json()
    assert (shown["method"], shown["scopes"], shown["expires_at"]) == ("unknown", None, None)
    assert shown["saved_at"] == rel_world.run("whoami", "--offline", "-f", "value", "-c", "saved_at").stdout.strip()
    assert rel_world.credentials_bytes() == written


@CLI_PROPERTY
@given(place=st.sampled_from([("created_at",), ("token",), ("refresh_token",), ("api_key",),
                              *(("meta", "token", fact) for fact in [*BAD_FACTS, "host"]),
                              ("meta", "api_key", "saved_at"), ("meta", "access_key", "project")]),
       value=json_values)
def test_any_value_in_any_field_is_used_warned_about_or_refused(place: tuple[str, ...], value: Any) -> None:
    with tempfile.TemporaryDirectory() as root, World(Path(root)) as world:
        document = _document(api_key="sbx_key_" + "4" * 40, access_key="sk_proj_" + "3" * 48)
        written = world.write_credentials(_with_literals(document, {place: json.dumps(value)}))
        for run in (world.run("whoami", "--offline"), world.run("auth", "status", "--offline", "-f", "json")):
            assert not problems(run, (0, 1)), run
            if run.code == 1:
                assert not refusal_problems(run, 1, str(world.credentials_path)), run
        assert world.credentials_bytes() == written
