"""The value checks of skytells/safety/values.py, and the places that rely on them (Credential, local_time, display)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skytells.credentials.model import Credential, StoredCredentials, local_time, read_facts
from skytells.errors import AuthError, StoreError
from skytells.safety import values
from skytells.safety.sanitize import displayable, has_controls

PROPERTY = settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Every JSON value json.loads can hand over (NaN, Infinity and integers of any size included).
json_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10**300, max_value=10**400)
                | st.floats() | st.text())
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=10)
# Numbers a server or a hand-edited file may hold, as JSON text: huge, tiny, negative, NaN/Infinity literals.
NUMBER_LITERALS = ["0", "-0", "1", "-1", "1.5", "1e-300", "5e-324", "1e15", "1e20", "1e308", "-1e308", "1e400",
                   "1" + "0" * 400, "-" + "9" * 400, "NaN", "Infinity", "-Infinity", "true", "false", "null",
                   '"3600"', '"soon"', "[]", "[3600]", "{}", '{"seconds": 3600}']
# Every C0 and C1 control, DEL and every bidi control.
CONTROLS = [chr(c) for c in [*range(0x20), *range(0x7f, 0xa0)]] + list("\u061c\u200e\u200f\u202a\u202b\u202c"
                                                                       "\u202d\u202e\u2066\u2067\u2068\u2069")
TOKEN = "at_" + "7" * 40
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


# -- seconds (clamping) --------------------------------------------------------------------


@pytest.mark.parametrize("literal", NUMBER_LITERALS)
def test_seconds_clamps_every_literal_into_its_range(literal: str) -> None:
    value = json.loads(literal)
    interval = values.seconds(value, default=5.0, minimum=1.0, maximum=60.0)
    lifetime = values.seconds(value, default=None, maximum=values.MAX_TOKEN_LIFETIME)
    assert 1.0 <= interval <= 60.0
    assert lifetime is None or 0 < lifetime <= values.MAX_TOKEN_LIFETIME


@pytest.mark.parametrize(("literal", "expected"), [
    ("3600", 3600.0), ("1.5", 1.5), ("1e308", values.MAX_TOKEN_LIFETIME), ("1e15", values.MAX_TOKEN_LIFETIME),
    ("1" + "0" * 400, None), ("0", None), ("-5", None), ("NaN", None), ("Infinity", None), ("true", None),
    ('"3600"', None), ("null", None), ("[]", None),
])
def test_seconds_keeps_sane_lifetimes_cuts_absurd_ones_and_ignores_the_rest(literal: str,
                                                                           expected: float | None) -> None:
    assert values.seconds(json.loads(literal), default=None, maximum=values.MAX_TOKEN_LIFETIME) == expected


@PROPERTY
@given(json_values, st.integers(0, values.MAX_EPOCH_MS))
def test_expiry_is_always_a_moment_in_range(value: Any, now: int) -> None:
    lifetime = values.seconds(value, default=None, maximum=values.MAX_TOKEN_LIFETIME)
    expires_at = values.expiry_ms(lifetime, now)
    assert expires_at is None or now <= expires_at <= values.MAX_EPOCH_MS
    assert local_time(expires_at) != "-" or expires_at is None


# -- epoch_ms --------------------------------------------------------------------------------


@pytest.mark.parametrize("literal", NUMBER_LITERALS)
def test_epoch_ms_accepts_only_moments_between_1970_and_3000(literal: str) -> None:
    value = json.loads(literal)
    number = values.real(value)
    if number is not None and 0 <= number <= values.MAX_EPOCH_MS:
        assert values.epoch_ms(value) == int(number)
    else:
        with pytest.raises(values.BadValue):
            values.epoch_ms(value)


@PROPERTY
@given(json_values)
def test_local_time_never_raises(value: Any) -> None:
    shown = local_time(value, "unknown")
    assert shown == "unknown" or re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", shown)


def test_local_time_shows_the_last_allowed_moment() -> None:
    assert local_time(values.MAX_EPOCH_MS).startswith(("2999-12-31", "3000-01-01"))


# -- printable_token -------------------------------------------------------------------------


@pytest.mark.parametrize("token", [
    "x" * 7, "x" * 8193, "", "        ", "at_" + "7" * 20 + " " + "7" * 20, "tökenvalue1", "at_\u0430bcdefgh",
    *(f"at_{'7' * 20}{c}{'7' * 20}" for c in CONTROLS),
])
def test_printable_token_refuses_anything_but_visible_ascii_of_sane_length(token: str) -> None:
    with pytest.raises(values.BadValue) as caught:
        values.printable_token(token)
    assert token not in str(caught.value) or not token.strip()


@pytest.mark.parametrize("value", [None, 12345678, 1.5, True, ["at_" + "7" * 40], {"token": TOKEN}])
def test_printable_token_refuses_other_json_types(value: Any) -> None:
    with pytest.raises(values.BadValue, match="is not a string"):
        values.printable_token(value)


@PROPERTY
@given(st.text(min_size=0, max_size=60) | st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e),
                                                   min_size=0, max_size=60))
def test_printable_token_accepts_exactly_visible_ascii_of_8_to_8192(text: str) -> None:
    expected = 8 <= len(text) <= 8192 and all("\x21" <= c <= "\x7e" for c in text)
    try:
        assert values.printable_token(text) == text
        accepted = True
    except values.BadValue:
        accepted = False
    assert accepted == expected


def test_printable_token_strips_surrounding_whitespace_only_when_asked() -> None:
    assert values.printable_token(f" {TOKEN}\r\n", strip=True) == TOKEN
    with pytest.raises(values.BadValue):
        values.printable_token(f" {TOKEN}\r\n")


def test_the_length_bounds_are_inclusive() -> None:
    assert values.printable_token("x" * 8) == "x" * 8
    assert values.printable_token("x" * 8192) == "x" * 8192


# -- scope_list ----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("inference projects.read", ("inference", "projects.read")),
    ("inference,projects.read", ("inference", "projects.read")),
    ("  inference  inference ", ("inference",)),
    (["openid", "offline_access", "https://api.example/x.read"], ("openid", "offline_access",
                                                                  "https://api.example/x.read")),
    ("", ()),
    ([], ()),
    (["!#[]~"], ("!#[]~",)),
])
def test_scope_list_accepts_rfc_6749_scope_tokens(value: Any, expected: tuple[str, ...]) -> None:
    assert values.scope_list(value) == expected


@pytest.mark.parametrize("value", [
    5, 1.5, True, {"scope": "inference"}, [1, 2], [["inference"]], ["inference", None], ['say"hi'], ["back\\slash"],
    ["a b"], ["töken"], ["x" * 257], ["s"] * 257, *([f"in{c}ference"] for c in CONTROLS if c != " "),
    *(f"inference{c}projects.read" for c in CONTROLS if c != " "),
])
def test_scope_list_refuses_anything_else(value: Any) -> None:
    with pytest.raises(values.BadValue):
        values.scope_list(value)


@PROPERTY
@given(json_values | st.lists(st.text(), max_size=5) | st.text())
def test_scope_list_returns_only_scope_tokens_or_refuses(value: Any) -> None:
    try:
        scopes = values.scope_list(value)
    except values.BadValue:
        return
    assert len(scopes) <= values.MAX_SCOPES
    assert all(SCOPE_TOKEN.fullmatch(s) and len(s) <= values.MAX_SCOPE_LENGTH for s in scopes)


# -- text_fact -------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "x" * 2049, 5, None, [], *(f"device{c}" for c in CONTROLS)])
def test_text_fact_refuses_empty_long_non_text_and_controls(value: Any) -> None:
    with pytest.raises(values.BadValue):
        values.text_fact(value)


def test_text_fact_keeps_ordinary_text() -> None:
    assert values.text_fact("https://console.skytells.ai") == "https://console.skytells.ai"
    assert values.text_fact("Łogin méthod") == "Łogin méthod"


# -- the Credential: the one place every login's result passes -------------------------------


@pytest.mark.parametrize(("field", "value"), [
    ("token", "short"), ("token", "at_\x1b[2J" + "7" * 20), ("token", "at_77777777\r\n"), ("token", None),
    ("token", 12345678), ("refresh_token", "rt\u202e" + "7" * 20), ("scopes", ("inference", "\x1b[2J")),
    ("scopes", 5), ("expires_at", 10**20), ("expires_at", -1), ("expires_at", float("nan")),
    ("token_type", "Bearer\r\nX-Injected: 1"),
])
def test_a_credential_with_an_unusable_value_is_refused(field: str, value: Any) -> None:
    fields: dict[str, Any] = {"token": TOKEN, "method": "plugin", "host": "https://console.example", field: value}
    with pytest.raises(AuthError) as caught:
        Credential(**fields)
    message = str(caught.value)
    assert repr(field) in message and "'plugin' login at https://console.example" in message
    assert TOKEN not in message and "\n" not in message and not has_controls(message)


def test_a_credential_normalises_what_it_keeps() -> None:
    credential = Credential(token=TOKEN, method="plugin", host="h", scopes=["a", "a", "b"],  # type: ignore[arg-type]
                            expires_at=1.7e12)  # type: ignore[arg-type]
    assert credential.scopes == ("a", "b")
    assert credential.expires_at == 1_700_000_000_000


# -- stored facts ----------------------------------------------------------------------------


@PROPERTY
@given(st.dictionaries(st.sampled_from(sorted({"method", "host", "issuer", "client_id", "token_type", "scopes",
                                               "expires_at", "saved_at", "project", "other"})),
                       json_values, max_size=8))
def test_stored_facts_are_usable_or_reported(info: dict[str, Any]) -> None:
    facts, problems = read_facts(info)
    assert set(facts).isdisjoint(problems)
    assert set(facts) | set(problems) <= {name for name, value in info.items() if value is not None}
    record = StoredCredentials(token=TOKEN, meta={"token": info})
    if "host" in problems:
        with pytest.raises(StoreError, match=r"meta\.token\.host"):
            record.token_credential()
        return
    credential = record.token_credential()
    assert credential is not None
    assert credential.expires_at is None or 0 <= credential.expires_at <= values.MAX_EPOCH_MS
    assert all(SCOPE_TOKEN.fullmatch(s) for s in credential.scopes or ())
    for text in (credential.method, credential.host, credential.issuer or "", credential.client_id or ""):
        assert not has_controls(text)
    local_time(credential.expires_at)
    local_time(record.facts("token").get("saved_at"))


# -- what display commands show --------------------------------------------------------------

cells = st.recursive(st.text() | st.integers() | st.none() | st.floats(allow_nan=False),
                     lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


@PROPERTY
@given(cells, st.booleans())
def test_displayable_leaves_no_control_character_and_keeps_the_shape(value: Any, shell: bool) -> None:
    shown = displayable(value, shell=shell)
    assert not any(has_controls(s) for s in _strings(shown))
    assert type(shown) is type(value) or isinstance(value, list)
    if not isinstance(value, str | list | tuple | dict):
        assert shown == value or (isinstance(value, float) and math.isnan(value))


def test_displayable_reads_rows_from_an_iterator() -> None:
    assert displayable(iter([("a\x1b", 1)])) == [("a\ufffd", 1)]
