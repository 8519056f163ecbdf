"""``skytells login --qr``: a terminal QR code of ``verification_uri_complete``, the code still as text."""

from __future__ import annotations

import re

import segno

# Compact rendering: one character holds two rows of modules; a block is a light module.
HALVES = {"█": (0, 0), "▀": (0, 1), "▄": (1, 0), " ": (1, 1)}  # (top dark, bottom dark)
BLOCKS = frozenset("█▀▄")


def _modules(lines: list[str]) -> list[tuple[int, ...]]:
    """The dark (1) and light (0) modules drawn by ``lines``, quiet zone removed."""
    rows: list[tuple[int, ...]] = []
    for line in lines:
        cells = [HALVES[c] for c in line]
        rows += [tuple(top for top, _ in cells), tuple(bottom for _, bottom in cells)]
    if rows and all(rows[-1]):
        rows.pop()  # the padding half-row below an odd number of rows
    while rows and not any(rows[0]):
        rows.pop(0)
    while rows and not any(rows[-1]):
        rows.pop()
    columns = list(zip(*rows, strict=True))
    while columns and not any(columns[0]):
        columns.pop(0)
    while columns and not any(columns[-1]):
        columns.pop()
    return [tuple(row) for row in zip(*columns, strict=True)]


def _symbols(url: str) -> list[list[tuple[int, ...]]]:
    """The module matrices a QR code (not micro) of ``url`` may have, one per error level."""
    return [[tuple(row) for row in segno.make(url, error=level, micro=False, boost_error=False).matrix]
            for level in "lmqh"]


def test_login_qr_draws_the_complete_url_and_keeps_the_code_as_text(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.run("login", "--issuer", sandbox.url, "--client-id", "skytells-cli", "--no-browser", "--qr")

    assert result.code == 0, str(result)
    user_code = re.search(r"Your device code is: (\S+)", result.stderr).group(1)
    assert sandbox.device_request(user_code).status.value == "redeemed"
    assert f"{sandbox.url}/device" in result.stderr
    drawing = [line.strip("\n")[2:] for line in result.stderr.splitlines()
               if line.startswith("  ") and line.strip() and set(line.strip()) <= BLOCKS | {" "}]
    assert len(drawing) >= 10, result.stderr
    assert _modules(drawing) in _symbols(f"{sandbox.url}/device?code={user_code}")
    assert result.stderr.index("Your device code is") < result.stderr.index(drawing[0])
    assert sandbox.token_is_active(oauth_world.profile()["token"])


def test_login_without_qr_draws_nothing(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.login(sandbox)

    assert not any(set(line.strip()) & BLOCKS for line in result.stderr.splitlines())
