"""Scopes, masking and terminal sanitising."""

from __future__ import annotations

import pytest

from skytells.config.scopes import DEFAULT_SCOPES, KNOWN_SCOPES, parse_scopes
from skytells.errors import UsageError
from skytells.exitcodes import ExitCode
from skytells.safety.masking import looks_like_pat, looks_like_project_key, mask
from skytells.safety.sanitize import terminal_safe

# -- scopes ---------------------------------------------------------------------------


def test_no_scopes_flag_gives_the_seed_defaults() -> None:
    assert parse_scopes(None) == ("inference", "projects.read", "deployments.read", "account.read")
    assert parse_scopes(None) == DEFAULT_SCOPES


def test_known_scopes_are_the_documented_ones() -> None:
    assert set(KNOWN_SCOPES) == {"inference", "projects.read", "projects.write", "deployments.read",
                                 "deployments.write", "keys.read", "keys.write", "account.read"}


@pytest.mark.parametrize(("text", "expected"), [
    ("inference", ("inference",)),
    ("inference,projects.read", ("inference", "projects.read")),
    (" inference ,\tprojects.write , keys.read ", ("inference", "projects.write", "keys.read")),
    ("keys.read,inference,keys.read,inference", ("keys.read", "inference")),
    ("inference,,projects.read,", ("inference", "projects.read")),
    (",".join(KNOWN_SCOPES), KNOWN_SCOPES),
])
def test_scopes_are_trimmed_and_deduplicated_in_order(text: str, expected: tuple[str, ...]) -> None:
    assert parse_scopes(text) == expected


@pytest.mark.parametrize("text", ["", " ", ",", " , ,, "])
def test_empty_scopes_are_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="at least one scope") as caught:
        parse_scopes(text)
    assert caught.value.exit_code == ExitCode.USAGE
    assert all(scope in str(caught.value) for scope in KNOWN_SCOPES)


@pytest.mark.parametrize(("text", "unknown"), [
    ("inference,admin", "'admin'"),
    ("Inference", "'Inference'"),
    ("projects.read projects.write", "'projects.read projects.write'"),
    ("foo,inference,bar", "'foo, bar'"),
])
def test_an_unknown_scope_is_a_usage_error_listing_the_valid_ones(text: str, unknown: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_scopes(text)
    error = caught.value
    assert error.exit_code == ExitCode.USAGE
    assert f"Unknown scope {unknown}" in error.message
    assert error.hint == "Valid scopes: " + ", ".join(KNOWN_SCOPES) + "."


def test_an_unknown_scope_cannot_inject_terminal_controls() -> None:
    with pytest.raises(UsageError) as caught:
        parse_scopes("inference,\x1b[2Jevil\u202e")
    assert "\x1b" not in str(caught.value)
    assert "\u202e" not in str(caught.value)


# -- masking ------------------------------------------------------------------------

PAT = "sk_pat_" + "7f3a9c" * 10 + "7f3a"
PROJECT_KEY = "sk_proj_Zm9vYmFyYmF6cXV4"


@pytest.mark.parametrize(("secret", "shown"), [
    (PAT, "sk_pat_********"),
    (PROJECT_KEY, "sk_proj_********"),
    ("sk_live_abcdef123456", "sk_********"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", "********"),
    ("x", "********"),
    ("sk_pat_", "sk_********"),  # the bare prefix is not a sk_pat_ token
    ("", ""),
    (None, ""),
])
def test_mask_shows_only_the_prefix(secret: str | None, shown: str) -> None:
    assert mask(secret) == shown
    if secret:
        prefix = shown.removesuffix("********")
        assert secret.removeprefix(prefix)[:4] not in mask(secret)


def test_pat_and_project_key_shapes() -> None:
    assert looks_like_pat(PAT)
    assert looks_like_pat(PAT.upper().replace("SK_PAT_", "sk_pat_"))
    assert not looks_like_pat(PAT + "0")
    assert not looks_like_pat(PAT[:-1])
    assert not looks_like_pat(PAT + "\n")
    assert not looks_like_pat(" " + PAT)
    assert looks_like_project_key(PROJECT_KEY)
    assert not looks_like_project_key("sk_proj_short")
    assert not looks_like_project_key("sk_proj_has spaces in it")


# -- terminal_safe ------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x1b", "\x07", "\x08", "\r", "\n", "\t", "\x00", "\x7f", "\x85", "\x9b",
                                       "\u061c", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
                                       "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"])
def test_terminal_safe_replaces_controls_and_bidi_characters(character: str) -> None:
    assert terminal_safe(f"a{character}b") == "a\N{REPLACEMENT CHARACTER}b"


def test_terminal_safe_keeps_ordinary_text_and_cuts_long_text() -> None:
    assert terminal_safe("Bonjour, café ☕ ABCD-1234") == "Bonjour, café ☕ ABCD-1234"
    assert terminal_safe("e\u0301") == "\u00e9"  # NFC
    cut = terminal_safe("x" * 500, 40)
    assert len(cut) == 40
    assert cut.endswith("\N{HORIZONTAL ELLIPSIS}")
    assert terminal_safe(12345) == "12345"
