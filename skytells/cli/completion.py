"""``skytells complete``: one completion script for bash and zsh, built from the commands' own parsers.

cliff's script lists a command that is also a group (``sandbox`` and
``sandbox demo``) as ``sandbox_demo``, does not complete option values, and
calls ``_get_comp_words_by_ref``, which exists only with the bash-completion
package. This one walks the typed words through the command tree (groups,
commands, plugins' multi-word commands), skips option values, completes the
fixed choices of an option (``-f <Tab>``: the formatters), and needs only
what bash and zsh's ``bashcompinit`` provide: ``COMP_WORDS``,
``COMP_CWORD``, ``compgen`` and ``complete``. Its shell code is written to
mean the same in both shells; a name or choice that either shell would
expand (``$(...)``, globs) is left out, so no plugin's name can run code.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass, field
from typing import IO, Any

from skytells.cli.command import Command, instantiate

HELP_OPTIONS = ("-h", "--help")
#: Words the script may offer. Both shells expand the word list of ``compgen -W`` (bash runs ``$(...)``
#: in it, zsh globs it), so a word with any other character (a plugin's odd command name or choice) is
#: left out rather than quoted: it can still be typed.
SAFE_WORD = re.compile(r"-{0,2}[A-Za-z0-9_][A-Za-z0-9_.,:@%+/=-]*")


@dataclass
class Node:
    """A command or group of the tree: the words that may follow it, and its options."""

    subcommands: set[str] = field(default_factory=set)
    options: set[str] = field(default_factory=set)
    #: Options that take a value (the next word is that value, not a command).
    valued: set[str] = field(default_factory=set)
    #: Option -> its fixed choices.
    choices: dict[str, list[str]] = field(default_factory=dict)


def add_parser(node: Node, parser: argparse.ArgumentParser) -> None:
    """Record ``parser``'s visible options in ``node``."""
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        node.options.update(action.option_strings)
        if action.nargs != 0:
            node.valued.update(action.option_strings)
            if action.choices is not None:
                for option in action.option_strings:
                    node.choices[option] = [str(choice) for choice in action.choices]


def command_tree(app: Any) -> dict[str, Node]:
    """Every command and group by its words (``""`` for the program itself) with its options."""
    tree: dict[str, Node] = {"": Node()}
    add_parser(tree[""], app.parser)
    for name, ep in sorted(app.command_manager):
        words = name.split()
        if not all(SAFE_WORD.fullmatch(word) for word in words):
            continue
        for depth, word in enumerate(words):
            parent = " ".join(words[:depth])
            tree.setdefault(parent, Node(options=set(HELP_OPTIONS))).subcommands.add(word)
        node = tree.setdefault(name, Node())
        try:
            command = instantiate(ep.load(), app, None, name)
            # A command whose options depend on its arguments (login's methods) offers all of them here.
            build = getattr(command, "completion_parser", command.get_parser)
            add_parser(node, build(f"{app.NAME} {name}"))
        except Exception:  # a command whose parser cannot be built is still completed by name
            node.options.update(HELP_OPTIONS)
    return tree


def _words(items: set[str] | list[str]) -> str:
    return shlex.quote(" ".join(sorted(item for item in items if SAFE_WORD.fullmatch(item))))


def script(program: str, tree: dict[str, Node]) -> str:
    """The completion script for ``program`` (bash, and zsh through ``bashcompinit``)."""
    function = "_" + "".join(c if c.isalnum() else "_" for c in program)
    nodes = "".join(
        f"    {shlex.quote(path)}) subs={_words(node.subcommands)}; opts={_words(node.options)}; "
        f"valued={_words(node.valued)};;\n" for path, node in sorted(tree.items()))
    choices = "".join(
        f"    {shlex.quote(f'{path} {option}')}) values={_words(sorted(values))};;\n"
        for path, node in sorted(tree.items()) for option, values in sorted(node.choices.items()))
    return _TEMPLATE.format(program=shlex.quote(program), function=function, nodes=nodes, choices=choices)


# Shell code that means the same in bash and zsh: no arrays indexed by number (zsh counts from 1), no
# indirect expansion, and no variable named like a zsh special (path, words, status).
_TEMPLATE = """\
# Completion for {program} in bash and zsh; works without the bash-completion package.
#   bash: source <({program} complete)     (in ~/.bashrc)
#   zsh:  source <({program} complete)     (in ~/.zshrc; runs compinit and bashcompinit if needed)
if [ -n "${{ZSH_VERSION-}}" ]; then
  (( $+functions[compdef] )) || {{ autoload -U +X compinit && compinit; }}
  autoload -U +X bashcompinit && bashcompinit
fi

{function}_node() {{
  # $1: the words of a command or group. Sets subs (what may follow), opts and valued (options with a value).
  case "$1" in
{nodes}    *) subs=''; opts=''; valued='';;
  esac
}}

{function}_choices() {{
  # $1 $2: a command's words and one of its options. Sets values: the option's fixed choices, if any.
  case "$1 $2" in
{choices}    *) values='';;
  esac
}}

{function}() {{
  local cur="$2" node='' helping='' operand='' word='' count=0 pending='' pending_node='' subs opts valued values
  [ "$cur" = "=" ] && cur=''                 # bash: the cursor right after --option=
  for word in "${{COMP_WORDS[@]}}"; do
    count=$((count + 1))
    [ "$count" -eq 1 ] && continue          # the program's name
    [ "$count" -gt "$COMP_CWORD" ] && break  # the word under the cursor
    [ "$word" = "=" ] && continue            # bash splits --option=value at "="
    if [ -n "$pending" ]; then pending=''; continue; fi
    {function}_node "$node"
    case "$word" in
      -*=*) continue;;
      -*) case " $valued " in *" $word "*) pending="$word"; pending_node="$node";; esac; continue;;
    esac
    case " $subs " in
      *" $word "*)
        node="${{node:+$node }}$word"
        if [ "$node" = help ] && [ -z "$helping" ]; then node=''; helping=1; fi;;
      *) operand=1;;                         # an argument: no command word follows it
    esac
  done
  if [ -n "$pending" ]; then
    {function}_choices "$pending_node" "$pending"
    if [ -n "$values" ]; then
      COMPREPLY=( $(compgen -W "$values" -- "$cur") )
    else
      COMPREPLY=( $(compgen -f -- "$cur") )
    fi
    return 0
  fi
  {function}_node "$node"
  case "$cur" in
    -*) [ -z "$helping" ] && COMPREPLY=( $(compgen -W "$opts" -- "$cur") );;
    *) [ -z "$operand" ] && COMPREPLY=( $(compgen -W "$subs" -- "$cur") );;
  esac
  return 0
}}

complete -F {function} {program}
"""


class CompleteCommand(Command):
    """Print a completion script for bash and zsh

    Load it in each new shell, in ~/.bashrc for bash or ~/.zshrc for zsh:

        source <(skytells complete)

    It completes commands, their subcommands (skytells auth <Tab>), options
    and option values with a fixed set (-f <Tab>). It needs no
    bash-completion package; in zsh it turns on zsh's bash completion
    (autoload -U +X bashcompinit && bashcompinit), and compinit if needed.
    """

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        out: IO[str] = self.app.stdout
        out.write(script(self.app.NAME, command_tree(self.app)))
        return 0
