"""central.svg_charts: the charts' text never overlaps nor leaves the chart, a long key is cut
with "…" and kept whole in its tooltip, and text on a colour contrasts enough."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from central.svg_charts import (
    CHAR_WIDTH,
    SERIES,
    Bar,
    Segment,
    Series,
    StackedRow,
    bar_chart,
    column_chart,
    contrast,
    on,
    stacked_bar_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
LONG = "Trung tâm Phục vụ hành chính công phường Đại Mỗ"


def boxes(chart: str) -> tuple[float, list[tuple[float, float, float, str]]]:
    """The chart's width and each text's (left, right, baseline, text), its width estimated
    at CHAR_WIDTH per character as the module reserves it."""
    root = ElementTree.fromstring(chart)
    out = []
    for text in root.iter(f"{SVG}text"):
        # What is drawn: the element's own text, not its tooltip's.
        shown = (text.text or "") + "".join(child.tail or "" for child in text)
        width = CHAR_WIDTH * len(shown)
        x = float(text.get("x", "0"))
        anchor = text.get("text-anchor", "start")
        left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
        out.append((left, left + width, float(text.get("y", "0")), shown))
    return float(root.get("width", "0")), out


def assert_no_overlap(chart: str) -> None:
    width, texts = boxes(chart)
    for left, right, _, shown in texts:
        assert left >= 0 and right <= width, shown
    for i, (left, right, y, shown) in enumerate(texts):
        for other_left, other_right, other_y, other in texts[i + 1 :]:
            if abs(y - other_y) < 12:
                assert right <= other_left or other_right <= left, (shown, other)


def test_a_long_key_is_cut_and_whole_in_its_tooltip() -> None:
    chart = bar_chart("Biểu đồ", [Bar(LONG, 600.0, "10 phút", f"{LONG}: 10 phút")])
    root = ElementTree.fromstring(chart)
    [group] = root.iter(f"{SVG}g")
    assert group.findtext(f"{SVG}title") == f"{LONG}: 10 phút"
    key = next(t for t in group.iter(f"{SVG}text") if t.get("text-anchor") == "end")
    assert key.text == LONG[:23] + "…"
    assert_no_overlap(chart)


def test_bars_and_labels_do_not_overlap() -> None:
    bars = [
        Bar("02/06/2025", 600.0, "10 phút", "a"),
        Bar("03/06/2025", 390.0, "6 phút 30 giây", "b"),
        Bar("04/06/2025", None, "chưa gọi số nào", "c"),
    ]
    assert_no_overlap(bar_chart("Thời gian chờ", bars))


def test_columns_legend_and_hours_do_not_overlap() -> None:
    names = ["ho-tich", "dat-dai-xay-dung", "chung-thuc", "bao-tro-xa-hoi", "cu-tru", "tu-van"]
    series = [Series(name, {8: 120 + i, 9: 1000 + i, 10: 7}) for i, name in enumerate(names)]
    chart = column_chart("Lượt lấy số", [8, 9, 10], series)
    assert_no_overlap(chart)
    root = ElementTree.fromstring(chart)
    legend = [
        rect.get("fill") for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is None
    ]
    assert legend == list(SERIES[: len(names)])


def test_a_segment_too_narrow_for_its_percent_shows_none() -> None:
    row = StackedRow(
        "cb-01",
        [
            Segment(98, "#1a9850", "98,0%", "a", True),
            Segment(2, "#d73027", "2,0%", "b", True),
        ],
        "chưa có phiếu",
    )
    chart = stacked_bar_chart("Mức độ", [("Rất hài lòng", "#1a9850"), ("Không", "#d73027")], [row])
    texts = ["".join(t.itertext()) for t in ElementTree.fromstring(chart).iter(f"{SVG}text")]
    assert "98,0%" in texts and "2,0%" not in texts
    assert_no_overlap(chart)


def test_text_on_every_colour_contrasts_enough() -> None:
    for colour in ("#1a9850", "#a6d96a", "#fee08b", "#fdae61", "#d73027", "#d9d9d9"):
        assert contrast(on(colour), colour) >= 4.5, colour
    assert contrast("#222222", "#ffffff") >= 4.5
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
