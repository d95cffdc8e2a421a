"""Every character the screens draw is in the bundled font (config/fonts/Roboto): Kivy draws a
character the font lacks as a missing-glyph box. The masks of a PIN and of an ID number first;
then every text of the screens, their translations and the shipped configuration they show."""

from __future__ import annotations

import ast
import struct
import tomllib
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from kiosk import paths
from kiosk.citizen_id import mask_id
from kiosk.i18n import po_path

FONTS = (paths.FONT_REGULAR, paths.FONT_BOLD)
ROOT = paths.REPO_ROOT


@cache
def font_characters(path: Path) -> frozenset[int]:
    """The code points the font's Unicode character maps (cmap formats 4 and 12) give a glyph."""
    data = path.read_bytes()
    (count,) = struct.unpack_from(">H", data, 4)
    tables = dict(struct.unpack_from(">4s4xI", data, 12 + 16 * i) for i in range(count))
    cmap = tables[b"cmap"]
    chars: set[int] = set()
    for i in range(struct.unpack_from(">H", data, cmap + 2)[0]):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap + 4 + 8 * i)
        if (platform, encoding) not in {(0, 3), (0, 4), (3, 1), (3, 10)}:
            continue
        at = cmap + offset
        kind = struct.unpack_from(">H", data, at)[0]
        if kind == 4:
            chars |= _format_4(data, at)
        elif kind == 12:
            (groups,) = struct.unpack_from(">I", data, at + 12)
            for group in range(groups):
                first, last, _glyph = struct.unpack_from(">III", data, at + 16 + 12 * group)
                chars.update(range(first, last + 1))
    return frozenset(chars)


def _format_4(data: bytes, at: int) -> set[int]:
    segments = struct.unpack_from(">H", data, at + 6)[0] // 2
    ends = struct.unpack_from(f">{segments}H", data, at + 14)
    starts = struct.unpack_from(f">{segments}H", data, at + 16 + 2 * segments)
    deltas = struct.unpack_from(f">{segments}h", data, at + 16 + 4 * segments)
    ranges_at = at + 16 + 6 * segments
    ranges = struct.unpack_from(f">{segments}H", data, ranges_at)
    chars = set()
    for k in range(segments):
        for char in range(starts[k], min(ends[k], 0xFFFE) + 1):
            if ranges[k] == 0:
                glyph = (char + deltas[k]) & 0xFFFF
            else:
                where = ranges_at + 2 * k + ranges[k] + 2 * (char - starts[k])
                (glyph,) = struct.unpack_from(">H", data, where)
                glyph = (glyph + deltas[k]) & 0xFFFF if glyph else 0
            if glyph:
                chars.add(char)
    return chars


def missing(texts) -> dict[str, list[str]]:
    """Characters of `texts` that a bundled font lacks, with the fonts that lack them."""
    found: dict[str, list[str]] = {}
    for char in sorted({c for text in texts for c in text if not c.isspace()}):
        lacking = [font.name for font in FONTS if ord(char) not in font_characters(font)]
        if lacking:
            found[f"{char} U+{ord(char):04X}"] = lacking
    return found


def test_the_font_reader_knows_what_roboto_has():
    assert not missing("Xin kính chào Ông/Bà! Đường Nguyễn Trãi – “…” 0123456789")
    assert missing("●") == {"● U+25CF": ["Roboto-Regular.ttf", "Roboto-Bold.ttf"]}


def test_the_pin_and_id_masks_are_in_the_bundled_font():
    from screens.keypad import MASK

    assert not missing(MASK), "the PIN of the technician and of the officers"
    assert not missing(mask_id("001099012345")), "the ID number on the confirmation"


def python_texts(path: Path) -> list[str]:
    """The string literals of a module, its docstrings and other bare strings left out."""
    tree = ast.parse(path.read_text("utf-8"))
    bare = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare
    ]


def kv_texts(path: Path) -> list[str]:
    return [
        line for line in path.read_text("utf-8").splitlines() if not line.lstrip().startswith("#")
    ]


def sources() -> list:
    files = [*sorted((ROOT / "screens").glob("*.kv")), *sorted((ROOT / "screens").glob("*.py"))]
    files += sorted((ROOT / "apps").glob("*.py"))
    return [pytest.param(path, id=str(path.relative_to(ROOT))) for path in files]


@pytest.mark.parametrize("path", sources())
def test_every_character_a_screen_draws_is_in_the_bundled_font(path):
    texts = kv_texts(path) if path.suffix == ".kv" else python_texts(path)
    assert missing(texts) == {}


def test_every_translation_and_shown_setting_is_in_the_bundled_font():
    with po_path(paths.LOCALE_DIR, "vi").open("rb") as file:
        catalogue = read_po(file)
    texts = [m.id for m in catalogue if m.id] + [m.string for m in catalogue if m.id]
    shipped = paths.SHIPPED_CONFIG_DIR
    kiosk = tomllib.loads((shipped / "kiosk.toml").read_text("utf-8"))
    texts += [kiosk["office"]["name"], kiosk["office"]["centre"]]
    texts += [kiosk["scanner"]["location_vi"], kiosk["scanner"]["location_en"]]
    fields = tomllib.loads((shipped / "catalogue.toml").read_text("utf-8"))["fields"]
    texts += [field[key] for field in fields for key in ("name_vi", "name_en")]
    assert missing(texts) == {}
