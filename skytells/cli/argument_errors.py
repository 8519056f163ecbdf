"""Errors about the command line that name options but never echo a value.

A value typed in the wrong place is often a secret: ``skytells api-key set
KEY`` or ``login --token VALUE`` (argparse: "unrecognized arguments"), a
token pasted after ``-f`` ("invalid choice"), ``--max-width`` ("invalid int
value"). A :class:`MaskingParser` (:func:`guard` makes one of any parser)
shows such a value masked (``********``, or ``sk_pat_********`` for a known
prefix), and so does the app for a word that is not a command (:func:`shown`).

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
from typing import NoReturn

from skytells.errors import UsageError
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


class MaskingParser(argparse.ArgumentParser):
    """An argparse parser whose errors never echo a value typed on the command line (see :func:`guard`).

    It remembers the words of each parse, and its ``error`` shows each of
    them as :func:`shown` does, wherever argparse quoted it ("unrecognized
    arguments: ...", "invalid choice: '...'", ...), then exits with
    :class:`UsageExit`, which carries the message as shown.
    """

    _words: Sequence[str] = ()

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        self._words = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> NoReturn:
        message = without_values(message, self._words, self)
        try:
            super().error(message)
        except SystemExit as done:  # argparse's exit 2, once the usage and the message are written
            raise UsageExit(UsageError(message, hint=f"See '{self.prog} --help'."), done.code) from None


class UsageExit(SystemExit):
    """A parser's exit on a usage error (status 2): ``error`` is what it reported, values masked."""

    def __init__(self, error: UsageError, code: str | int | None = 2) -> None:
        super().__init__(code)
        self.error = error


#: parser class -> its subclass that masks values (see :func:`guard`).
_masking_classes: dict[type[argparse.ArgumentParser], type[MaskingParser]] = {}
#: The settings every ArgumentParser takes to its constructor and keeps as attributes of the same names.
_SETTINGS = ("prog", "usage", "description", "epilog", "formatter_class", "prefix_chars", "fromfile_prefix_chars",
             "argument_default", "conflict_handler", "allow_abbrev", "exit_on_error")


def guard(parser: argparse.ArgumentParser) -> MaskingParser:
    """``parser`` if its errors never echo a value typed on the command line, else such a parser built from it.

    A parser of any class (cliff's, a plugin's) is rebuilt as an instance of
    a subclass of its own class with :class:`MaskingParser` first: same
    settings, and every option, group and default (argparse's ``parents``).
    """
    if isinstance(parser, MaskingParser):
        return parser
    cls = type(parser)
    masking = _masking_classes.get(cls)
    if masking is None:
        masking = _masking_classes[cls] = type(f"Masking{cls.__name__}", (MaskingParser, cls),
                                               {"__module__": __name__, "__doc__": MaskingParser.__doc__})
    rebuilt = masking(**{name: getattr(parser, name) for name in _SETTINGS}, add_help=False, parents=[parser])
    rebuilt._registries = {kind: dict(registry) for kind, registry in parser._registries.items()}
    return rebuilt
