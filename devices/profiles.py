"""Printer model profiles: what differs between printer models, as validated data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

TEXT_ENCODINGS = ("", "cp1258")


@dataclass(frozen=True)
class PrinterProfile:
    """One printer model. See config/printers.toml for the meaning of each field.

    `font_px` is the height in dots of one rasterised line box at size 1 (tallest Vietnamese
    capital to lowest descender), not the font's em size.
    """

    name: str
    width_dots: int
    font_px: int
    text_encoding: str
    codepage: int
    big_number_scale: int
    qr_module: int
    feed_before_cut: int
    font_regular: Path
    font_bold: Path

    @classmethod
    def from_mapping(
        cls, name: str, mapping: Mapping[str, Any], font_regular: Path, font_bold: Path
    ) -> PrinterProfile:
        """Build a profile from a `[profile.NAME]` table.

        ValueError names the bad key and what is allowed (the caller adds file and profile).
        """
        expected = {f.name for f in fields(cls)} - {"name", "font_regular", "font_bold"}
        unknown = sorted(set(mapping) - expected)
        if unknown:
            raise ValueError(
                f"unknown key {unknown[0]!r}; allowed keys: {', '.join(sorted(expected))}"
            )
        missing = sorted(expected - set(mapping))
        if missing:
            raise ValueError(f"missing key {missing[0]!r}")

        width = _int(mapping, "width_dots", 384, 832)
        if width % 8:
            raise ValueError(
                "width_dots must be a multiple of 8 "
                f"(384..832, e.g. 576 for 80 mm paper, 384 for 58 mm), got {width}"
            )
        encoding = mapping["text_encoding"]
        if encoding not in TEXT_ENCODINGS:
            raise ValueError(
                "text_encoding must be one of "
                f'"" (rasterise Vietnamese) or "cp1258", got {encoding!r}'
            )
        for key, path in (("font_regular", font_regular), ("font_bold", font_bold)):
            if not Path(path).is_file():
                raise ValueError(f"{key}: font file not found: {path}")
        return cls(
            name=name,
            width_dots=width,
            font_px=_int(mapping, "font_px", 12, 96),
            text_encoding=encoding,
            codepage=_int(mapping, "codepage", 0, 255),
            big_number_scale=_int(mapping, "big_number_scale", 1, 8),
            qr_module=_int(mapping, "qr_module", 1, 16),
            feed_before_cut=_int(mapping, "feed_before_cut", 0, 255),
            font_regular=Path(font_regular),
            font_bold=Path(font_bold),
        )


def _int(mapping: Mapping[str, Any], key: str, low: int, high: int) -> int:
    value = mapping[key]
    # bool is an int subclass: `true` in TOML must not pass as 1.
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{key} must be a whole number from {low} to {high}, got {value!r}")
    return value
