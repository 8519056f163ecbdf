"""Every string from a plugin is terminal-safe on every path: help, group listings, suggestions, errors.

A plugin distribution names its commands and describes them with escape
sequences (CSI, OSC 8 hyperlinks, a screen clear), bidirectional overrides
and carriage returns, and one of its commands raises an exception whose
message carries the same. ``skytells plugins`` already cleaned them; here
``skytells help``, a group's listing, ``help COMMAND``, "Did you mean" and
the app's one error printer (``ConsoleFormatter``, ``SkytellsApp.refuse``)
must too: no control or bidi character reaches the terminal, whatever the
path.
"""

from __future__ import annotations

import pytest

from skytells.safety.sanitize import has_controls

ESC = "\x1b"
HOSTILE = f"{ESC}[2J{ESC}]8;;https://evil.test{ESC}\\click{ESC}]8;;{ESC}\\ \u202eesrever\u202c\rOVERWRITE{ESC}[31m"
MODULE = f'''
from cliff.command import Command


class Listed(Command):
    {("Lists things " + HOSTILE + " and more")!r}

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument("--colour", help={("Paint it " + HOSTILE)!r})
        parser.epilog = {("Epilog " + HOSTILE)!r}
        return parser

    def take_action(self, parsed_args):
        return 0


class Boom(Command):
    """Fail loudly"""

    def take_action(self, parsed_args):
        raise RuntimeError({("exploded " + HOSTILE)!r})


class Refused(Command):
    """Fail as a skytells error"""

    def take_action(self, parsed_args):
        from skytells.errors import AuthError

        raise AuthError({("refused " + HOSTILE)!r}, hint={("hint " + HOSTILE)!r})
'''
ENTRY_POINTS = f"""[skytells.commands]
hostile_list = hostile_plugin:Listed
hostile_boom = hostile_plugin:Boom
hostile_refused = hostile_plugin:Refused
ev{ESC}[31mil_tool = hostile_plugin:Listed
bidi\u202e_tool = hostile_plugin:Listed
"""


@pytest.fixture
def hostile_world(startup_world):
    from tests.startup.conftest import startup_wheel

    startup_world.install(startup_wheel(startup_world.wheels, "hostile_plugin", "1.0",
                                        {"hostile_plugin": MODULE}, ENTRY_POINTS))
    return startup_world


def _assert_safe(result) -> None:
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        for line in text.splitlines():
            assert not has_controls(line.replace("\t", " ")), f"{name} of {result.args}: {line!r}"
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [
    ("help",), ("--help",), ("hostile",), ("help", "hostile"), ("hostile", "--help"),
    ("help", "hostile", "list"), ("hostile", "list", "--help"), ("ev",), ("evil",), ("bidi",), ("hostile", "lis"),
    ("help", "hostil"), ("plugins",), ("hostile", "list", "--colour"), ("hostile", "boom", "--json"),
], ids=" ".join)
def test_plugin_names_and_descriptions_reach_the_terminal_clean(hostile_world, args):
    result = hostile_world.run(*args)

    assert result.code in (0, 2), str(result)
    _assert_safe(result)
    if args[:1] == ("help",) and len(args) == 1:
        assert "Lists things" in result.stdout and "click" in result.stdout


ERRORS = [(("hostile", "boom"), 1), (("hostile", "refused"), 4), (("-q", "hostile", "boom"), 1),
          (("-v", "hostile", "refused"), 4)]


@pytest.mark.parametrize(("args", "code"), ERRORS, ids=[" ".join(args) for args, _ in ERRORS])
def test_a_plugin_error_reaches_the_terminal_clean_on_one_line(hostile_world, args, code):
    result = hostile_world.run(*args)

    assert result.code == code, str(result)
    _assert_safe(result)
    assert len(result.error_lines) == 1, str(result)
    if "boom" in args and code == 1:
        assert result.error_lines[0].startswith("error: RuntimeError: exploded ")
        assert "OVERWRITE" in result.error_lines[0]
    if "refused" in args and code == 4:
        assert result.error_lines[0].startswith("error: refused ") and "hint " in result.error_lines[0]


def test_with_debug_the_traceback_keeps_its_lines_and_the_message_is_clean(hostile_world):
    result = hostile_world.run("--debug", "hostile", "boom")

    assert result.code == 1, str(result)
    assert "Traceback (most recent call last)" in result.stderr
    assert result.error_lines[0].startswith("error: exploded ") or "exploded" in result.error_lines[0]
    assert ESC not in result.error_lines[0] and "\u202e" not in result.error_lines[0]
