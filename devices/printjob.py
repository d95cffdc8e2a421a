"""A print job: what to print, in printer-neutral terms.

The application builds a job from these elements; `devices.escpos_encoder` turns it into bytes
for a given printer profile, choosing native text or a Pillow raster for each line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    """One line of text. `size` magnifies width and height (1..8)."""

    text: str
    align: Align = "center"
    size: int = 1
    bold: bool = False


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


Element = Text | QRCode | Rule | Feed | Cut


@dataclass(frozen=True)
class PrintJob:
    elements: tuple[Element, ...] = field(default_factory=tuple)
