"""Parser errors name the option and the kind of mistake, but never echo a value typed on the command line."""

from __future__ import annotations

import argparse
import base64
import random

import pytest

from skytells.cli.argument_errors import guard, shown


def _parser() -> argparse.ArgumentParser:
    parser = guard(argparse.ArgumentParser(prog="skytells logout", exit_on_error=True))
    parser.add_argument("-f", "--force", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--max-width", type=int)
    parser.add_argument("--format", choices=["table", "json"])
    return parser


def _error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exited:
        _parser().parse_args(list(argv))
    assert exited.value.code == 2
    return capsys.readouterr().err


SECRETS = ["b92236b9ee4ce24c4057a6da0753980ac1a6469", "hzzzzzzzz9zzzzzzzzzzz", "qX9_k2-pL0mN8vB7cZ6x",
           "sk_pat_" + "A1b2C3d4E5f6G7h8", "eyJhbGciOi.J9.abc-def_123", "Zx!0a1b2c3#%&*+?^~|"]
#: Every way one word can carry a value after an option; argparse quotes the value alone or the whole word.
SHAPES = ["-f{}", "-h{}", "-fq{}", "-qf{}", "-fqf{}", "-x{}", "--{}", "--force={}", "--forc={}", "--x={}",
          "--max-width={}", "--format={}", "{}", "-{}"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("secret", SECRETS)
def test_no_value_typed_inside_an_option_word_is_echoed(capsys: pytest.CaptureFixture[str], shape: str,
                                                        secret: str) -> None:
    err = _error(capsys, shape.format(secret))
    assert "error:" in err
    for start in range(len(secret) - 7):  # no 8 characters of it in a row
        assert secret[start:start + 8] not in err, err


#: Seeded, so that every pytest process (each xdist worker collects on its own) draws the same cases.
_DRAW = random.Random(20250611)
#: 16 like ``secrets.token_hex(20)``, 16 like ``secrets.token_urlsafe(24)`` (same alphabet and length).
RANDOM_SECRETS = ([_DRAW.randbytes(20).hex() for _ in range(16)]
                  + [base64.urlsafe_b64encode(_DRAW.randbytes(24)).rstrip(b"=").decode() for _ in range(16)])


@pytest.mark.parametrize("secret", RANDOM_SECRETS)
def test_any_first_letter_of_a_secret_joined_to_a_short_flag(capsys: pytest.CaptureFixture[str],
                                                             secret: str) -> None:
    for letter in "fhqx":
        err = _error(capsys, f"-{letter}{secret}")
        assert secret[-8:] not in err and secret[1:9] not in err, err


@pytest.mark.parametrize(("argv", "expected"), [
    (["--forcee"], "unrecognized arguments: --forcee"),
    (["--max-width", "12"], None),
    (["--max-width", "wide"], "invalid int value: 'wide'"),
    (["--format", "yaml"], "invalid choice: 'yaml'"),
    (["-fqz"], "ignored explicit argument 'z'"),
    (["--max-widht=3"], "unrecognized arguments: --max-widht=3"),
])
def test_mistakes_that_cannot_be_secrets_are_still_shown(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                         expected: str | None) -> None:
    if expected is None:
        assert _parser().parse_args(argv).max_width == 12
        return
    assert expected in _error(capsys, *argv)


@pytest.mark.parametrize(("word", "expected"), [
    ("-f", "-f"), ("--offline", "--offline"), ("--log-file", "--log-file"), ("short", "short"),
    ("-fb92236b9ee4", "********"), ("-verbose", "********"), ("sk_pat_A1b2C3d4E5", "sk_pat_********"),
    ("--token=sk_pat_A1b2C3d4E5", "--token=sk_pat_********"),
])
def test_shown(word: str, expected: str) -> None:
    assert shown(word) == expected
