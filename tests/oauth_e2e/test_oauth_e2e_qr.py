"""``skytells login --qr``: a terminal QR code of ``verification_uri_complete``, the code as text after it;
a note instead of the code when the URL is too long for one."""

from __future__ import annotations

import io
import re

import pytest
import segno

from skytells.login.device_flow import show_qr
from skytells.terminal.ui import Terminal

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
    """The module matrices a QR code (not micro) of ``url`` may have, one per error level that holds it."""
    symbols = []
    for level in "lmqh":
        try:
            symbol = segno.make(url, error=level, micro=False, boost_error=False)
        except segno.DataOverflowError:
            continue
        symbols.append([tuple(row) for row in symbol.matrix])
    return symbols


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
    # The code and URL come after the QR code, so an 80x24 screen keeps them in sight while waiting.
    lines = result.stderr.splitlines()
    code_at = next(n for n, line in enumerate(lines) if "Your device code is" in line)
    url_at = next(n for n, line in enumerate(lines) if line.strip().startswith(f"{sandbox.url}/device"))
    last_row = max(n for n, line in enumerate(lines) if line.strip("\n")[2:] == drawing[-1])
    waiting_at = lines.index("Waiting for authorization...")
    assert last_row < code_at < url_at < waiting_at
    assert waiting_at - code_at < 24 and max(len(line) for line in lines[:waiting_at + 1]) <= 80
    assert sandbox.token_is_active(oauth_world.profile()["token"])


def test_login_without_qr_draws_nothing(oauth_world):
    sandbox = oauth_world.start_sandbox()

    result = oauth_world.login(sandbox)

    assert not any(set(line.strip()) & BLOCKS for line in result.stderr.splitlines())


# The most bytes a QR code holds at error level M (version 40, byte mode).
QR_CAPACITY = 2331
TOO_LONG_NOTE = "  (The authorization URL is too long for a QR code; open the URL below instead.)"


def _url(length: int, filler: str = "x") -> str:
    start = "https://console.example/device?code=WDJB-MJHT&state="
    return start + filler * (length - len(start))


@pytest.mark.parametrize(("url", "fits"), [
    (_url(80), True),
    (_url(QR_CAPACITY), True),
    (_url(QR_CAPACITY + 1), False),
    (_url(3000), False),
    (_url(100_000), False),
    (_url(900, "\u20ac"), False),  # 900 characters, but over 2 500 bytes in UTF-8
])
def test_show_qr_draws_what_fits_and_otherwise_says_so_in_one_line(url, fits):
    shown = io.StringIO()
    show_qr(Terminal(stdin=io.StringIO(), stderr=shown), url)

    lines = shown.getvalue().splitlines()
    if fits:
        drawing = [line[2:] for line in lines if line.startswith("  ") and set(line.strip()) <= BLOCKS | {" "}]
        assert _modules(drawing) in _symbols(url)
        assert TOO_LONG_NOTE not in lines
    else:
        assert lines == [TOO_LONG_NOTE, ""]
