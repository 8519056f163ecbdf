"""Rule: completion works, in bash and in zsh, from the script ``skytells complete`` prints.

The script is sourced in a real shell and its completion function is called
the way the shell calls it: in bash with ``COMP_WORDS``/``COMP_CWORD`` set, in
zsh through ``bashcompinit``'s ``compgen -F`` (zsh then keeps the candidates
that start with the typed word, as its ``compadd`` does). No bash-completion
package is loaded: the script must not need one.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from skytells.testing import CliRunner

TIMEOUT = 30
SHELLS = ("bash", "zsh")
FORMATS_SHOW = {"json", "shell", "table", "value", "yaml"}
FORMATS_LIST = {"csv", "json", "table", "value", "yaml"}
AUTH = {"doctor", "status", "switch", "token"}
TOP = {"api", "api-key", "auth", "complete", "help", "link", "login", "logout", "models", "plugins", "predictions",
       "sandbox", "whoami"}

#: Words typed (the last one is under the cursor) -> exactly what completion offers.
CASES: dict[str, tuple[tuple[str, ...], set[str]]] = {
    "every command": (("",), TOP),
    "a command by its start": (("sa",), {"sandbox"}),
    "two commands by their start": (("lo",), {"login", "logout"}),
    "a command's subcommand": (("sandbox", ""), {"demo"}),
    "a group's commands": (("auth", ""), AUTH),
    "a group's commands by their start": (("auth", "s"), {"status", "switch"}),
    "another group": (("api-key", ""), {"rm", "set", "status"}),
    "after a global option with a value": (("--profile", "work", "auth", ""), AUTH),
    "after a global flag": (("-v", "whoami", "--of"), {"--offline"}),
    "help's commands": (("help", ""), TOP),
    "help's group commands": (("help", "auth", ""), AUTH),
    "no options after help": (("help", "auth", "-"), set()),
    "the formatters of -f": (("whoami", "-f", ""), FORMATS_SHOW),
    "the formatters of --format": (("whoami", "--format", ""), FORMATS_SHOW),
    "the formatters of a lister": (("auth", "status", "-f", ""), FORMATS_LIST),
    "the formatters by their start": (("plugins", "-f", "c"), {"csv"}),
    "-f after another option's value": (("whoami", "-c", "token", "-f", "j"), {"json"}),
    "a plugin option's choices": (("sandbox", "--dialect", ""), {"console", "rfc8628"}),
    "a command option's choices": (("plugins", "--group", ""), {"commands", "authenticators", "credential-stores"}),
    "options of a command": (("sandbox", "demo", "--"), {"--keep", "--help"}),
    "options after an option's value": (("auth", "status", "-f", "json", "--off"), {"--offline"}),
    "nothing after a command without subcommands": (("auth", "switch", ""), set()),
    "nothing for an unknown word": (("nope", ""), set()),
    # login's options depend on the method chosen: every installed method's own, and login's steps
    "login's steps and every method's options": (("login", "--"), {
        "--token", "--method", "--scopes", "--force", "--help", "--json", "--request", "--check", "--wait",
        "--no-browser", "--qr", "--issuer", "--client-id", "--device-authorization-endpoint", "--no-dpop",
        "--port", "--timeout", "--command", "--command-timeout", "--shell", "--audience", "--id-token-file",
        "--id-token-env", "--subject-token-type"}),
    "a method's option by its start": (("login", "--method", "device", "--q"), {"--qr"}),
    "the installed login methods": (("login", "--method", ""), {"device", "token", "browser", "command", "workload"}),
}
BASH_ONLY = {
    # bash splits --format=json at "=" into three words
    "a value after --option=": (("whoami", "--format", "=", ""), FORMATS_SHOW),
    "a value after --option=start": (("whoami", "--format", "=", "ya"), {"yaml"}),
}
#: A plugin's multi-word commands (entry-point names use "_" for spaces).
PLUGIN_COMMANDS = ("deploy_app_create", "deploy_app_delete", "deploy_logs", "zap")
PLUGIN_CASES = {
    "a plugin's group among the commands": (("",), TOP | {"deploy", "zap"}),
    "a plugin group's commands": (("deploy", ""), {"app", "logs"}),
    "a plugin's second-level group": (("deploy", "app", ""), {"create", "delete"}),
    "help of a plugin's group": (("help", "deploy", "app", "d"), {"delete"}),
}


def shell_or_skip(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.skip(f"{shell} is not installed")
    return path


BASH_PROBE = """
source "$1"; shift
COMP_WORDS=(skytells "$@"); COMP_CWORD=$#; COMPREPLY=()
_skytells skytells "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "${COMPREPLY[@]}"
"""
ZSH_PROBE = """
autoload -U +X compinit && compinit -u -D
source "$1"; shift
typeset -a words COMP_WORDS; typeset CURRENT COMP_CWORD PREFIX
words=(skytells "$@"); CURRENT=$#words; PREFIX="${words[CURRENT]}"
COMP_WORDS=("${words[@]}"); COMP_CWORD=$(( CURRENT - 1 ))
compgen -F _skytells -- "${words[CURRENT]}"
"""


def complete(shell: str, script: Path, words: tuple[str, ...], cwd: Path) -> set[str]:
    """What the completion function of ``script`` offers in ``shell`` for ``skytells WORDS``."""
    if shell == "bash":
        argv = [shell_or_skip("bash"), "--norc", "--noprofile", "-c", BASH_PROBE, "probe", str(script), *words]
    else:
        argv = [shell_or_skip("zsh"), "-f", "-c", ZSH_PROBE, "probe", str(script), *words]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, cwd=cwd, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(cwd)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    offered = {line for line in done.stdout.splitlines() if line}
    # zsh's compadd keeps the candidates that start with the typed word; bash's compgen already did.
    return {word for word in offered if word.startswith(words[-1])}


@pytest.fixture(scope="module")
def completion_script(tmp_path_factory) -> Path:
    """The script ``skytells complete`` prints, written to a file."""
    root = tmp_path_factory.mktemp("completion")
    with CliRunner(root) as runner:
        result = runner.run("complete")
    assert result.code == 0, result
    assert result.stderr == ""
    script = root / "skytells.cli.completion"
    script.write_text(result.stdout)
    return script


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("words", "expected"), CASES.values(), ids=CASES.keys())
def test_completion_offers_real_commands_subcommands_and_choices(completion_script, tmp_path, shell, words, expected):
    assert complete(shell, completion_script, words, tmp_path) == expected


@pytest.mark.parametrize(("words", "expected"), BASH_ONLY.values(), ids=BASH_ONLY.keys())
def test_bash_completes_the_value_after_an_equals_sign(completion_script, tmp_path, words, expected):
    assert complete("bash", completion_script, words, tmp_path) == expected


def test_a_file_is_offered_for_an_option_that_takes_a_path(completion_script, tmp_path):
    (tmp_path / "skytells.log").write_text("")
    assert complete("bash", completion_script, ("--log-file", "skyt"), tmp_path) == {"skytells.log"}


def test_bash_completion_package_is_not_needed(completion_script, tmp_path):
    check = subprocess.run([shell_or_skip("bash"), "--norc", "--noprofile", "-c",
                            f'source "{completion_script}"; type _get_comp_words_by_ref >/dev/null 2>&1; echo $?'],
                           capture_output=True, text=True, timeout=TIMEOUT, check=True)
    assert check.stdout.strip() != "0"  # the function bash-completion defines is absent...
    assert complete("bash", completion_script, ("auth", ""), tmp_path) == AUTH  # ...and completion works


def test_help_says_how_to_load_it_in_both_shells(e2e):
    result = e2e.run("complete", "--help")
    assert result.code == 0, result
    text = " ".join(result.stdout.split())
    assert "source <(skytells complete)" in text
    assert "~/.bashrc" in text and "~/.zshrc" in text
    assert "bashcompinit" in text
    assert "no bash-completion package" in text.replace("needs no", "no")


@pytest.fixture
def plugin_script(startup_world, tmp_path) -> Path:
    """The completion script with a plugin of multi-word commands (and a name full of shell syntax) installed."""
    commands = {name: (f"Run {name}", name) for name in PLUGIN_COMMANDS}
    commands["x$(touch_PWNED)'`touch_PWNED2`"] = ("Hostile name", "hostile")
    startup_world.install(startup_world.plugin("consistency_deploy", commands))
    result = startup_world.run("complete")
    assert result.code == 0, result
    script = tmp_path / "skytells.cli.completion"
    script.write_text(result.stdout)
    return script


@pytest.mark.parametrize("shell", SHELLS)
def test_a_plugins_multi_word_commands_complete_like_ours(plugin_script, tmp_path, shell):
    work = tmp_path / "work"
    work.mkdir()
    for words, expected in PLUGIN_CASES.values():
        assert complete(shell, plugin_script, words, work) == expected, words
    assert complete(shell, plugin_script, ("x",), work) == set()  # a name the shell would expand is left out
    assert complete(shell, plugin_script, ("x$(touch", ""), work) == set()
    assert list(work.iterdir()) == []  # nothing in a name was executed
