"""Rule: group commands list their commands, and every line of help follows one style.

``skytells GROUP`` (alone, with ``--help``/``-h``, or as ``help GROUP``) lists
the group's commands with their summaries and exits 0, for our groups and a
plugin's multi-word commands alike. Every command summary starts with a
capital letter and has no final period; every option's help starts with a
capital letter and ends with a period, checked in the real help output of
every command.
"""

from __future__ import annotations

import re

import pytest

from skytells.exitcodes import ExitCode

GROUPS = {"auth": {"doctor", "status", "switch", "token"}, "api-key": {"rm", "set", "status"}}
FORMS = {"alone": (), "--help": ("--help",), "-h": ("-h",)}
WIDE = {"COLUMNS": "1000"}  # argparse wraps nothing: one option per line


def group_listing(stdout: str) -> dict[str, str]:
    """The "Commands:" section: name -> summary (a summary wrapped onto more lines, joined again)."""
    section = stdout.split("\nCommands:\n", 1)[1].split("\n\n", 1)[0]
    rows: dict[str, str] = {}
    name = ""
    for line in section.splitlines():
        found = re.match(r"  (\S+(?: \S+)*?)  +(.*)", line)
        if found is None:  # the summary goes on, under its column
            rows[name] += " " + line.strip()
            continue
        name, rows[name] = found.groups()
    return rows


def command_list(world) -> dict[str, str]:
    """``skytells help``'s commands: name -> summary."""
    result = world.run("help")
    assert result.code == 0, result
    return group_listing(result.stdout)


@pytest.mark.parametrize("form", FORMS.values(), ids=FORMS.keys())
@pytest.mark.parametrize("group", GROUPS)
def test_a_group_alone_lists_its_commands_and_exits_0(e2e, group, form):
    result = e2e.run(group, *form)
    assert result.code == ExitCode.OK, result
    assert result.stderr == ""
    assert result.stdout.startswith(f"usage: skytells {group} COMMAND")
    listing = group_listing(result.stdout)
    assert set(listing) == GROUPS[group]
    everything = command_list(e2e)
    for name, summary in listing.items():
        assert summary == everything[f"{group} {name}"]
    assert e2e.run("help", group).stdout == result.stdout


@pytest.mark.parametrize(("args", "named"), [
    (("auth", "nope"), "'nope' is not a 'skytells auth' command"),
    (("auth", "s"), "'s' is not a 'skytells auth' command"),
    (("api-key", "--offline"), "'skytells api-key' needs a command before --offline"),
    (("help", "auth", "nope"), "'nope' is not a 'skytells auth' command"),
])
def test_an_unknown_word_in_a_group_is_a_usage_error_naming_the_group(e2e, args, named):
    result = e2e.run(*args)
    assert result.code == ExitCode.USAGE, result
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith(f"error: {named}"), result


PLUGIN_COMMANDS = {"deploy_app_create": "Create an app", "deploy_app_delete": "Delete an app",
                   "deploy_logs": "Show the logs"}


def test_a_plugins_multi_word_commands_form_groups(startup_world):
    startup_world.install(startup_world.plugin(
        "consistency_groups", {name: (summary, name) for name, summary in PLUGIN_COMMANDS.items()}))
    top = startup_world.run("deploy")
    assert top.code == ExitCode.OK, top
    assert group_listing(top.stdout) == {"app create": "Create an app", "app delete": "Delete an app",
                                         "logs": "Show the logs"}
    second = startup_world.run("deploy", "app", "--help")
    assert second.code == ExitCode.OK, second
    assert group_listing(second.stdout) == {"create": "Create an app", "delete": "Delete an app"}
    assert startup_world.run("deploy", "app", "create").stdout == "deploy_app_create\n"


def option_helps(text: str) -> list[tuple[str, str]]:
    """(invocation, help) of every option and argument in argparse's help output (printed unwrapped)."""
    found = []
    lines = text.split("\n\n", 1)[1].splitlines()  # past the usage
    section = ""
    for number, line in enumerate(lines):
        if line and not line.startswith(" "):
            section = line
            continue
        is_entry = line.startswith("  -") or (section == "positional arguments:" and line.startswith("  ")
                                               and not line.startswith("   "))
        if not is_entry:
            continue
        invocation, _, help_text = line.strip().partition("  ")
        if not help_text.strip() and number + 1 < len(lines) and lines[number + 1].startswith("    "):
            help_text = lines[number + 1]  # a long invocation puts its help on the next line
        found.append((invocation, help_text.strip()))
    return found


def test_every_summary_and_option_help_has_one_style(e2e):
    summaries = command_list(e2e)
    for name, summary in summaries.items():
        assert summary[0].isupper(), f"{name}: {summary!r} starts in lower case"
        assert not summary.endswith("."), f"{name}: {summary!r} ends with a period"
    checked = 0
    for name in [None, *summaries]:
        result = e2e.run("help", *(name.split() if name else ()), env=WIDE)
        assert result.code == 0, result
        helps = option_helps(result.stdout)
        assert any(invocation.startswith("-h, --help") for invocation, _ in helps), f"help of {name} unparsed"
        for invocation, text in helps:
            assert text, f"{name} {invocation}: no help"
            assert text[0].isupper(), f"{name} {invocation}: {text!r} starts in lower case"
            assert text.endswith("."), f"{name} {invocation}: {text!r} does not end with a period"
            checked += 1
    assert checked > 90  # every command's options, cliff's and argparse's included


def test_api_key_set_says_where_the_key_is_read_from(e2e):
    result = e2e.run("api-key", "set", "--help")
    assert result.code == 0, result
    text = " ".join(result.stdout.split())
    assert "hidden prompt" in text and "stdin" in text
    assert "never from the command line" in text
