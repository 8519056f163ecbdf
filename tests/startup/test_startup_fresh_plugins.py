"""Installing, reinstalling and removing a plugin shows at once, whatever skytells cached before.

Each test first lets skytells write its caches (the entry-point index and the
command summaries) for the current state, then changes the installation with
pip and checks the very next run. The plugin directory is backdated before the
caches are written so that they really are written (skytells does not cache a
state younger than ``discovery.RACY_SECONDS``) and a stale cache would show.
"""

from __future__ import annotations

DIST = "skytells_fresh_demo"


def test_an_installed_plugin_is_listed_and_runs_at_once_and_is_gone_once_removed(startup_world):
    world = startup_world
    world.backdate(60)
    assert "hello" not in world.help_listing()
    assert '"skytells.commands"' in world.cached("entry-points.json")  # the index was written: a cache to go stale

    world.install(world.plugin(DIST, {"hello": ("Say hello from a fresh plugin", "hello v1")}))
    assert world.help_listing()["hello"] == "Say hello from a fresh plugin"
    ran = world.run("hello")
    assert (ran.code, ran.stdout) == (0, "hello v1\n"), ran

    world.backdate(60)
    world.help_listing()
    assert "skytells_fresh_demo_commands:Command0" in world.cached("entry-points.json")
    assert "Say hello from a fresh plugin" in world.cached("command-summaries.json")

    world.uninstall(DIST)
    assert "hello" not in world.help_listing()
    gone = world.run("hello")
    assert gone.code == 2, gone
    assert "'hello' is not a skytells command" in gone.stderr


def test_reinstalling_the_same_version_with_other_entry_points_seconds_later_shows_at_once(startup_world):
    # Three seconds apart: stevedore's cache key (modification times as 32-bit floats, about two minutes
    # of resolution) cannot tell these installations apart; skytells' index must.
    world = startup_world
    world.install(world.plugin(DIST, {"hello": ("First hello", "hello v1")}))
    world.backdate(3)
    assert world.help_listing()["hello"] == "First hello"
    assert "skytells_fresh_demo_commands:Command0" in world.cached("entry-points.json")
    assert "First hello" in world.cached("command-summaries.json")

    world.install(world.plugin(DIST, {"hello": ("Rebuilt hello", "hello v1b"), "goodbye": ("Say goodbye", "bye")}))
    listing = world.help_listing()
    assert (listing["hello"], listing["goodbye"]) == ("Rebuilt hello", "Say goodbye")
    assert world.run("hello").stdout == "hello v1b\n"
    assert world.run("goodbye").stdout == "bye\n"

    world.backdate(3)
    world.help_listing()
    world.install(world.plugin(DIST, {"goodbye": ("Say goodbye", "bye")}))
    assert "hello" not in world.help_listing()
    assert world.run("hello").code == 2
    assert world.run("goodbye").stdout == "bye\n"


def test_editing_an_installed_module_updates_its_summary(startup_world):
    # What an editable install looks like: the code changes, the installation does not.
    world = startup_world
    world.install(world.plugin(DIST, {"hello": ("Before the edit", "hello")}))
    world.backdate(60)
    assert world.help_listing()["hello"] == "Before the edit"
    assert "Before the edit" in world.cached("command-summaries.json")

    module = world.site / f"{DIST}_commands.py"
    module.write_text(module.read_text().replace("Before the edit", "After the edit, longer"))
    assert world.help_listing()["hello"] == "After the edit, longer"


def test_a_plugin_on_the_skytells_base_class_says_which_distribution_provides_it(startup_world):
    world = startup_world
    world.install(world.plugin(DIST, {"hello": ("Say hello", "hello")}, base="skytells.cli.command"))
    shown = world.run("help", "hello")
    assert shown.code == 0, shown
    assert f"This command is provided by the {DIST} plugin." in " ".join(shown.stdout.split())
    assert world.run("hello").stdout == "hello\n"


def test_a_third_party_output_formatter_is_offered_and_used(startup_world):
    world = startup_world
    world.write_credentials()
    formatter = '''
from cliff.formatters.base import SingleFormatter


class ShoutFormatter(SingleFormatter):
    def add_argument_group(self, parser):
        group = parser.add_argument_group("shout formatter")
        group.add_argument("--shout-mark", default="!", help="what ends every line")

    def emit_one(self, column_names, data, stdout, parsed_args):
        for name, value in zip(column_names, data):
            stdout.write(f"{name.upper()} {str(value).upper()}{parsed_args.shout_mark}\\n")
'''
    world.install(world.plugin(DIST, {}, extra_modules={"shout_formatter": formatter},
                               extra_entry_points="[cliff.formatter.show]\nshout = shout_formatter:ShoutFormatter\n"))
    shown = world.run("help", "whoami")
    assert "shout" in shown.stdout and "--shout-mark" in shown.stdout, shown
    used = world.run("whoami", "--offline", "-f", "shout", "--shout-mark", "?!", "-c", "token_source")
    assert used.code == 0, used
    assert used.stdout.startswith("TOKEN_SOURCE ") and used.stdout.endswith("?!\n"), used
    default = world.run("whoami", "--offline", "-c", "token_source")
    assert default.code == 0 and "| token_source |" in default.stdout, default


def test_a_broken_output_formatter_is_skipped_with_one_warning(startup_world):
    world = startup_world
    world.write_credentials()
    world.install(world.plugin(DIST, {}, extra_modules={"broken_formatter": "import sk_missing_formatter_dep\n"},
                               extra_entry_points="[cliff.formatter.show]\nbroken = broken_formatter:Formatter\n"))
    shown = world.run("whoami", "--offline", "-f", "json")
    assert shown.code == 0 and shown.stdout.startswith("{"), shown
    assert shown.stderr.splitlines() == [
        f"warning: The plugin 'broken' from {DIST} 1.0 could not be loaded: ModuleNotFoundError: No module named "
        f"'sk_missing_formatter_dep'; it is skipped. Remove it with: pip uninstall {DIST}"], shown
    offered = world.run("whoami", "--offline", "-f", "broken")
    assert offered.code == 2 and "invalid choice: 'broken'" in offered.stderr, offered


def test_the_garbage_collector_is_back_on_when_a_command_runs(startup_world):
    # Start-up runs without the cyclic collector (skytells.main); a long-running command must not.
    world = startup_world
    probe = '''
import gc

from cliff.command import Command


class Probe(Command):
    """Report the collector's state"""

    def take_action(self, parsed_args):
        self.app.stdout.write(f"enabled={gc.isenabled()} frozen={gc.get_freeze_count() > 0}\\n")
        return 0
'''
    world.install(world.plugin(DIST, {}, extra_modules={"gc_probe": probe},
                               extra_entry_points="[skytells.commands]\ngc-probe = gc_probe:Probe\n"))
    ran = world.run("gc-probe")
    assert (ran.code, ran.stdout) == (0, "enabled=True frozen=True\n"), ran
