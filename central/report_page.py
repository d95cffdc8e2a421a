"""The office's report as a page a ward leader reads: one self-contained HTML page (no external
CSS, scripts or fonts), Vietnamese, with the service figures (central.service_page), the
satisfaction by day and by officer (a table and an inline SVG stacked bar chart each) and the
consent figures. The numbers are the JSON reports'; this module only lays them out. Every text
that reaches the page is escaped.

The page may be opened with `?token=...` (a browser cannot easily send a bearer header), so the
uvicorn access log gets a filter that blanks the token out of the request line it writes.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from html import escape

from central import vn_format
from central.consent_page import consent_section
from central.consents import ConsentFigures
from central.html_page import page_start
from central.report_style import STYLE
from central.reports import Report, Tally
from central.service_page import LinkTo, arrivals_section, links, service_sections, service_summary
from central.service_report import ServiceGrouping, ServiceReport
from central.service_shares import ServiceShares
from central.svg_charts import Segment, StackedRow, stacked_bar_chart

TITLE = "Báo cáo phục vụ và mức độ hài lòng"
# Green → red, level 1 (best) first; scale 3's last level "Không hài lòng" is red too.
COLOURS = {
    3: ("#1a9850", "#a6d96a", "#d73027"),
    5: ("#1a9850", "#a6d96a", "#fee08b", "#fdae61", "#d73027"),
}
MIN_PERCENT_SHOWN = 8.0
SATISFACTION_NOTE = (
    "Số phiếu: lượt đánh giá đã chọn mức; tỷ lệ hài lòng: (Rất hài lòng + Hài lòng) / số phiếu;"
    " chưa đánh giá: lượt công dân không chọn mức."
)


@dataclass(frozen=True)
class OfficeFigures:
    """Everything the page shows of one office and period, computed elsewhere."""

    office: str
    name: str | None
    first: date
    last: date
    service: Mapping[ServiceGrouping, tuple[ServiceReport, ServiceShares]]
    by_day: Report
    by_officer: Report
    consent_by_day: ConsentFigures


_QUERY_PARAMETER = re.compile(r"([?&;])([^=&;\s\"]*)=([^&;\s\"]*)")


def hide_tokens(text: str) -> str:
    """`text` with the value of every query parameter whose name decodes to `token` (in any
    case, `%74oken` too: the server decodes the name so) replaced by `***`."""

    def blank(match: re.Match[str]) -> str:
        name = urllib.parse.unquote_plus(match.group(2))
        if name.strip().lower() != "token":
            return match.group(0)
        return f"{match.group(1)}{match.group(2)}=***"

    return _QUERY_PARAMETER.sub(blank, text)


class HideQueryToken(logging.Filter):
    """Blanks the `token` query parameter out of a log record's message and arguments (the
    access log line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


def hide_query_tokens_in_access_log() -> None:
    """Install the filter on uvicorn's access logger (once; logging.config keeps filters)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, HideQueryToken) for existing in access.filters):
        access.addFilter(HideQueryToken())


def office_label(office: str, name: str | None) -> str:
    """The office's name and code ("Phường Đại Mỗ (00637)"), the code alone without a name."""
    return office if name is None else f"{name} ({office})"


def report_page(figures: OfficeFigures, link: LinkTo) -> str:
    """The page of one office and period: the service figures, the satisfaction by day and by
    officer, the consent figures by day, and links to every table's JSON and CSV and to the
    per-session export (with the dossier codes)."""
    period = vn_format.period(figures.first, figures.last)
    where = office_label(figures.office, figures.name)
    total = figures.by_day.total
    consent_rate = vn_format.percent(figures.consent_by_day.total.consent_rate)
    parts = [
        *page_start(f"{TITLE} – đơn vị {where} – {period}", STYLE),
        f"<h1>{escape(TITLE)}</h1>",
        f'<p class="period">Đơn vị: <b>{escape(where)}</b> · Kỳ báo cáo: '
        f"<b>{escape(period)}</b></p>",
        '<div class="summary">',
        *service_summary(figures.service["day"][0].total),
        f"<div>Tỷ lệ đồng ý dùng thẻ<b>{consent_rate}</b></div>",
        f"<div>Tỷ lệ hài lòng<b>{_rate(total)}</b></div>",
        f"<div>Số phiếu đánh giá<b>{vn_format.number(total.ballots)}</b></div>",
        f"<div>Chưa đánh giá<b>{vn_format.number(total.not_rated)}</b></div>",
        "</div>",
        "<h2>Tiếp nhận và phục vụ</h2>",
        service_sections(figures.service, link),
        arrivals_section(figures.service["day"][0].arrivals, link),
        "<h2>Mức độ hài lòng</h2>",
        f'<p class="note">{escape(SATISFACTION_NOTE)}</p>',
        _section("Theo ngày", "Ngày", figures.by_day, link),
        _section("Theo cán bộ", "Cán bộ", figures.by_officer, link),
        f'<p><a href="{escape(link("sessions", {"format": "csv"}))}">'
        "Tải danh sách phiên (CSV, kèm mã hồ sơ)</a></p>",
        consent_section(figures.consent_by_day),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _section(heading: str, key_heading: str, report: Report, link: LinkTo) -> str:
    day_keys = report.by == "day"
    out = [
        f'<h3 id="satisfaction-{report.by}">{escape(heading)}</h3>',
        links(link, "satisfaction", {"by": report.by}),
    ]
    if not report.rows:
        out.append("<p>Không có dữ liệu trong kỳ.</p>")
        return "\n".join(out)
    labels = [level.label for level in report.total.levels]
    head = "".join(
        f"<th>{escape(text)}</th>"
        for text in [key_heading, "Số phiếu", *labels, "Chưa đánh giá", "Tỷ lệ hài lòng"]
    )
    keyed = [
        (vn_format.day(date.fromisoformat(row.key)) if day_keys else row.key, row)
        for row in report.rows
    ]
    out += [
        f'<div class="table-box"><table id="satisfaction-table-{report.by}">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *(f"<tr>{_cells(key, row)}</tr>" for key, row in keyed),
        "</tbody>",
        f"<tfoot><tr>{_cells('Tổng cộng', report.total)}</tr></tfoot>",
        "</table></div>",
        _chart(heading, keyed, labels),
    ]
    return "\n".join(out)


def _cells(key: str, tally: Tally) -> str:
    cells = [f"<td>{escape(key)}</td>", f"<td>{vn_format.number(tally.ballots)}</td>"]
    cells += [
        f"<td>{vn_format.number(level.count)} ({vn_format.percent(level.percent)})</td>"
        for level in tally.levels
    ]
    cells += [f"<td>{vn_format.number(tally.not_rated)}</td>", f"<td>{_rate(tally)}</td>"]
    return "".join(cells)


def _chart(heading: str, rows: list[tuple[str, Tally]], labels: list[str]) -> str:
    """A horizontal 100 % stacked bar per row, a legend of the scale's level names on top."""
    colours = COLOURS[len(labels)]
    stacked = [
        StackedRow(
            key,
            [
                Segment(
                    level.count,
                    colour,
                    vn_format.percent(level.percent),
                    f"{key} – {level.label}: {vn_format.number(level.count)} phiếu"
                    f" ({vn_format.percent(level.percent)})",
                    level.percent >= MIN_PERCENT_SHOWN,
                )
                for level, colour in zip(tally.levels, colours, strict=True)
            ],
            "chưa có phiếu",
        )
        for key, tally in rows
    ]
    return stacked_bar_chart(
        f"Biểu đồ mức độ hài lòng {heading.lower()}",
        list(zip(labels, colours, strict=True)),
        stacked,
    )


def _rate(tally: Tally) -> str:
    return vn_format.percent(tally.satisfaction_rate)
