"""The verification page's layout on a 375 px wide phone screen.

The CSS rules are checked everywhere; where ``/usr/bin/chromium`` exists the
pages are also rendered headless at 375 px and the screenshot is inspected.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from skytells_sandbox import pages

CHROMIUM = Path("/usr/bin/chromium")
PHONE_WIDTH = 375
LONG_CLIENT = "Skytells CLI v1.2.3 on build-agent-07.eu-west.internal.example.com"
PAGES = {
    "entry with an error": lambda: pages.entry_page("BCDF-0000", "Unknown or expired code."),
    "confirmation": lambda: pages.confirm_page(
        "BCDF-1234", LONG_CLIENT, ("inference", "projects.read", "offline_access"), "t"
    ),
    "result": lambda: pages.result_page("Access granted", "Device approved.", ok=True),
    "settings": lambda: pages.console_settings_page("API keys", "API keys", "/_sandbox/api-keys"),
}
BACKGROUND = (0xF4, 0xF6, 0xFA)
BADGE = (0xFF, 0xF3, 0xBF)


def style_of(page: str) -> str:
    match = re.search(r"<style>(.*?)</style>", page, re.DOTALL)
    assert match, "the page has no style block"
    return re.sub(r"/\*.*?\*/", "", match.group(1), flags=re.DOTALL)


def split_media(css: str) -> tuple[str, dict[str, str]]:
    """The top-level rules, and the body of each ``@media`` block by its condition."""
    media: dict[str, str] = {}
    top = css
    for match in re.finditer(r"@media\s*([^{]+)\{", css):
        depth, end = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(css[end], 0)
            end += 1
        media[match.group(1).strip()] = css[match.end() : end - 1]
        top = top.replace(css[match.start() : end], "")
    return top, media


def rules(css: str) -> dict[str, dict[str, str]]:
    """Declarations by selector (no nesting)."""
    found: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        declarations = dict(
            (name.strip(), value.strip())
            for name, _, value in (d.partition(":") for d in body.split(";"))
            if value.strip()
        )
        for selector in selectors.split(","):
            found.setdefault(selector.strip(), {}).update(declarations)
    return found


def horizontal_px(shorthand: str) -> tuple[int, int]:
    """Left and right of a ``margin`` or ``padding`` shorthand in px (``auto`` is 0)."""
    values = [int(v[:-2]) if v.endswith("px") else 0 for v in shorthand.split()]
    right = values[1] if len(values) > 1 else values[0]
    left = values[3] if len(values) == 4 else right
    return left, right


def narrow_screen_rules() -> dict[str, dict[str, str]]:
    _top, media = split_media(style_of(pages.entry_page()))
    for condition, body in media.items():
        width = re.fullmatch(r"\(max-width:\s*(\d+)px\)", condition)
        if width and int(width.group(1)) >= PHONE_WIDTH:
            return rules(body)
    raise AssertionError(f"no @media (max-width: ...) block covering {PHONE_WIDTH}px: {media}")


def test_narrow_screens_keep_the_card_off_the_edges():
    narrow = narrow_screen_rules()

    assert min(horizontal_px(narrow["main"]["margin"])) >= 8
    assert min(horizontal_px(narrow["main"]["padding"])) >= 16
    assert min(horizontal_px(narrow["header"]["padding"])) >= 12


def test_the_header_wraps_instead_of_crowding_the_badge():
    top, _media = split_media(style_of(pages.entry_page()))
    css = rules(top)

    assert css["header"]["flex-wrap"] == "wrap"
    assert "gap" in css["header"]
    assert css["header .brand-line"]["white-space"] == "nowrap"
    assert css["header .user"]["white-space"] == "nowrap"
    assert css["header .badge"]["flex-shrink"] == "0"
    assert "margin-left" not in css["header .badge"]
    assert css["main"]["overflow-wrap"] == "anywhere"  # a long client name wraps in the card


@pytest.mark.parametrize("make", PAGES.values(), ids=PAGES.keys())
def test_every_page_is_laid_out_for_phones(make):
    page = make()

    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert '<span class="brand-line"><span class="brand">Skytells</span>' in page
    assert "@media (max-width:" in page


# Rendered by a real browser --------------------------------------------------------


def read_png(path: Path) -> list[list[tuple[int, int, int]]]:
    """The RGB pixels of an 8-bit, non-interlaced RGB or RGBA PNG, row by row."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, compressed = 8, b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            compressed += body
    assert depth == 8 and color in (2, 6) and interlace == 0, (depth, color, interlace)
    step = 3 if color == 2 else 4
    raw, stride = zlib.decompress(compressed), width * step
    rows, previous, offset = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[offset], bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for x in range(stride) if kind else ():
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            else:
                guess = left + up - corner
                near = min((abs(guess - left), 0, left), (abs(guess - up), 1, up))
                near = min(near, (abs(guess - corner), 2, corner))
                line[x] = (line[x] + near[2]) & 255
        rows.append([tuple(line[x : x + 3]) for x in range(0, stride, step)])
        previous = line
    return rows


@pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="needs /usr/bin/chromium")
def test_a_phone_screen_shows_margins_and_an_uncrowded_badge(tmp_path):
    page = tmp_path / "page.html"  # the widest page: a long client name, scopes, two buttons
    page.write_text(PAGES["confirmation"](), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--window-size={PHONE_WIDTH},700",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
    pixels = read_png(shot)
    assert len(pixels[0]) == PHONE_WIDTH

    header_end = next(y for y, row in enumerate(pixels) if row[0] == BACKGROUND)
    for y in range(header_end, len(pixels)):  # nothing below the header reaches an edge
        edges = pixels[y][:8] + pixels[y][-8:]
        assert set(edges) == {BACKGROUND}, f"row {y} touches the screen edge"

    badge = [(x, y) for y, row in enumerate(pixels[:header_end]) for x, rgb in enumerate(row)
             if rgb == BADGE]
    assert badge, "no badge in the header"
    right = max(x for x, _ in badge)
    rows = range(min(y for _, y in badge), max(y for _, y in badge) + 1)
    assert min(x for x, _ in badge) >= 8 and right <= PHONE_WIDTH - 8
    for y in rows:  # no text within 16 px right of the badge (its own rounded edge may blend)
        beside = pixels[y][right + 1 : right + 17]
        assert all(sum(rgb) / 3 > 180 for rgb in beside), f"row {y} crowds the badge"
