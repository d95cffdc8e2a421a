"""The printable monthly report of one office (PDF, A4 portrait, Vietnamese), of the kind a ward
files upward: laid out from figures already computed (central.monthly_report); nothing here
counts.

The bundled Roboto (central/fonts, a link to config/fonts shipped as package data) is embedded:
it has every Vietnamese letter, and the PDF then reads the same on any machine. Tables repeat
their header rows on a new page and are only ever split between rows (platypus). Margins follow
the administrative document rule (Decree 30/2020/NĐ-CP: left 30 mm for binding, right 15 mm,
top and bottom 20 mm). The document is made `invariant` (no creation time read from the clock,
no random id): the same figures give the same bytes.

Numbers are written as officials write them: "." between thousands, a decimal comma, percents
as the report page writes them ("75,0%"), durations "12 phút 5 giây", minutes with a comma in
the tables.
"""

from __future__ import annotations

import io
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Line, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from central.monthly_report import MonthlyFigures
from central.report_page import COLOURS
from central.reports import Report, Tally
from central.service_report import Arrival, ServiceReport, ServiceTally
from central.service_shares import ServiceShares, Shares

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "Roboto", "Roboto-Bold"
PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 30 * mm, 15 * mm, 20 * mm, 20 * mm
FRAME_PADDING = 6  # platypus's frame keeps 6 pt inside the margins on each side
WIDTH = PAGE_WIDTH - LEFT - RIGHT - 2 * FRAME_PADDING
INNER_LEFT, INNER_RIGHT = LEFT + FRAME_PADDING, PAGE_WIDTH - RIGHT - FRAME_PADDING
TITLE = "BÁO CÁO TÌNH HÌNH TIẾP NHẬN VÀ GIẢI QUYẾT HỒ SƠ"
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
GRID = colors.HexColor("#9e9e9e")
HEAD = colors.HexColor("#eeeeee")
BAR = colors.HexColor("#2c7fb8")
# Field colours of the arrivals chart, in the order of the fields (then again from the start).
FIELD_COLOURS = (
    "#2c7fb8",
    "#f28e2b",
    "#59a14f",
    "#b07aa1",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)
LEGEND_LINE = 10  # points between two lines of a chart's legend
NO_FIGURE = "–"
# reportlab keeps module-level state (the registered fonts, their subsets per document): one
# document is built at a time, the server's threads queue for the ~0.1 s it takes.
_BUILDING = threading.Lock()
MAX_BAR = 12 * mm  # a column's width at the most, when there are few of them
KEY_HEADINGS = {"day": "Ngày", "field": "Lĩnh vực", "counter": "Quầy", "officer": "Cán bộ"}
SECTIONS = {
    "day": "II. THEO NGÀY",
    "field": "III. THEO LĨNH VỰC",
    "counter": "IV. THEO QUẦY",
    "officer": "V. THEO CÁN BỘ",
}


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=10, leading=13)
    return {
        "base": base,
        "centre": ParagraphStyle("centre", base, alignment=TA_CENTER),
        "title": ParagraphStyle(
            "title", base, fontName=BOLD, fontSize=13, leading=17, alignment=TA_CENTER
        ),
        "heading": ParagraphStyle(
            "heading",
            base,
            fontName=BOLD,
            fontSize=11,
            leading=14,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=True,
        ),
        "note": ParagraphStyle("note", base, fontSize=8, leading=10.5, spaceBefore=3),
        "cell": ParagraphStyle("cell", base, fontSize=7, leading=8.5, alignment=TA_LEFT),
        "head": ParagraphStyle(
            "head", base, fontName=BOLD, fontSize=6.5, leading=8, alignment=TA_CENTER
        ),
    }


def register_fonts() -> None:
    """Roboto regular and bold, embedded (as subsets) in every PDF that uses them; registered
    before any paragraph is made (a paragraph looks its fonts up when made)."""
    with _BUILDING:
        if REGULAR in pdfmetrics.getRegisteredFontNames():
            return
        pdfmetrics.registerFont(TTFont(REGULAR, str(FONTS / "Roboto-Regular.ttf")))
        pdfmetrics.registerFont(TTFont(BOLD, str(FONTS / "Roboto-Bold.ttf")))
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)


def monthly_pdf(figures: MonthlyFigures) -> bytes:
    """The PDF of the month's figures."""
    register_fonts()
    styles = _styles()
    out = io.BytesIO()
    office_text = figures.name or f"Đơn vị {figures.office}"
    month = f"{figures.first:%m/%Y}"
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=LEFT,
        rightMargin=RIGHT,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=f"Báo cáo tháng {month} – {office_text}",
        author=office_text,
        subject=TITLE.capitalize(),
        creator="kiosk-central",
        invariant=True,
        # Roboto from the start: reportlab's default Helvetica would be listed, not embedded.
        initialFontName=REGULAR,
    )
    story: list[Flowable] = [*_header(figures, office_text, styles)]
    if figures.empty:
        story.append(
            Paragraph(
                "Trong tháng không có số liệu: không có lượt lấy số, phiên phục vụ, phiếu đánh"
                " giá hay lượt hỏi đồng ý dùng thẻ nào.",
                styles["base"],
            )
        )
    else:
        story += _summary(figures, styles)
        for by in SECTIONS:
            story += _section(by, figures.service[by], figures.shares[by], styles)
        story += _arrivals(figures.service["day"].arrivals, styles)
        story += _levels(figures.satisfaction, styles)
        story += _notes(styles)
    story.append(_signatures(styles))
    footer = f"Báo cáo tháng {month} – {office_text}"
    if figures.name:
        footer += f" (mã {figures.office})"
    with _BUILDING:
        document.build(story, canvasmaker=_numbered_canvas(footer))
    return out.getvalue()


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """`commands` over Roboto in every cell (a table's cells start in Helvetica otherwise)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), REGULAR, 8), *commands])


# ----------------------------------------------------------------- the page frame


def _numbered_canvas(footer: str) -> type[Canvas]:
    """A canvas that writes "Trang n/N" and `footer` at the foot of every page once the number
    of pages is known (each page is kept until the document is saved)."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFont(REGULAR, 8)
                self.setStrokeColor(GRID)
                self.line(INNER_LEFT, BOTTOM - 6 * mm, INNER_RIGHT, BOTTOM - 6 * mm)
                self.drawString(INNER_LEFT, BOTTOM - 10 * mm, footer)
                self.drawRightString(INNER_RIGHT, BOTTOM - 10 * mm, f"Trang {number}/{count}")
                super().showPage()
            super().save()

    return NumberedCanvas


def _header(
    figures: MonthlyFigures, office_text: str, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    """The office on the left, the nation and motto on the right, the date made; the title."""
    made = figures.made_on
    left = [
        Paragraph(f"<b>{escape(office_text)}</b>", styles["centre"]),
        Paragraph(f"Mã đơn vị: {escape(figures.office)}", styles["centre"]),
    ]
    right = [
        Paragraph(f"<b>{NATION}</b>", styles["centre"]),
        Paragraph(f"<b><u>{MOTTO}</u></b>", styles["centre"]),
        Spacer(1, 3 * mm),
        Paragraph(f"Ngày {made.day:02d} tháng {made.month:02d} năm {made.year}", styles["centre"]),
    ]
    block = Table([[left, right]], colWidths=[WIDTH * 0.42, WIDTH * 0.58])
    block.setStyle(
        _table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [
        block,
        Spacer(1, 8 * mm),
        Paragraph(f"{TITLE}<br/>THÁNG {figures.first:%m/%Y}", styles["title"]),
        Spacer(1, 2 * mm),
        Paragraph(f"Kỳ báo cáo: {_day(figures.first)} – {_day(figures.last)}", styles["centre"]),
        Spacer(1, 6 * mm),
    ]


def _signatures(styles: dict[str, ParagraphStyle]) -> Flowable:
    cells = [
        [
            Paragraph("<b>NGƯỜI LẬP BÁO CÁO</b>", styles["centre"]),
            Paragraph("<b>THỦ TRƯỞNG ĐƠN VỊ</b>", styles["centre"]),
        ],
        [
            Paragraph("(Ký, ghi rõ họ tên)", styles["centre"]),
            Paragraph("(Ký, ghi rõ họ tên, đóng dấu)", styles["centre"]),
        ],
    ]
    table = Table(cells, colWidths=[WIDTH / 2, WIDTH / 2], rowHeights=[None, 28 * mm])
    table.setStyle(_table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return KeepTogether([Spacer(1, 8 * mm), table])


# ----------------------------------------------------------------- the summary


def _summary(figures: MonthlyFigures, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    service = figures.service["day"].total
    rating = figures.satisfaction.total
    consent = figures.consent.total
    wait, serve = service.wait, service.service
    rows = [
        ("Lượt lấy số", _count(service.issued)),
        ("Đã gọi", _count(service.called)),
        ("Đã phục vụ (phiên đã kết thúc)", _count(service.served)),
        ("Vắng mặt khi được gọi", _count(service.no_shows)),
        ("Còn chờ khi hết ngày", _count(service.waiting_at_close)),
        (
            "Thời gian chờ: trung vị / P90 / tối đa",
            " / ".join(_duration(value) for value in (wait.median, wait.p90, wait.max)),
        ),
        (
            "Thời gian phục vụ: trung vị / P90",
            " / ".join(_duration(value) for value in (serve.median, serve.p90)),
        ),
        (
            "Trả kết quả trong ngày",
            f"{_count(service.same_day_results)} / {_count(service.served)} phiên"
            f" ({_rate(service.same_day_rate)})",
        ),
        (
            "Tỷ lệ đồng ý dùng thẻ căn cước",
            f"{_count(consent.consented)} / {_count(consent.visits)} lượt được hỏi"
            f" ({_rate(consent.consent_rate)})",
        ),
        ("Số phiếu đánh giá", _count(rating.ballots)),
        ("Chưa đánh giá", _count(rating.not_rated)),
        ("Tỷ lệ hài lòng", _rate(rating.satisfaction_rate)),
    ]
    rows += [
        (f"– {level.label}", f"{_count(level.count)} ({_percent(level.percent)})")
        for level in rating.levels
    ]
    table = Table(
        [
            [Paragraph(escape(label), styles["base"]), Paragraph(escape(value), styles["base"])]
            for label, value in rows
        ],
        colWidths=[WIDTH * 0.5, WIDTH * 0.5],
    )
    table.setStyle(
        _table_style(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), HEAD),
            ]
        )
    )
    return [Paragraph("I. TỔNG HỢP", styles["heading"]), table]


# ----------------------------------------------------------------- the tables by key

_HEAD_TOP = (
    "Lượt lấy số",
    "Đã gọi",
    "Đã phục vụ",
    "Vắng mặt",
    "Còn chờ",
    "Thời gian chờ (phút)",
    "",
    "",
    "Thời gian phục vụ (phút)",
    "",
    "Trả kết quả trong ngày",
    "",
    "Đánh giá",
    "",
    "Đồng ý dùng thẻ",
)
_HEAD_BOTTOM = (
    "",
    "",
    "",
    "",
    "",
    "Trung vị",
    "P90",
    "Tối đa",
    "Trung vị",
    "P90",
    "Số",
    "Tỷ lệ",
    "Số phiếu",
    "Tỷ lệ hài lòng",
    "",
)
KEY_WIDTH = 20 * mm


def _section(
    by: str, service: ServiceReport, shares: ServiceShares, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(SECTIONS[by], styles["heading"])]
    keyed_service = {row.key: row for row in service.rows}
    keys = sorted(keyed_service.keys() | shares.rows.keys(), key=_key_order(by))
    if not keys:
        out.append(Paragraph("Không có dữ liệu trong kỳ.", styles["base"]))
        return out
    head_style = styles["head"]
    data: list[list[Any]] = [
        [
            Paragraph(KEY_HEADINGS[by], head_style),
            *(Paragraph(text, head_style) for text in _HEAD_TOP),
        ],
        ["", *(Paragraph(text, head_style) for text in _HEAD_BOTTOM)],
    ]
    for key in keys:
        data.append(
            [
                Paragraph(escape(_key_text(by, key)), styles["cell"]),
                *_figure_cells(keyed_service.get(key), shares.of(key)),
            ]
        )
    data.append(
        [
            Paragraph("<b>Tổng cộng</b>", styles["cell"]),
            *_figure_cells(service.total, shares.total),
        ]
    )
    other = (WIDTH - KEY_WIDTH) / len(_HEAD_TOP)
    table = Table(data, colWidths=[KEY_WIDTH, *([other] * len(_HEAD_TOP))], repeatRows=2)
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.5, GRID),
        ("BACKGROUND", (0, 0), (-1, 1), HEAD),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("FONT", (1, 2), (-1, -1), REGULAR, 7),
        ("FONT", (1, -1), (-1, -1), BOLD, 7),
        ("ALIGN", (1, 2), (-1, -1), "RIGHT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("SPAN", (0, 0), (0, 1)),
        ("SPAN", (6, 0), (8, 0)),
        ("SPAN", (9, 0), (10, 0)),
        ("SPAN", (11, 0), (12, 0)),
        ("SPAN", (13, 0), (14, 0)),
    ]
    commands += [("SPAN", (column, 0), (column, 1)) for column in (*range(1, 6), 15)]
    table.setStyle(_table_style(commands))
    out.append(table)
    if by in ("counter", "officer"):
        out.append(
            Paragraph(
                "Lượt lấy số, đã gọi, vắng mặt và thời gian chờ tính theo quầy, cán bộ gọi lần"
                " đầu; số chưa được gọi chỉ có trong dòng Tổng cộng. Việc đồng ý dùng thẻ được"
                " hỏi ở nơi lấy số, trước khi đến quầy: chỉ có trong dòng Tổng cộng.",
                styles["note"],
            )
        )
    if by == "day":
        chart = _wait_chart(service)
        if chart is not None:
            out += [Spacer(1, 3 * mm), chart]
    return out


def _figure_cells(service: ServiceTally | None, shares: Shares) -> list[str]:
    """The row's figures; a key with ballots only has no service figures (–), a row by counter
    or officer no consent share (–)."""
    if service is None:
        cells = [NO_FIGURE] * 12
    else:
        cells = [
            _count(service.issued),
            _count(service.called),
            _count(service.served),
            _count(service.no_shows),
            _count(service.waiting_at_close),
            *(
                _minutes(value)
                for value in (service.wait.median, service.wait.p90, service.wait.max)
            ),
            *(_minutes(value) for value in (service.service.median, service.service.p90)),
            _count(service.same_day_results),
            _rate(service.same_day_rate),
        ]
    satisfaction, consent = shares.satisfaction, shares.consent
    return [
        *cells,
        _count(satisfaction.ballots),
        _rate(satisfaction.satisfaction_rate),
        NO_FIGURE if consent is None else _rate(consent.consent_rate),
    ]


def _key_order(by: str) -> Callable[[str], Any]:
    """Counters by number (2 before 10), other keys as text (days are ISO dates)."""
    if by == "counter":
        return int
    return lambda key: key


def _key_text(by: str, key: str) -> str:
    if by == "day":
        return _day(date.fromisoformat(key))
    return f"Quầy {key}" if by == "counter" else key


# ----------------------------------------------------------------- arrivals and satisfaction


def _arrivals(arrivals: list[Arrival], styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [Paragraph("VI. LƯỢT LẤY SỐ THEO GIỜ", styles["heading"])]
    if not arrivals:
        out.append(Paragraph("Không có dữ liệu trong kỳ.", styles["base"]))
        return out
    fields = sorted({arrival.field_id for arrival in arrivals})
    per_hour: dict[int, dict[str, int]] = defaultdict(dict)
    for arrival in arrivals:
        per_hour[arrival.hour][arrival.field_id] = arrival.tickets
    # A row per field (however many fields, their names get a wide column), a column per hour
    # from the first to the last with tickets.
    hours = list(range(min(per_hour), max(per_hour) + 1))
    head = styles["head"]
    data: list[list[Any]] = [
        [
            Paragraph("Lĩnh vực", head),
            *(Paragraph(f"{hour}h", head) for hour in hours),
            Paragraph("Tổng", head),
        ]
    ]
    for name in fields:
        counts = [per_hour.get(hour, {}).get(name, 0) for hour in hours]
        data.append(
            [
                Paragraph(escape(name), styles["cell"]),
                *(_count(n) for n in counts),
                _count(sum(counts)),
            ]
        )
    totals = [sum(per_hour.get(hour, {}).values()) for hour in hours]
    data.append(
        [Paragraph("<b>Tổng cộng</b>", styles["cell"]), *map(_count, totals), _count(sum(totals))]
    )
    key_width = 40 * mm
    other = min(15 * mm, (WIDTH - key_width) / (len(hours) + 1))
    table = Table(
        data, colWidths=[key_width, *([other] * (len(hours) + 1))], repeatRows=1, hAlign="LEFT"
    )
    table.setStyle(
        _table_style(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), HEAD),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("FONT", (1, 1), (-1, -1), REGULAR, 7),
                ("FONT", (1, -1), (-1, -1), BOLD, 7),
                ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    out += [table, Spacer(1, 3 * mm), _arrivals_chart(per_hour, fields)]
    return out


def _levels(report: Report, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    total = report.total
    out: list[Flowable] = [Paragraph("VII. MỨC ĐỘ HÀI LÒNG", styles["heading"])]
    if total.ballots == 0:
        out.append(Paragraph("Không có phiếu đánh giá trong kỳ.", styles["base"]))
        return out
    out.append(_levels_chart(total))
    return out


def _notes(styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    text = (
        "<b>Ghi chú.</b> Thời gian chờ: từ lúc lấy số đến lần gọi đầu tiên (gọi lại không tính"
        " lại; số bị bỏ qua rồi được gọi lại chỉ tính đến lần gọi đầu). Thời gian phục vụ: từ"
        " lúc gọi đến lúc kết thúc phiên. Trung vị: giá trị ở giữa; P90: 90% số lượt không quá"
        " giá trị này. Vắng mặt: số bị bỏ qua và không có phiên nào kết thúc. Tỷ lệ hài lòng ="
        " (Rất hài lòng + Hài lòng) / số phiếu. Tỷ lệ đồng ý dùng thẻ = số lượt đồng ý (không"
        " rút lại) / số lượt được hỏi có lấy số."
    )
    return [Spacer(1, 4 * mm), Paragraph(text, styles["note"])]


# ----------------------------------------------------------------- charts


def _chart_frame(height: float, title: str) -> Drawing:
    drawing = Drawing(WIDTH, height)
    # The renderer's starting state (else Helvetica, listed in the PDF and never embedded).
    drawing.initialFontName = REGULAR
    drawing.add(String(0, height - 10, title, fontName=BOLD, fontSize=9))
    return drawing


def _axis(
    drawing: Drawing, left: float, bottom: float, width: float, height: float, top: float, unit: str
) -> Callable[[float], float]:
    """Horizontal grid lines at round values up to `top`, labelled on the left; returns the
    function from a value to its y."""
    step = _round_step(top / 4)
    scale_top = step * max(1, -(-top // step))
    for index in range(int(scale_top // step) + 1):
        value = index * step
        y = bottom + height * value / scale_top
        drawing.add(
            Line(left, y, left + width, y, strokeColor=colors.HexColor("#dddddd"), strokeWidth=0.5)
        )
        drawing.add(
            String(
                left - 3, y - 2.5, _plain(value), fontName=REGULAR, fontSize=6.5, textAnchor="end"
            )
        )
    drawing.add(
        String(
            left - 3, bottom + height + 6, unit, fontName=REGULAR, fontSize=6.5, textAnchor="end"
        )
    )
    return lambda value: bottom + height * value / scale_top


def _round_step(raw: float) -> float:
    """The smallest of 1, 2, 5 × 10^n that is at least `raw`."""
    magnitude = 1.0
    while magnitude * 10 <= raw:
        magnitude *= 10
    while magnitude > raw and magnitude > 0.1:
        magnitude /= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _wait_chart(report: ServiceReport) -> Drawing | None:
    """A column per day of the month: the median wait in minutes (days without a call: none)."""
    medians = {
        date.fromisoformat(row.key): row.wait.median / 60
        for row in report.rows
        if row.wait.median is not None
    }
    if not medians:
        return None
    days = [
        report.first.fromordinal(n)
        for n in range(report.first.toordinal(), report.last.toordinal() + 1)
    ]
    drawing = _chart_frame(60 * mm, "Thời gian chờ trung vị theo ngày (phút)")
    left, bottom = 12 * mm, 8 * mm
    width, height = WIDTH - left - 2 * mm, 60 * mm - bottom - 12 * mm - 8
    y_of = _axis(drawing, left, bottom, width, height, max(medians.values()), "phút")
    slot = width / len(days)
    for index, day in enumerate(days):
        x = left + index * slot
        drawing.add(
            String(
                x + slot / 2,
                bottom - 8,
                str(day.day),
                fontName=REGULAR,
                fontSize=6,
                textAnchor="middle",
            )
        )
        if day not in medians:
            continue
        value = medians[day]
        drawing.add(
            Rect(
                x + (slot - min(slot * 0.7, MAX_BAR)) / 2,
                bottom,
                min(slot * 0.7, MAX_BAR),
                y_of(value) - bottom,
                fillColor=BAR,
                strokeColor=None,
            )
        )
        label = _minutes(value * 60)
        if pdfmetrics.stringWidth(label, REGULAR, 6) <= slot:
            drawing.add(
                String(
                    x + slot / 2,
                    y_of(value) + 2,
                    label,
                    fontName=REGULAR,
                    fontSize=6,
                    textAnchor="middle",
                )
            )
    return drawing


def _arrivals_chart(per_hour: dict[int, dict[str, int]], fields: Sequence[str]) -> Drawing:
    """Stacked columns of tickets per hour of the day, a colour per field, the legend on top."""
    hours = list(range(min(per_hour), max(per_hour) + 1))
    # The legend's entries, on as many lines as the width needs.
    places: list[tuple[float, int]] = []
    x, line = 0.0, 0
    for name in fields:
        entry = 20 + pdfmetrics.stringWidth(name, REGULAR, 7)
        if x and x + entry > WIDTH:
            x, line = 0.0, line + 1
        places.append((x, line))
        x += entry
    height_total = 65 * mm + line * LEGEND_LINE
    drawing = _chart_frame(height_total, "Lượt lấy số theo giờ và lĩnh vực")
    legend_top = height_total - 24
    for index, (name, (x, line)) in enumerate(zip(fields, places, strict=True)):
        colour = colors.HexColor(FIELD_COLOURS[index % len(FIELD_COLOURS)])
        y = legend_top - line * LEGEND_LINE
        drawing.add(Rect(x, y, 7, 7, fillColor=colour, strokeColor=None))
        drawing.add(String(x + 10, y + 1, name, fontName=REGULAR, fontSize=7))
    legend_y = legend_top - line * LEGEND_LINE
    left, bottom = 12 * mm, 8 * mm
    width, height = WIDTH - left - 2 * mm, legend_y - bottom - 20
    top = max(sum(counts.values()) for counts in per_hour.values())
    y_of = _axis(drawing, left, bottom, width, height, top, "lượt")
    slot = width / len(hours)
    bar = min(slot * 0.6, MAX_BAR)
    for index, hour in enumerate(hours):
        x = left + index * slot
        drawing.add(
            String(
                x + slot / 2,
                bottom - 8,
                f"{hour}h",
                fontName=REGULAR,
                fontSize=6.5,
                textAnchor="middle",
            )
        )
        running = 0
        for number, name in enumerate(fields):
            count = per_hour.get(hour, {}).get(name, 0)
            if count == 0:
                continue
            colour = colors.HexColor(FIELD_COLOURS[number % len(FIELD_COLOURS)])
            y0, y1 = y_of(running), y_of(running + count)
            drawing.add(
                Rect(
                    x + (slot - bar) / 2,
                    y0,
                    bar,
                    y1 - y0,
                    fillColor=colour,
                    strokeColor=colors.white,
                    strokeWidth=0.5,
                )
            )
            running += count
        if running:
            drawing.add(
                String(
                    x + slot / 2,
                    y_of(running) + 2,
                    _count(running),
                    fontName=REGULAR,
                    fontSize=6.5,
                    textAnchor="middle",
                )
            )
    return drawing


def _levels_chart(total: Tally) -> Drawing:
    """A horizontal bar per level (green to red), its count and percent after it."""
    palette = COLOURS[len(total.levels)]
    row = 9 * mm
    height = 14 + row * len(total.levels)
    drawing = _chart_frame(height, f"Số phiếu theo mức độ ({_count(total.ballots)} phiếu)")
    label_width = 34 * mm
    bar_width = WIDTH - label_width - 30 * mm
    most = max(level.count for level in total.levels) or 1
    for index, (level, colour) in enumerate(zip(total.levels, palette, strict=True)):
        y = height - 16 - (index + 1) * row + 2 * mm
        drawing.add(
            String(
                label_width - 4, y + 3, level.label, fontName=REGULAR, fontSize=8, textAnchor="end"
            )
        )
        length = bar_width * level.count / most
        drawing.add(
            Rect(
                label_width,
                y,
                max(length, 0.5),
                row - 4 * mm,
                fillColor=colors.HexColor(colour),
                strokeColor=None,
            )
        )
        drawing.add(
            String(
                label_width + length + 4,
                y + 3,
                f"{_count(level.count)} ({_percent(level.percent)})",
                fontName=REGULAR,
                fontSize=8,
            )
        )
    return drawing


# ----------------------------------------------------------------- how numbers are written


def _count(value: int) -> str:
    """1234 → "1.234"."""
    return f"{value:,}".replace(",", ".")


def _tenths(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _plain(value: float) -> str:
    """An axis value: 5 → "5", 2.5 → "2,5"."""
    return _count(int(value)) if value == int(value) else str(_tenths(value)).replace(".", ",")


def _percent(value: float) -> str:
    """75.0 → "75,0%" (as the report page writes it)."""
    return f"{value:.1f}".replace(".", ",") + "%"


def _rate(value: float | None) -> str:
    return NO_FIGURE if value is None else _percent(value)


def _minutes(seconds: float | None) -> str:
    """Seconds as minutes with one decimal: 630 → "10,5"."""
    if seconds is None:
        return NO_FIGURE
    return str(_tenths(seconds / 60)).replace(".", ",")


def _duration(seconds: float | None) -> str:
    """As officials write it: "45 giây", "12 phút 5 giây", "1 giờ 3 phút" (whole seconds, halves
    up; from an hour on, whole minutes)."""
    if seconds is None:
        return NO_FIGURE
    whole = int(Decimal(repr(seconds)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if whole >= 3600:
        rounded = int((Decimal(whole) / 60).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        hours, minutes = divmod(rounded, 60)
        return f"{hours} giờ" + (f" {minutes} phút" if minutes else "")
    minutes, rest = divmod(whole, 60)
    if minutes == 0:
        return f"{rest} giây"
    return f"{minutes} phút" + (f" {rest} giây" if rest else "")


def _day(day: date) -> str:
    return day.strftime("%d/%m/%Y")
