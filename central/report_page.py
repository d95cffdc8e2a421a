"""The satisfaction report as a page a ward leader reads: one self-contained HTML page (no
external CSS, scripts or fonts), Vietnamese, with a table and an inline SVG stacked bar chart by
day and by officer. The numbers are the JSON report's (central.reports); this module only lays
them out. Every text that reaches the page is escaped.

The page may be opened with `?token=...` (a browser cannot easily send a bearer header), so the
uvicorn access log gets a filter that blanks the token out of the request line it writes.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from datetime import date
from html import escape

from central import vn_format
from central.consent_page import consent_section
from central.consents import ConsentFigures
from central.html_page import page_start
from central.reports import Report, Tally

TITLE = "Báo cáo mức độ hài lòng"
# Green → red, level 1 (best) first; scale 3's last level "Không hài lòng" is red too.
COLOURS = {
    3: ("#1a9850", "#a6d96a", "#d73027"),
    5: ("#1a9850", "#a6d96a", "#fee08b", "#fdae61", "#d73027"),
}
NO_BALLOT_COLOUR = "#d9d9d9"
CHART_LABEL_WIDTH = 150
CHART_BAR_WIDTH = 500
CHART_ROW_HEIGHT = 26
CHART_LEGEND_HEIGHT = 28
MAX_CHART_KEY = 20
MIN_PERCENT_SHOWN = 8.0

STYLE = """
body { font-family: system-ui, "Segoe UI", Roboto, Arial, sans-serif; margin: 1.5rem;
       color: #222; max-width: 1100px; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
.period { color: #555; margin-top: 0; }
.summary { display: flex; gap: 1rem; flex-wrap: wrap; }
.summary div { border: 1px solid #ccc; border-radius: 6px; padding: .5rem 1rem; }
.summary b { display: block; font-size: 1.4rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #ccc; padding: .3rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f2f2f2; }
tfoot td { font-weight: bold; background: #fafafa; }
svg { max-width: 100%; height: auto; }
@media print { body { margin: 0; } }
"""

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


def report_page(
    by_day: Report, by_officer: Report, consent_by_day: ConsentFigures, *, sessions_csv_link: str
) -> str:
    """The page of two reports of the same office and period, one by day, one by officer, the
    consent figures of that period by day, and a link to the per-session export (with the
    dossier codes) of the period."""
    office, first, last = by_day.office, by_day.first, by_day.last
    period = vn_format.period(first, last)
    total = by_day.total
    consent_rate = vn_format.percent(consent_by_day.total.consent_rate)
    parts = [
        *page_start(f"{TITLE} – đơn vị {office} – {period}", STYLE),
        f"<h1>{escape(TITLE)}</h1>",
        f'<p class="period">Đơn vị: <b>{escape(office)}</b> · Kỳ báo cáo: '
        f"<b>{escape(period)}</b></p>",
        '<div class="summary">',
        f"<div>Số phiếu<b>{total.ballots}</b></div>",
        f"<div>Tỷ lệ hài lòng<b>{_rate(total)}</b></div>",
        f"<div>Chưa đánh giá<b>{total.not_rated}</b></div>",
        f"<div>Tỷ lệ đồng ý dùng thẻ<b>{consent_rate}</b></div>",
        "</div>",
        _section("Theo ngày", "Ngày", by_day, day_keys=True),
        _section("Theo cán bộ", "Cán bộ", by_officer, day_keys=False),
        '<p class="period">Số phiếu: lượt đánh giá đã chọn mức; tỷ lệ hài lòng: (Rất hài lòng'
        " + Hài lòng) / số phiếu; chưa đánh giá: lượt công dân không chọn mức.</p>",
        f'<p><a href="{escape(sessions_csv_link)}">Tải danh sách phiên (CSV, kèm mã hồ sơ)</a></p>',
        consent_section(consent_by_day),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _section(heading: str, key_heading: str, report: Report, *, day_keys: bool) -> str:
    out = [f"<h2>{escape(heading)}</h2>"]
    if not report.rows:
        out.append("<p>Không có dữ liệu trong kỳ.</p>")
        return "\n".join(out)
    labels = [level.label for level in report.total.levels]
    head = "".join(
        f"<th>{escape(text)}</th>"
        for text in [key_heading, "Số phiếu", *labels, "Chưa đánh giá", "Tỷ lệ hài lòng"]
    )
    out += ["<table>", f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in report.rows:
        key = vn_format.day(date.fromisoformat(row.key)) if day_keys else row.key
        out.append(f"<tr>{_cells(key, row)}</tr>")
    out += ["</tbody>", f"<tfoot><tr>{_cells('Tổng cộng', report.total)}</tr></tfoot>"]
    out.append("</table>")
    keyed = [
        (vn_format.day(date.fromisoformat(row.key)) if day_keys else row.key, row)
        for row in report.rows
    ]
    out.append(_chart(heading, keyed, labels))
    return "\n".join(out)


def _cells(key: str, tally: Tally) -> str:
    cells = [f"<td>{escape(key)}</td>", f"<td>{tally.ballots}</td>"]
    cells += [
        f"<td>{level.count} ({vn_format.percent(level.percent)})</td>" for level in tally.levels
    ]
    cells += [f"<td>{tally.not_rated}</td>", f"<td>{_rate(tally)}</td>"]
    return "".join(cells)


def _chart(heading: str, rows: list[tuple[str, Tally]], labels: list[str]) -> str:
    """A horizontal 100 % stacked bar per row, a legend of the scale's level names on top."""
    colours = COLOURS[len(labels)]
    width = CHART_LABEL_WIDTH + CHART_BAR_WIDTH + 10
    height = CHART_LEGEND_HEIGHT + CHART_ROW_HEIGHT * len(rows) + 6
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-size="12" '
        f'aria-label="{escape(f"Biểu đồ mức độ hài lòng {heading.lower()}")}">'
    ]
    x = 0
    for label, colour in zip(labels, colours, strict=True):
        out.append(f'<rect x="{x}" y="4" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="14">{escape(label)}</text>')
        x += 22 + 7 * len(label)
    for index, (key, tally) in enumerate(rows):
        y = CHART_LEGEND_HEIGHT + index * CHART_ROW_HEIGHT
        shown = key if len(key) <= MAX_CHART_KEY else key[: MAX_CHART_KEY - 1] + "…"
        out.append(
            f'<text x="{CHART_LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(key)}</title>{escape(shown)}</text>"
        )
        if tally.ballots == 0:
            out.append(
                f'<rect x="{CHART_LABEL_WIDTH}" y="{y}" width="{CHART_BAR_WIDTH}" height="20" '
                f'fill="{NO_BALLOT_COLOUR}"/>'
            )
            out.append(f'<text x="{CHART_LABEL_WIDTH + 6}" y="{y + 14}">chưa có phiếu</text>')
            continue
        start = 0
        for level, colour in zip(tally.levels, colours, strict=True):
            if level.count == 0:
                continue
            # Cumulative counts, so the segments always end exactly at the bar's end.
            left = CHART_LABEL_WIDTH + CHART_BAR_WIDTH * start / tally.ballots
            start += level.count
            right = CHART_LABEL_WIDTH + CHART_BAR_WIDTH * start / tally.ballots
            tip = f"{key} – {level.label}: {level.count} phiếu ({vn_format.percent(level.percent)})"
            out.append(
                f'<rect x="{left:.1f}" y="{y}" width="{right - left:.1f}" height="20" '
                f'fill="{colour}"><title>{escape(tip)}</title></rect>'
            )
            if level.percent >= MIN_PERCENT_SHOWN:
                out.append(
                    f'<text x="{(left + right) / 2:.1f}" y="{y + 14}" text-anchor="middle">'
                    f"{vn_format.percent(level.percent)}</text>"
                )
    out.append("</svg>")
    return "\n".join(out)


def _rate(tally: Tally) -> str:
    return vn_format.percent(tally.satisfaction_rate)
