"""A print job: what to print, in printer-neutral terms.

The application builds a job from these elements; `devices.escpos_encoder` turns it into bytes
for a given printer profile, choosing native text or a Pillow raster for each line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]
Render = Literal["auto", "native", "raster"]
"""How a Text is drawn. "auto": as the printer profile prints text, the same whatever the
language (a text-mode profile prints what its code page can express in the printer's own font;
otherwise every line is rasterised with the bundled font, English as Vietnamese). "native": the
printer's own font wherever it can encode the text (ASCII, or the profile's code page), for the
ticket number and the test page's character set. "raster": always the bundled font."""


@dataclass(frozen=True)
class Text:
    """One line of text. `size` magnifies width and height (1..8); `render` (see Render)."""

    text: str
    align: Align = "center"
    size: int = 1
    bold: bool = False
    render: Render = "auto"


@dataclass(frozen=True)
class QRCode:
    """A QR code holding `payload` (ASCII). `module` is dots per module (None: the profile's)."""

    payload: str
    align: Align = "center"
    module: int | None = None


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the paper."""


@dataclass(frozen=True)
class Feed:
    lines: int = 1


@dataclass(frozen=True)
class Cut:
    """Feed past the cutter and cut (partial cut)."""


@dataclass(frozen=True)
class HeadPattern:
    """A full-width raster block that shows the print head's health (the self-test page):
    `rows` of solid black, where a dead heating element leaves a white streak, then `rows` of a
    one-dot checkerboard, which blurs when the head or the paper is worn. 1..64 rows."""

    rows: int = 24


Element = Text | QRCode | Rule | Feed | Cut | HeadPattern


@dataclass(frozen=True)
class PrintJob:
    elements: tuple[Element, ...] = field(default_factory=tuple)
