"""How much of skytells is spent adapting cliff and stevedore, rather than doing what the CLI is for.

Counts the non-blank lines that are not comments (``#`` first on the line;
docstrings count, they are part of the code a reader keeps up) of every
module of the ``skytells`` package except ``skytells/testing/`` (the kit for
plugin authors' tests), and prints the share that the files of
:data:`ADAPTATION` hold, with one line per adaptation file. The issue's
target is at most 15%.

    python benchmarks/adaptation.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchlib import REPO

PACKAGE = REPO / "skytells"
#: Left out of the whole: the opt-in test kit for plugin authors.
EXCLUDED = ("testing",)
#: What counts as adapting cliff and stevedore (paths inside the package; a directory counts whole), and why.
ADAPTATION = {
    "cli/app.py": "the cliff application: global options, context, logging, errors and exit codes",
    "cli/argument_errors.py": "argparse's errors made one line that never echoes a value",
    "cli/command.py": "cliff's Command with hooks and epilog from the entry-point index, not stevedore",
    "cli/command_manager.py": "cliff's command manager importing only the command that runs, exact names only",
    "cli/completion.py": "bash and zsh completion that cliff's complete command does not give",
    "cli/display.py": "cliff's ShowOne/Lister with formatters from the index and typed machine output",
    "cli/groups.py": "group listings cliff does not have",
    "cli/help.py": "cliff's help command with cached summaries",
    "cli/helptext.py": "one help style over argparse's, cliff's and plugins' texts",
    "extensions": "entry-point discovery, plugin loading and the summary cache that stand in for stevedore's",
    "main.py": "where a run begins: --version before cliff is imported, exit codes",
}
#: In cli/ but not adaptation: what the commands are for, written once for all of them.
NOT_ADAPTATION = {
    "cli/context.py": "one run's profile, terminal, store, credentials and console",
    "cli/client.py": "the authenticated API client commands and plugins use",
    "cli/json_errors.py": "the one JSON error object programs read",
}
TARGET = 0.15


def code_lines(path: Path) -> int:
    """Non-blank lines of ``path`` whose first character that is not a space is not ``#``."""
    return sum(1 for line in path.read_text(encoding="utf-8").splitlines()
               if line.strip() and not line.lstrip().startswith("#"))


def is_adaptation(relative: Path) -> bool:
    return any(relative == Path(name) or Path(name) in relative.parents for name in ADAPTATION)


def main() -> int:
    every = {path.relative_to(PACKAGE): code_lines(path) for path in sorted(PACKAGE.rglob("*.py"))}
    counts = {relative: lines for relative, lines in every.items() if relative.parts[0] not in EXCLUDED}
    total = sum(counts.values())
    adapting = {relative: lines for relative, lines in counts.items() if is_adaptation(relative)}
    width = max(len(str(relative)) for relative in adapting)
    print(f"{'file':<{width}}  lines")
    for relative, lines in adapting.items():
        print(f"{relative!s:<{width}}  {lines:5d}")
    for name, why in NOT_ADAPTATION.items():
        print(f"{name:<{width}}  (not counted: {why})")
    share = sum(adapting.values()) / total
    print(f"\nadaptation: {sum(adapting.values())} of {total} lines of code in skytells/ "
          f"(without {', '.join(f'{name}/' for name in EXCLUDED)}): {share:.1%} (target: at most {TARGET:.0%})")
    print(f"(with {', '.join(f'{name}/' for name in EXCLUDED)} in the whole: "
          f"{sum(adapting.values()) / sum(every.values()):.1%} of {sum(every.values())})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
