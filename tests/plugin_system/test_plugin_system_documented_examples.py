"""The examples of docs/plugins.md, installed as a real plugin distribution, work as the document says.

Every code block headed ``# skytells_examples/<module>.py`` becomes a module
of a throwaway ``skytells-examples`` distribution with the entry points of the
document's ``setup.cfg`` block; the document's own test module
(``# tests/test_examples.py``) then runs with pytest against the real
``skytells`` executable. A change that breaks a plugin written from the
document fails here.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
#: docs/plugins.md as it was before interface version 2: plugins written from it must keep working unchanged.
VERSION_1_DOCUMENT = Path(__file__).resolve().parent / "plugins-v1.md"
DOCUMENTS = {"current": DOCUMENT, "version 1": VERSION_1_DOCUMENT}
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(document: Path = DOCUMENT) -> list[tuple[str, str]]:
    """(language, text) of every fenced block of the document, in order."""
    return BLOCK.findall(document.read_text(encoding="utf-8"))


def headed(prefix: str, document: Path = DOCUMENT) -> dict[str, str]:
    """The python blocks whose first line is ``# <prefix>...``, by the path named there."""
    found = {}
    for language, text in blocks(document):
        first, _, rest = text.partition("\n")
        if language == "python" and first.startswith(f"# {prefix}"):
            found[first[2:].strip()] = rest
    return found


def entry_points(document: Path = DOCUMENT) -> dict[str, dict[str, str]]:
    """The ``[options.entry_points]`` of the document's setup.cfg block."""
    (text,) = [text for language, text in blocks(document) if language == "ini" and "[options.entry_points]" in text]
    parser = configparser.ConfigParser()
    parser.read_string(text)
    section = parser["options.entry_points"]
    return {group: dict(line.split(" = ", 1) for line in section[group].strip().splitlines()) for group in section}


def install(site: Path, document: Path = DOCUMENT) -> None:
    """Write the examples of ``document`` into ``site`` as the installed ``skytells-examples`` 0.1.0."""
    package = site / "skytells_examples"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    for path, source in headed("skytells_examples/", document).items():
        (site / path).write_text(source, encoding="utf-8")
    info = site / "skytells_examples-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: skytells-examples\nVersion: 0.1.0\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(
        "".join(f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in targets.items()) + "\n"
                for group, targets in entry_points(document).items()), encoding="utf-8")
    (info / "top_level.txt").write_text("skytells_examples\n", encoding="utf-8")


def test_the_document_has_the_examples_it_promises() -> None:
    assert set(headed("skytells_examples/")) == {"skytells_examples/command.py", "skytells_examples/authenticator.py",
                                                 "skytells_examples/handoff.py", "skytells_examples/handoff_flow.py",
                                                 "skytells_examples/store.py"}
    assert set(headed("tests/")) == {"tests/test_examples.py"}
    groups = entry_points()
    assert set(groups) == {"skytells.commands", "skytells.authenticators", "skytells.credential_stores"}


@pytest.mark.parametrize("document", list(DOCUMENTS.values()), ids=list(DOCUMENTS))
def test_every_documented_example_passes_the_documented_tests(tmp_path: Path, document: Path) -> None:
    pytest.importorskip("skytells_sandbox", reason="the documented tests use the sandbox fixture")
    site = tmp_path / "site"
    site.mkdir()
    install(site, document)
    suite = tmp_path / "suite"
    (suite / "tests").mkdir(parents=True)
    (suite / "tests" / "test_examples.py").write_text(headed("tests/", document)["tests/test_examples.py"],
                                                      encoding="utf-8")
    deselect = [] if importlib.util.find_spec("cryptography") else ["-k", "not Fernet"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "skytells.testing.pytest_plugin",
                          "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(suite), *deselect, "tests"],
                         cwd=suite, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert re.search(r"\d+ passed", summary) and "failed" not in summary and "error" not in summary, summary


#: A command written against interface version 1's credential helpers, as the document showed them then.
VERSION_1_COMMAND = '''
import argparse

from cliff.command import Command


class TokenSource(Command):
    """Say where the token in effect comes from"""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        from skytells import session
        from skytells.errors import AuthError

        store = session.open_store()
        record = store.load()
        if record.token is None and record.created_at is None and not session.resolve("token", record, store).value:
            raise AuthError("No token is stored.", hint="Run skytells login.")
        resolved = session.resolve("token", record, store)
        self.app.stdout.write(f"{resolved.origin} {resolved.source} {session.display_path(store.location)}\\n")
        return 0
'''


def test_a_command_written_against_the_version_1_helpers_still_works(plugin_system_cli, tmp_path: Path) -> None:
    from tests.plugin_system.conftest import write_distribution

    site = tmp_path / "v1-site"
    site.mkdir()
    write_distribution(site, "skytells-v1-command", {"sk_v1_command": VERSION_1_COMMAND},
                       {"skytells.commands": {"token-source": "sk_v1_command:TokenSource"}})
    cli = plugin_system_cli
    cli.env["PYTHONPATH"] = os.pathsep.join([str(site), cli.env["PYTHONPATH"]])

    missing = cli.run("token-source")
    assert (missing.exit_code, missing.stderr.strip()) == (4, "error: No token is stored. Run skytells login.")
    cli.write_credentials({"token": "sk_pat_" + "3d" * 32, "created_at": 1_700_000_000_000})
    stored = cli.run("token-source")
    assert stored.exit_code == 0, stored.output
    origin, source, location = stored.stdout.split()
    assert origin == "store" and source == location and location.endswith("credentials.json")
    from_env = cli.run("token-source", env={"SKYTELLS_TOKEN": "sk_pat_" + "4e" * 32})
    assert from_env.stdout.split()[:2] == ["env", "SKYTELLS_TOKEN"], from_env.output
