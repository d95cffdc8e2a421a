"""Text and QR codes as 1-bit images, ready to pack for GS v 0.

Images returned here are ink masks in Pillow mode "1": a set pixel (255) is a black dot, so
`Image.tobytes()` is already the GS v 0 bit order (MSB leftmost, rows padded to whole bytes).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

# The tallest stacked marks and the lowest descenders of Vietnamese: every line box holds them,
# so lines are equally tall whatever their letters and nothing is ever clipped.
_EXTREMES = "ẤẦẨẪẬẮẰẲẴẶẾỀỂỄỆỐỒỔỖỘỚỜỞỠỢỨỪỬỮỰỲỶỸÝgjpqyỵọụ"
_INK_THRESHOLD = 128


@dataclass(frozen=True)
class LineFont:
    """A font sized so that its Vietnamese line box fits `height` dots."""

    font: ImageFont.FreeTypeFont
    height: int
    baseline_offset: int  # y at which to draw with anchor "la" (top of the ascender)


def _box(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    ascent, descent = font.getmetrics()
    _, top, _, bottom = font.getbbox(_EXTREMES, anchor="la")
    return min(0, top), max(ascent + descent, bottom)


@lru_cache(maxsize=64)
def line_font(path: Path, height: int) -> LineFont:
    """The largest size of the font at `path` whose line box is at most `height` dots."""

    def box_height(size: int) -> int:
        top, bottom = _box(ImageFont.truetype(str(path), size))
        return bottom - top

    size = max(1, round(height * 1000 / box_height(1000)))
    while size > 1 and box_height(size) > height:
        size -= 1
    while box_height(size + 1) <= height:
        size += 1
    font = ImageFont.truetype(str(path), size)
    top, bottom = _box(font)
    return LineFont(font, height, (height - (bottom - top)) // 2 - top)


def wrap(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Greedy word wrap: lines that `fits` accepts; a word too long alone is split.

    Whitespace runs become single spaces. Always at least one line (maybe empty).
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        while not fits(word) and len(word) > 1:
            cut = max((n for n in range(1, len(word)) if fits(word[:n])), default=1)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def ink_width(line_font: LineFont, text: str) -> int:
    """Width in dots of the ink of `text` (0 for blank text)."""
    left, _, right, _ = line_font.font.getbbox(text, anchor="la")
    return max(0, right - left)


def text_images(text: str, font_path: Path, height: int, max_width: int) -> list[Image.Image]:
    """Render `text` (NFC-normalised, word-wrapped to `max_width` dots) as one ink mask per line.

    Each image is exactly `height` rows (the line box) and as wide as the line's ink (at least
    one dot, so a blank line still advances the paper by one line box).
    """
    lf = line_font(font_path, height)
    text = unicodedata.normalize("NFC", text)
    return [
        _render_line(lf, line)
        for line in wrap(text, lambda candidate: ink_width(lf, candidate) <= max_width)
    ]


def _render_line(lf: LineFont, line: str) -> Image.Image:
    left, _, right, _ = lf.font.getbbox(line, anchor="la")
    canvas = Image.new("L", (max(1, right - left + 2), lf.height), 0)
    ImageDraw.Draw(canvas).text(
        (1 - left, lf.baseline_offset), line, font=lf.font, fill=255, anchor="la"
    )
    mono = canvas.point(lambda v: 255 if v >= _INK_THRESHOLD else 0, mode="1")
    ink = mono.getbbox()
    if ink is None:
        return Image.new("1", (1, lf.height), 0)
    return mono.crop((ink[0], 0, ink[2], lf.height))


def qr_image(
    payload: bytes, module: int, error_correction: int = qrcode.ERROR_CORRECT_M
) -> Image.Image:
    """A QR code (model 2, smallest version that fits) as an ink mask, `module` dots per module,
    without quiet zone (like a printer's native QR)."""
    qr = qrcode.QRCode(error_correction=error_correction, box_size=1, border=0)
    qr.add_data(payload)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    side = len(matrix)
    image = Image.new("1", (side, side), 0)
    image.putdata([255 if dark else 0 for row in matrix for dark in row])
    return image.resize((side * module, side * module), Image.Resampling.NEAREST)


def pack(image: Image.Image) -> tuple[int, int, bytes]:
    """(bytes per row, rows, data) of an ink mask for GS v 0; width rounded up to 8 dots."""
    mask = image if image.mode == "1" else image.convert("1")
    return (mask.width + 7) // 8, mask.height, mask.tobytes()
