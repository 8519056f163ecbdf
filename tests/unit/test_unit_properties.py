"""Property-based tests: the credentials-file parser and the server-answer parsers, whatever they are fed."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import string
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

import requests
import requests_mock
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from skytells.credentials.stores.document import KNOWN_FIELDS, parse_document, render_document
from skytells.credentials.stores.file import FileStore
from skytells.errors import NetworkError, SkytellsError, StoreError, UsageError
from skytells.net.console_api import ConsoleClient
from skytells.net.http import HttpClient, Response
from skytells.net.protocol.device_grant import (
    MAX_EXPIRES_IN,
    MAX_INTERVAL,
    MIN_INTERVAL,
    DeviceAuthorization,
    PollOutcome,
    PollResult,
    clamp_interval,
    parse_retry_after,
)
from skytells.safety import redaction
from skytells.safety.masking import mask
from skytells.safety.sanitize import terminal_safe
from skytells.terminal.ui import MAX_INPUT_LINE, Terminal, read_bounded_line

PROPERTY = settings(max_examples=200, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
SLOW_PROPERTY = settings(PROPERTY, max_examples=60)

PATH = "/home/someone/.config/skytells/credentials.json"
BIDI_CONTROLS = set("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
finite_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
device_codes = st.text(string.ascii_letters + string.digits + "-_", min_size=16, max_size=64)


def _field_values(good: st.SearchStrategy[Any], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(good, good, values)


# Documents close to real ones, so that the parser's deeper branches are reached, with wrong types mixed in.
documents = st.fixed_dictionaries({}, optional={
    "token": _field_values(st.text(), finite_json_values),
    "access_key": _field_values(st.text(), finite_json_values),
    "api_key": _field_values(st.text(), finite_json_values),
    "refresh_token": _field_values(st.text(), finite_json_values),
    "created_at": _field_values(st.integers(0, 2**53) | st.floats(0, 1e15), finite_json_values),
    "meta": _field_values(st.dictionaries(st.sampled_from(["token", "api_key", "access_key"]),
                                          st.dictionaries(st.text(max_size=8), finite_json_values, max_size=3)),
                          finite_json_values),
    "profile": _field_values(st.sampled_from(["default", "work", "ci-1"]), finite_json_values),
    "profiles": _field_values(st.dictionaries(st.sampled_from(["staging", "prod"]),
                                              st.fixed_dictionaries({}, optional={"token": st.text()})),
                              finite_json_values),
}).flatmap(lambda known: st.dictionaries(st.text(max_size=10).filter(lambda k: k not in KNOWN_FIELDS),
                                         finite_json_values, max_size=4).map(lambda extra: {**extra, **known}))


def _parse_or_store_error(text: str) -> Any:
    try:
        return parse_document(text, PATH)
    except StoreError as error:
        assert PATH in str(error)
        assert "\n" not in str(error)
        return None


# -- the credentials file --------------------------------------------------------------


@PROPERTY
@given(st.text())
def test_parse_document_only_raises_store_error_on_any_text(text: str) -> None:
    _parse_or_store_error(text)


@PROPERTY
@given(json_values)
def test_parse_document_only_raises_store_error_on_any_json(value: Any) -> None:
    _parse_or_store_error(json.dumps(value))  # NaN and Infinity included, as json.loads accepts them


@PROPERTY
@given(documents)
def test_parse_document_only_raises_store_error_on_near_documents(document: dict[str, Any]) -> None:
    _parse_or_store_error(json.dumps(document))


@PROPERTY
@given(documents)
def test_render_parse_round_trips_known_fields_and_keeps_unknown_ones(document: dict[str, Any]) -> None:
    record = _parse_or_store_error(json.dumps(document))
    if record is None:
        return
    text = render_document(record)
    again = parse_document(text, PATH)
    # Profiles that hold nothing are not written back; everything else is.
    record.profiles = {name: p for name, p in record.profiles.items() if not p.is_empty() or p.meta}
    assert again == record
    written = json.loads(text)
    for name in ("token", "access_key", "api_key", "refresh_token"):
        assert written.get(name) == (document.get(name) or None)
    if document.get("created_at") is not None:
        assert written["created_at"] == int(document["created_at"])
    for key, value in document.items():
        if key not in KNOWN_FIELDS:
            assert written[key] == value
    assert render_document(again) == text  # rendering is stable


@SLOW_PROPERTY
@given(st.binary(max_size=200) | documents.map(lambda d: json.dumps(d).encode()))
def test_file_store_never_damages_a_file_it_cannot_use(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        store = FileStore(Path(directory) / "skytells")
        store.directory.mkdir(mode=0o700)
        store.path.write_bytes(content)
        os.chmod(store.path, 0o600)
        try:
            store.update(lambda record: record.set_secret("api_key", "sk_live_new"))
        except StoreError as error:
            assert str(store.path) in str(error)
            assert store.path.read_bytes() == content
        else:
            assert store.load().api_key == "sk_live_new"
        assert not [p for p in store.directory.iterdir() if p.name.endswith(".tmp")]


# -- server answers ----------------------------------------------------------------------


class FakeHttp:
    """An HttpClient stand-in that answers every request with one prepared Response (or error)."""

    host = "console.example.test"

    def __init__(self, answer: Response | SkytellsError) -> None:
        self.answer = answer

    def request(self, *_args: Any, **_kwargs: Any) -> Response:
        if isinstance(self.answer, SkytellsError):
            raise self.answer
        return self.answer


@st.composite
def responses(draw: Any, secret: str) -> Response | SkytellsError:
    """Any answer a server might give, sometimes echoing ``secret`` back in its text."""
    if draw(st.integers(0, 15)) == 0:
        return NetworkError("Could not connect to console.example.test.")
    strings = st.text(max_size=30) | st.builds(lambda a, b: a + secret + b, st.text(max_size=5), st.text(max_size=5))
    shaped = st.fixed_dictionaries({}, optional={
        "error": st.sampled_from(["authorization_pending", "slow_down", "access_denied", "expired_token",
                                  "invalid_grant"]) | strings | json_values,
        "error_description": strings | json_values,
        "message": strings | json_values,
        "access_token": st.text(max_size=20) | json_values,
        "token_type": strings | json_values,
        "scopes": st.lists(st.text(max_size=8)) | json_values,
        "scope": strings | json_values,
        "refresh_token": strings | json_values,
        "expires_in": json_values,
        "device_code": strings | json_values,
        "user_code": strings | json_values,
        "verification_uri": strings | json_values,
        "verification_uri_complete": strings | json_values,
        "interval": json_values,
    })
    data = draw(shaped | shaped.map(lambda d: {"data": d}) | json_values)
    kind = draw(st.sampled_from(["json", "json", "json", "empty", "html", "other"]))
    if kind != "json":
        data = None
    status = draw(st.sampled_from([200, 400, 401, 403, 410, 428, 429, 500, 503]) | st.integers(100, 599))
    headers = draw(st.fixed_dictionaries({}, optional={"retry-after": st.text(max_size=40)}))
    return Response(status, headers, data, kind=kind, host=FakeHttp.host)


def _assert_clean(secret: str, *texts: object) -> None:
    for text in texts:
        assert secret not in str(text)
        assert secret not in repr(text)


@PROPERTY
@given(st.data())
def test_poll_device_token_answers_or_raises_a_skytells_error(data: Any) -> None:
    device_code = data.draw(device_codes)
    api = ConsoleClient(FakeHttp(data.draw(responses(device_code))))  # type: ignore[arg-type]
    try:
        result = api.poll_device_token(device_code)
    except SkytellsError as error:
        _assert_clean(device_code, error, error.message, error.hint)
        return
    assert isinstance(result, PollResult)
    _assert_clean(device_code, result.detail)
    if result.outcome is PollOutcome.APPROVED:
        assert isinstance(result.access_token, str)
        assert result.access_token.strip()
    else:
        assert result.access_token is None
    if result.retry_after is not None:
        assert 0.0 <= result.retry_after <= 60.0


@PROPERTY
@given(st.data())
def test_request_device_code_answers_or_raises_a_skytells_error(data: Any) -> None:
    issued = data.draw(device_codes)
    answer = data.draw(responses(issued))
    api = ConsoleClient(FakeHttp(answer))  # type: ignore[arg-type]
    try:
        authorization = api.request_device_code("Skytells CLI", ("inference",))
    except SkytellsError as error:
        if isinstance(answer, Response) and answer.status == 200:  # a code was issued: it must not show
            _assert_clean(issued, error, error.message)
        return
    assert isinstance(authorization, DeviceAuthorization)
    assert isinstance(authorization.device_code, str)
    assert authorization.user_code and len(authorization.user_code) <= 64
    assert isinstance(authorization.verification_uri, str)
    assert MIN_INTERVAL <= authorization.interval <= MAX_INTERVAL
    assert 0 < authorization.expires_in <= MAX_EXPIRES_IN
    # The device code the server sent may be as short as "0", which other fields can contain by chance
    # ("expires_in=900.0"): prove instead that what is shown does not depend on the device code at all.
    hidden = dataclasses.replace(authorization, device_code=f"never-shown-{authorization.device_code}")
    assert repr(authorization) == repr(hidden) and str(authorization) == str(hidden)


header_text = st.text(st.characters(max_codepoint=255, blacklist_characters="\r\n"), max_size=40)


@SLOW_PROPERTY
@given(device_code=device_codes, status=st.integers(200, 599), body=st.binary(max_size=300),
       retry_after=header_text, location=header_text)
def test_poll_over_http_answers_or_raises_a_skytells_error(device_code: str, status: int, body: bytes,
                                                           retry_after: str, location: str) -> None:
    # Only a server that set out to could put the device code (sent in the POST body) into a redirect's
    # Location, which is shown to help diagnose a misconfigured URL; that case is not this property's.
    assume(device_code not in location)
    client = HttpClient("https://console.example.test")
    with requests_mock.Mocker() as mock:
        mock.post("https://console.example.test/api/oauth/token", status_code=status, content=body,
                  headers={"Retry-After": retry_after, "Location": location})
        try:
            ConsoleClient(client).poll_device_token(device_code)
        except SkytellsError as error:
            _assert_clean(device_code, error)
        finally:
            client.close()


@SLOW_PROPERTY
@given(error=st.sampled_from([requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout,
                              requests.exceptions.SSLError, requests.exceptions.ChunkedEncodingError,
                              requests.exceptions.ContentDecodingError, requests.exceptions.ProxyError]),
       text=st.text(max_size=60))
def test_any_transport_failure_is_a_retry_naming_the_host(error: type[Exception], text: str) -> None:
    client = HttpClient("https://console.example.test")
    with requests_mock.Mocker() as mock:
        mock.post("https://console.example.test/api/oauth/token", exc=error(text))
        result = ConsoleClient(client).poll_device_token("dc-0123456789abcdef")
    assert result.outcome is PollOutcome.RETRY
    assert "console.example.test" in result.detail


@PROPERTY
@given(st.text() | st.none())
def test_parse_retry_after_never_raises_and_is_capped(value: str | None) -> None:
    seconds = parse_retry_after(value, now_epoch=1_700_000_000.0)
    assert seconds is None or 0.0 <= seconds <= 60.0


@PROPERTY
@given(json_values)
def test_clamp_interval_is_always_usable(value: Any) -> None:
    interval = clamp_interval(value)
    assert math.isfinite(interval)
    assert MIN_INTERVAL <= interval <= MAX_INTERVAL


# -- what reaches the terminal --------------------------------------------------------


@PROPERTY
@given(st.text(st.characters(codec="utf-8")), st.integers(2, 400))
def test_terminal_safe_never_returns_control_or_bidi_characters(text: str, limit: int) -> None:
    safe = terminal_safe(text, limit)
    assert all(unicodedata.category(c) != "Cc" for c in safe)
    assert not BIDI_CONTROLS & set(safe)
    assert len(safe) <= limit


@PROPERTY
@given(st.text(st.characters(blacklist_categories=("Cc", "Cs"),
                             blacklist_characters="".join(BIDI_CONTROLS)), max_size=50))
def test_terminal_safe_keeps_harmless_text(text: str) -> None:
    assert terminal_safe(text) == unicodedata.normalize("NFC", text)


@PROPERTY
@given(device_codes, st.text(max_size=250), st.text(max_size=250), st.integers(100, 599))
def test_a_description_never_shows_a_registered_secret(secret: str, before: str, after: str, status: int) -> None:
    redaction.reset()
    redaction.register(secret)
    response = Response(status, {}, {"error_description": before + secret + after})
    assert secret[:12] not in response.describe()


@PROPERTY
@given(st.sampled_from(["", "sk_", "sk_pat_", "sk_proj_"]), st.text())
def test_mask_shows_nothing_but_a_known_prefix(prefix: str, rest: str) -> None:
    secret = prefix + rest
    shown = mask(secret)
    assert shown in {"", "********", "sk_********", "sk_pat_********", "sk_proj_********"}
    assert secret.startswith(shown.removesuffix("********"))
    assert (shown == "") == (secret == "")


# -- what is typed or piped ---------------------------------------------------------------

# Line lengths around the limit, and short ones; line ends of every kind, or none (the input just ends).
line_lengths = st.sampled_from([0, 1, 2, MAX_INPUT_LINE - 1, MAX_INPUT_LINE, MAX_INPUT_LINE + 1,
                                MAX_INPUT_LINE + 2, 3 * MAX_INPUT_LINE]) | st.integers(0, 100)
line_ends = st.sampled_from(["\n", "\r\n", ""])
typed_lines = st.tuples(line_lengths, st.characters(codec="utf-8", blacklist_characters="\r\n"), line_ends)


@PROPERTY
@given(st.lists(typed_lines, min_size=1, max_size=3))
def test_read_bounded_line_returns_the_first_line_or_refuses_it_without_reading_on(lines: list[Any]) -> None:
    text = "".join(char * length + end for length, char, end in lines)
    first = text.split("\n", 1)[0].removesuffix("\r")
    stream = io.StringIO(text)
    try:
        line = read_bounded_line(stream, "standard input")
    except UsageError as error:
        assert len(first) > MAX_INPUT_LINE
        assert str(error) == (f"More than {MAX_INPUT_LINE} characters on one line of standard input: "
                              "too long to be a credential.")
    else:
        assert line == (first if text else None)
        assert len(first) <= MAX_INPUT_LINE
    assert stream.tell() <= MAX_INPUT_LINE + 2  # the longest line accepted, with CR LF: never more


@PROPERTY
@given(st.text(max_size=20), st.sampled_from(["\n", ""]))
def test_secret_readers_answer_the_stripped_line_or_refuse_with_exit_2(typed: str, end: str) -> None:
    assume("\n" not in typed and "\r" not in typed)
    piped = Terminal(stdin=io.StringIO(typed + end), stderr=io.StringIO())
    prompted = Terminal(stdin=io.StringIO(typed + end), stderr=io.StringIO())
    prompted.can_prompt = True
    for terminal, empty in ((piped, "No API key on standard input."), (prompted, "Nothing entered.")):
        try:
            secret = terminal.read_secret("API key", "Paste your API key")
        except UsageError as error:
            assert not typed.strip()
            assert error.message == (empty if typed + end or not terminal.can_prompt
                                     else "Cancelled at the prompt (end of input).")
            assert error.exit_code == 2
        else:
            assert secret == typed.strip() and secret


@PROPERTY
@given(st.text(max_size=20), st.sampled_from(["\n", ""]))
def test_confirm_is_yes_only_for_y_or_yes(typed: str, end: str) -> None:
    terminal = Terminal(stdin=io.StringIO(typed + end), stderr=io.StringIO())
    terminal.can_prompt = True
    first = (typed + end).split("\n", 1)[0]
    assert terminal.confirm("Go on?") == (first.strip().lower() in ("y", "yes"))
