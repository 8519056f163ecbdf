"""Help reads well at 80 columns and says what the tool does.

Every help the CLI prints (the command list, each group's listing, each
command's options) fits in 80 columns, breaks lines between words only (a
word cut at its hyphen, ``--max-`` / ``width``, is a split word), keeps a
description's paragraphs apart, and replaces cliff's stock texts that said
something else (``-q``, ``--log-file``, ``--max-width``, the formatter
headings, ``cmd``). Split words are found by rendering the same help 500
columns wide: every word at 80 columns must be a word there too.
"""

from __future__ import annotations

import re

import pytest

GROUPS = (("auth",), ("api-key",))


def _help(e2e, *args, columns: int = 80) -> str:
    result = e2e.run(*args, env={"COLUMNS": str(columns)})
    assert result.code == 0, str(result)
    assert result.stderr == "", str(result)
    return result.stdout


def _commands(e2e) -> list[str]:
    listing = _help(e2e, "help", columns=500).split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    return [re.split(r"\s{2,}", line.strip(), maxsplit=1)[0] for line in listing.splitlines()]


def _assert_reads_well(e2e, args: tuple[str, ...]) -> str:
    narrow = _help(e2e, *args)
    wide_words = set(_help(e2e, *args, columns=500).split())
    for line in narrow.splitlines():
        assert len(line) <= 80, f"{' '.join(args)}: a line of {len(line)} columns: {line!r}"
    split = sorted(word for word in set(narrow.split()) - wide_words)
    assert split == [], f"{' '.join(args)}: words split across lines: {split}"
    return narrow


@pytest.mark.parametrize("args", [("help",), ("--help",), *GROUPS, *(("help", *group) for group in GROUPS)],
                         ids=" ".join)
def test_the_command_list_and_group_listings_fit_80_columns(e2e, args):
    text = _assert_reads_well(e2e, args)
    # A summary that wraps continues under the summary column (a hanging indent), never under the names.
    listing = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    summary_column = len(listing[0]) - len(re.split(r"\s{2,}", listing[0].strip(), maxsplit=1)[1])
    for line in listing:
        if line.startswith(" " * (summary_column - 1)):
            assert line[:summary_column].strip() == "" and line[summary_column] != " ", line


def test_every_command_help_fits_80_columns(e2e):
    commands = _commands(e2e)
    assert {"whoami", "auth status", "login", "complete", "help"} <= set(commands)
    for command in commands:
        _assert_reads_well(e2e, ("help", *command.split()))
        _assert_reads_well(e2e, (*command.split(), "--help"))


def test_complete_help_keeps_its_paragraphs(e2e):
    text = _assert_reads_well(e2e, ("complete", "--help"))
    assert "\n\nLoad it in each new shell" in text
    assert "\n\n    source <(skytells complete)\n\n" in text
    assert "\n\nIt completes commands" in text


def test_the_global_options_say_what_they_do(e2e):
    text = " ".join(_help(e2e, "--help").split())
    assert "Suppress output except warnings and errors" not in text
    assert "-q, --quiet Show only what needs you: instructions such as the device code, warnings and errors" in text
    assert "--log-file FILE Also append the log to FILE, redacted like all output" in text
    assert "Specify a file to log output" not in text and "LOG_FILE" not in text
    assert "--version Show the version and exit." in text


@pytest.mark.parametrize("command", [("whoami",), ("auth", "status"), ("plugins",)])
def test_the_formatter_options_have_one_style(e2e, command):
    text = _help(e2e, "help", *command)
    headings = [line[:-1] for line in text.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert "output options" in headings and "table format options" in headings, headings
    for heading in headings:
        assert heading == heading.lower() and "formatter" not in heading, heading
    assert "CSV Formatter" not in text and "Output formatter options" not in text
    flat = " ".join(text.split())
    assert "--max-width N Make tables at most this many characters wide (0: no limit" in flat
    assert "<integer>" not in flat and "You can also use" not in flat


def test_help_names_its_argument_in_capitals(e2e):
    text = _help(e2e, "help", "help")
    assert "usage: skytells help [-h] [COMMAND ...]" in text
    assert " cmd " not in text and "Name of the command" not in text
