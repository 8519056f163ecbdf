"""Rule: the README's Development, completion and exit-code sections match the project.

The install line installs every distribution the test environment of tox.ini
installs; commands run the virtual environment's executables; the way to
point the CLI at a running sandbox uses the sandbox's real option and the
variables it prints; completion is shown for both shells; and every exit code
of ``skytells.exitcodes`` is in the table.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from skytells.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text under the heading ``title``, up to the next heading (a ``#`` inside a code block is none)."""
    collected: list[str] = []
    inside = in_code = False
    for line in README.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        heading = not in_code and re.match(r"#{1,4} ", line)
        if heading:
            if inside:
                break
            inside = line.split(" ", 1)[1] == title
            continue
        if inside:
            collected.append(line)
    assert collected, f"README has no section {title!r}"
    return "\n".join(collected) + "\n"


def code_lines(text: str) -> list[str]:
    """The command lines of the ``sh`` blocks of ``text`` (continuations joined, comments dropped)."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    joined = "\n".join(blocks).replace("\\\n", " ")
    return [line.split("  #", 1)[0].strip() for line in joined.splitlines() if line.strip()
            and not line.lstrip().startswith("#")]


def test_development_installs_every_distribution_tox_installs():
    tox = (ROOT / "tox.ini").read_text(encoding="utf-8")
    deps = tox.split("[testenv]", 1)[1].split("deps =", 1)[1].split("\n\n", 1)[0]
    wanted = re.findall(r"-e\s+(\S+)", deps)
    assert len(wanted) >= 4
    installs = [shlex.split(line) for line in code_lines(section("Development")) if "pip install" in line]
    assert installs, "the Development section installs nothing"
    installed = {word for words in installs for word in words}
    for requirement in wanted:
        assert requirement in installed, f"README does not install {requirement}"


def test_development_uses_the_virtual_environment_executables():
    lines = code_lines(section("Development"))
    for line in lines:
        for part in line.split("&&"):
            program = shlex.split(part)[0]
            if program in ("skytells", "pytest", "pip", "ruff", "python"):
                pytest.fail(f"{line!r} runs {program} from PATH, not .venv/bin/{program}")
    assert any(line.startswith(".venv/bin/skytells sandbox") for line in lines)


def test_development_points_the_cli_at_the_sandbox_as_the_sandbox_says(e2e):
    development = section("Development")
    port = re.search(r"\.venv/bin/skytells sandbox --port (\d+)", development).group(1)
    shown = dict(re.findall(r"^export (SKYTELLS_\w+)=(\S+)", development, re.M))
    assert set(shown) == {"SKYTELLS_API_URL", "SKYTELLS_AI_API_URL"}
    sandbox = e2e.start("sandbox", "--port", "0", default_sigint=True)  # a free port
    try:
        sandbox.wait_for_text("Press Ctrl-C")
    finally:
        sandbox.interrupt()
        sandbox.finish()
    printed = dict(re.findall(r"^export (SKYTELLS_\w+)=(\S+)", sandbox.text(), re.M))
    url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", sandbox.text()).group(1)
    expected = {name: value.replace(url, f"http://127.0.0.1:{port}") for name, value in printed.items()}
    assert shown == expected


def test_completion_is_shown_for_bash_and_zsh():
    completion = section("Shell completion")
    lines = code_lines(completion)
    assert "source <(skytells complete)" in lines
    assert "autoload -U +X bashcompinit && bashcompinit" in lines
    assert "bash-completion package is not needed" in completion


def test_every_exit_code_is_documented():
    table = section("Exit codes")
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", table, re.M)}
    assert documented == {int(code) for code in ExitCode}
