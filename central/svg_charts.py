"""The report pages' charts as inline SVG: no script, no font, no image, nothing loaded.

Three kinds: horizontal bars with their value written after each bar (a waiting time, a share),
stacked columns per hour (arrivals per field, with a legend), and 100 % stacked bars (the
satisfaction levels). Each chart is an accessible image (role="img", an aria-label and a
<title>), each bar or segment has a <title> tooltip with its full key and figure.

No text may overlap another or run out of the chart, and the browser's font is unknown, so every
width is reserved from a conservative estimate of the text (CHAR_WIDTH per character, wider than
the average glyph of the sans-serif fonts at FONT_SIZE); a key longer than MAX_KEY characters is
cut with "…", its full text in the tooltip. Text drawn on a colour takes black or white,
whichever contrasts more, and every colour here gives at least 4.5:1 with it (the tests check).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT_SIZE = 12
CHAR_WIDTH = 8.0
ROW_HEIGHT = 26
BAR_HEIGHT = 18
BAR_WIDTH = 340
GAP = 8
MAX_KEY = 24
LEGEND_ROW = 22
COLUMN_HEIGHT = 200
MAX_LEGEND = 600  # a chart is made as wide as its legend on one line, up to this
TEXT = "#222222"
GRID = "#cccccc"
EMPTY = "#d9d9d9"
BAR = "#2b6cb0"
MUTED = "#a9c4e4"
# Distinguishable hues for the fields of the arrivals chart (no text is drawn on them).
SERIES = ("#2b6cb0", "#e08a00", "#2e7d32", "#8e3b9e", "#c62828", "#00838f", "#6d4c41", "#5f6b7a")


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: `value` sets its length (None: no bar, `label` alone), `label` is
    written after it, `tip` is its tooltip; a `muted` bar (a figure from a small sample) is
    drawn pale."""

    key: str
    value: float | None
    label: str
    tip: str
    muted: bool = False


@dataclass(frozen=True)
class Segment:
    """A part of a 100 % stacked bar: `count` of the row's whole; `label` is written on it when
    `shown` (it fits)."""

    count: int
    colour: str
    label: str
    tip: str
    shown: bool


@dataclass(frozen=True)
class StackedRow:
    key: str
    segments: list[Segment]
    empty_text: str


@dataclass(frozen=True)
class Series:
    """The columns of one field: its name (the legend) and its count per hour."""

    name: str
    counts: dict[int, int]


def text_width(text: str) -> float:
    return CHAR_WIDTH * len(text)


def cut(key: str) -> str:
    return key if len(key) <= MAX_KEY else key[: MAX_KEY - 1] + "…"


def bar_chart(label: str, bars: Sequence[Bar], *, scale_max: float | None = None) -> str:
    """One bar per key, lengths proportional to the values: BAR_WIDTH is `scale_max` (a share's
    100), or the largest value."""
    key_width = max((text_width(cut(bar.key)) for bar in bars), default=0) + GAP
    value_width = max((text_width(bar.label) for bar in bars), default=0) + GAP
    largest = scale_max or max((bar.value or 0 for bar in bars), default=0)
    width = key_width + BAR_WIDTH + GAP + value_width
    height = ROW_HEIGHT * len(bars) + 4
    out = [_open(label, width, height)]
    for index, bar in enumerate(bars):
        y = index * ROW_HEIGHT + 2
        length = 0.0 if not bar.value or not largest else BAR_WIDTH * bar.value / largest
        out.append(f"<g><title>{escape(bar.tip)}</title>")
        out.append(_key(bar.key, key_width - GAP, y))
        if bar.value is not None:
            out.append(
                f'<rect x="{key_width:.1f}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{MUTED if bar.muted else BAR}"/>'
            )
        out.append(
            f'<text x="{key_width + length + GAP:.1f}" y="{y + 13}" fill="{TEXT}">'
            f"{escape(bar.label)}</text></g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def stacked_bar_chart(
    label: str, legend: Sequence[tuple[str, str]], rows: Sequence[StackedRow]
) -> str:
    """A bar of BAR_WIDTH per row cut in segments by count, a legend of (name, colour) on top."""
    key_width = max((text_width(cut(row.key)) for row in rows), default=0) + GAP
    width = max(key_width + BAR_WIDTH + GAP, _legend_width(legend))
    legend_lines, legend_svg = _legend(legend, width)
    top = legend_lines * LEGEND_ROW + 6
    height = top + ROW_HEIGHT * len(rows) + 4
    out = [_open(label, width, height), *legend_svg]
    for index, row in enumerate(rows):
        y = top + index * ROW_HEIGHT
        out.append(_key(row.key, key_width - GAP, y, tip=row.key))
        whole = sum(segment.count for segment in row.segments)
        if whole == 0:
            out.append(
                f'<rect x="{key_width:.1f}" y="{y}" width="{BAR_WIDTH}" height="{BAR_HEIGHT}" '
                f'fill="{EMPTY}"/>'
            )
            out.append(
                f'<text x="{key_width + 6:.1f}" y="{y + 13}" fill="{on(EMPTY)}">'
                f"{escape(row.empty_text)}</text>"
            )
            continue
        start = 0
        for segment in row.segments:
            if segment.count == 0:
                continue
            # Cumulative counts, so the segments always end exactly at the bar's end.
            left = key_width + BAR_WIDTH * start / whole
            start += segment.count
            right = key_width + BAR_WIDTH * start / whole
            out.append(
                f'<rect x="{left:.1f}" y="{y}" width="{right - left:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{segment.colour}"><title>{escape(segment.tip)}</title></rect>'
            )
            if segment.shown and text_width(segment.label) + 4 <= right - left:
                out.append(
                    f'<text x="{(left + right) / 2:.1f}" y="{y + 13}" text-anchor="middle" '
                    f'fill="{on(segment.colour)}">{escape(segment.label)}</text>'
                )
    out.append("</svg>")
    return "\n".join(out)


def column_chart(label: str, hours: Sequence[int], series: Sequence[Series]) -> str:
    """Stacked columns, one per hour (x axis: "08" … under each), one colour per series, the
    column's total above it, a legend of the series' names on top."""
    totals = {hour: sum(s.counts.get(hour, 0) for s in series) for hour in hours}
    largest = max(totals.values(), default=0)
    slot = max(40.0, max((text_width(str(n)) for n in totals.values()), default=0) + GAP)
    legend = [(s.name, SERIES[i % len(SERIES)]) for i, s in enumerate(series)]
    one_line = sum(_legend_item_width(name) for name, _ in legend)
    width = max(slot * len(hours) + 2 * GAP, _legend_width(legend), min(one_line, MAX_LEGEND))
    legend_lines, legend_svg = _legend(legend, width)
    top = legend_lines * LEGEND_ROW + 6 + LEGEND_ROW  # room for the tallest column's total
    base = top + COLUMN_HEIGHT
    height = base + LEGEND_ROW + 4
    out = [_open(label, width, height), *legend_svg]
    out.append(f'<line x1="{GAP}" y1="{base}" x2="{width - GAP:.1f}" y2="{base}" stroke="{GRID}"/>')
    for index, hour in enumerate(hours):
        x = GAP + index * slot
        centre = x + slot / 2
        y = float(base)
        for colour, each in zip((c for _, c in legend), series, strict=True):
            count = each.counts.get(hour, 0)
            if count == 0:
                continue
            size = COLUMN_HEIGHT * count / largest
            y -= size
            tip = f"{hour:02d} giờ – {each.name}: {count}"
            out.append(
                f'<rect x="{x + 4:.1f}" y="{y:.1f}" width="{slot - 8:.1f}" height="{size:.1f}" '
                f'fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
        out.append(
            f'<text x="{centre:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{TEXT}">'
            f"{totals[hour]}</text>"
        )
        out.append(
            f'<text x="{centre:.1f}" y="{base + 16}" text-anchor="middle" fill="{TEXT}">'
            f"{hour:02d}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def on(colour: str) -> str:
    """Black or white, whichever contrasts more with `colour`."""
    return "#000000" if contrast(colour, "#000000") >= contrast(colour, "#ffffff") else "#ffffff"


def contrast(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two #rrggbb colours."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _open(label: str, width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" font-size="{FONT_SIZE}" '
        f'aria-label="{escape(label)}"><title>{escape(label)}</title>'
    )


def _key(key: str, right: float, y: float, *, tip: str | None = None) -> str:
    title = "" if tip is None else f"<title>{escape(tip)}</title>"
    return (
        f'<text x="{right:.1f}" y="{y + 13}" text-anchor="end" fill="{TEXT}">'
        f"{title}{escape(cut(key))}</text>"
    )


def _legend_item_width(name: str) -> float:
    return 16 + text_width(name) + 14


def _legend_width(legend: Sequence[tuple[str, str]]) -> float:
    """The width the widest single legend item needs (items wrap to fit the chart)."""
    return max((_legend_item_width(name) for name, _ in legend), default=0) + 2


def _legend(legend: Sequence[tuple[str, str]], width: float) -> tuple[int, list[str]]:
    """The legend's items left to right, wrapped to `width`: (its lines, its elements)."""
    out: list[str] = []
    x, line = 0.0, 0
    for name, colour in legend:
        item = _legend_item_width(name)
        if x and x + item > width:
            x, line = 0.0, line + 1
        y = line * LEGEND_ROW + 4
        out.append(f'<rect x="{x:.1f}" y="{y}" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16:.1f}" y="{y + 10}" fill="{TEXT}">{escape(name)}</text>')
        x += item
    return (line + 1 if legend else 0), out
