"""Errors about the command line that name options but never echo a value.

A value typed in the wrong place is often a secret: ``skytells api-key set
KEY`` or ``login --token VALUE`` (argparse: "unrecognized arguments"), a
token pasted after ``-f`` ("invalid choice"), ``--max-width`` ("invalid int
value"). :func:`guard` makes a parser's errors show such a value masked
(``********``, or ``sk_pat_********`` for a known prefix), and so does the
app for a word that is not a command (:func:`shown`).

A word is shown as typed only when it cannot be a credential: shorter than
eight characters (no credential is that short), or an option name (two
dashes, then lower-case words joined by hyphens, such as ``--ofline``), so
typos still get a useful message.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from typing import Any

from skytells.safety.masking import mask
from skytells.safety.redaction import MIN_SECRET_LENGTH

#: What an option name looks like: a dash and one letter, or two dashes and lower-case words joined by
#: hyphens. ``-fVALUE`` is not one: argparse reads it as ``-f`` with an explicit argument.
OPTION_SHAPE = re.compile(r"-[a-z]|--[a-z]+(?:-[a-z]+)*")
MAX_OPTION_LENGTH = 24


def shown(word: str) -> str:
    """``word`` as an error message may show it: as typed if it cannot be a credential, else masked."""
    if len(word) < MIN_SECRET_LENGTH or (len(word) <= MAX_OPTION_LENGTH and OPTION_SHAPE.fullmatch(word)):
        return word
    if word.startswith("-") and "=" in word:  # --option=value: the option is shown, the value judged alone
        option, _, value = word.partition("=")
        return f"{shown(option)}={shown(value)}"
    return mask(word) or word


def without_values(message: str, words: Sequence[str], parser: argparse.ArgumentParser) -> str:
    """``message`` with every value among ``words`` (the parsed command line) shown as :func:`shown` shows it.

    The parser's own option strings and choices are left alone: they are not
    what the user typed in the wrong place, and the message lists them.
    """
    known = set(parser._option_string_actions)
    for action in parser._actions:
        if action.choices is not None:
            known.update(str(choice) for choice in action.choices)
    typed = [word for word in words if word not in known]
    values = {word for word in typed if shown(word) != word}
    # argparse may quote only what follows an option inside one word: "--opt=VALUE", or "-fVALUE" and
    # "-fxVALUE" (an explicit argument after short flags: "ignored explicit argument 'VALUE'").
    tails = {word.partition("=")[2] for word in values if word.startswith("-")}
    tails |= {word[start:] for word in values if word.startswith("-")
              for start in range(1, min(len(word) - MIN_SECRET_LENGTH, MAX_OPTION_LENGTH) + 1)}
    values |= tails
    for value in sorted((v for v in values if v and shown(v) != v), key=len, reverse=True):
        message = message.replace(repr(value), repr(shown(value))).replace(value, shown(value))
    return message


def guard(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Make ``parser``'s errors never echo a value typed on the command line; return it.

    The parser remembers the words of each parse, and its ``error`` shows
    each of them as :func:`shown` does, wherever argparse quoted it
    ("unrecognized arguments: ...", "invalid choice: '...'", ...).
    """
    words: list[str] = []
    parse_known_args = parser.parse_known_args
    report = parser.error

    def remembering_parse_known_args(args: Sequence[str] | None = None,
                                     namespace: argparse.Namespace | None = None) -> Any:
        words[:] = list(sys.argv[1:] if args is None else args)
        return parse_known_args(args, namespace)

    def error(message: str) -> Any:
        return report(without_values(message, words, parser))

    parser.parse_known_args = remembering_parse_known_args  # type: ignore[method-assign,assignment]
    parser.error = error  # type: ignore[method-assign]
    return parser
