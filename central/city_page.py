"""The city view as a page a city's department reads: every office of the city side by side for
a period, ranked by tỷ lệ hài lòng and by median wait (two tables, each with its bar chart), the
city's total on top. The figures are central.city_report's; this module only lays them out
(central.vn_format), every text escaped.

A small sample must look small: beside each rate stands the number it is computed from (the
ballots, the called tickets), and a figure from fewer than SMALL_SAMPLE of them is marked "*",
written in a muted colour and drawn as a pale bar, with a note saying why (docs/central-api.md,
"City view")."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from central import vn_format
from central.city_report import CityReport, OfficeLine
from central.html_page import page_start
from central.report_page import office_label
from central.report_style import STYLE
from central.service_page import LinkTo, links
from central.svg_charts import Bar, bar_chart

TITLE = "Báo cáo so sánh các đơn vị"
SMALL_SAMPLE = 30
SMALL_MARK = "*"
SMALL_NOTE = (
    f"{SMALL_MARK} Mẫu nhỏ: tỷ lệ hài lòng tính trên dưới {SMALL_SAMPLE} phiếu đánh giá, thời"
    f" gian chờ trên dưới {SMALL_SAMPLE} lượt được gọi; nên đọc thận trọng khi so sánh."
)
RANK_NOTE = (
    "Hạng: 1 là tỷ lệ hài lòng cao nhất, hoặc thời gian chờ trung vị ngắn nhất; các đơn vị bằng"
    " nhau cùng hạng (1, 1, 3); đơn vị chưa có phiếu đánh giá, hoặc chưa gọi số nào, không xếp"
    " hạng và đứng cuối bảng."
)
NO_OFFICE = (
    "Chưa có đơn vị nào thuộc thành phố này trên máy chủ: kỹ thuật viên khai báo bằng lệnh"
    " kiosk-central office --office MÃ --city TÊN."
)
COLUMNS = (
    "Hạng",
    "Đơn vị",
    "Lượt lấy số",
    "Số phiếu đánh giá",
    "Tỷ lệ hài lòng",
    "Lượt được gọi",
    "Thời gian chờ trung vị",
    "Trả kết quả trong ngày",
    "Tỷ lệ đồng ý dùng thẻ",
    "Hạng theo {other}",
)

OfficeLink = Callable[[str], str]
"""An office code → the href of its own report page for the same period."""


def city_page(report: CityReport, link: LinkTo, office_link: OfficeLink) -> str:
    period = vn_format.period(report.first, report.last)
    total = report.total
    parts = [
        *page_start(f"{TITLE} – {report.city} – {period}", STYLE),
        f"<h1>{escape(TITLE)}</h1>",
        f'<p class="period">Thành phố: <b>{escape(report.city)}</b> · Kỳ báo cáo: '
        f"<b>{escape(period)}</b> · {vn_format.number(len(report.offices))} đơn vị</p>",
        '<div class="summary">',
        *_box("Lượt lấy số", vn_format.number(total.service.issued)),
        *_box("Đã phục vụ", vn_format.number(total.service.served)),
        *_box("Thời gian chờ trung vị", vn_format.duration(total.service.wait.median)),
        *_box("Trả kết quả trong ngày", vn_format.percent(total.service.same_day_rate)),
        *_box("Tỷ lệ đồng ý dùng thẻ", vn_format.percent(total.consent.consent_rate)),
        *_box("Tỷ lệ hài lòng", vn_format.percent(total.satisfaction.satisfaction_rate)),
        *_box("Số phiếu đánh giá", vn_format.number(total.satisfaction.ballots)),
        "</div>",
        links(link, "overview", {}),
        '<nav class="links">Xếp hạng: <a href="#by-satisfaction">theo tỷ lệ hài lòng</a>'
        '<a href="#by-wait">theo thời gian chờ</a></nav>',
        *(_rankings(report, office_link) if report.offices else [f"<p>{escape(NO_OFFICE)}</p>"]),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _rankings(report: CityReport, office_link: OfficeLink) -> list[str]:
    return [
        f'<p class="note">{escape(RANK_NOTE)}</p>',
        f'<p class="note small">{escape(SMALL_NOTE)}</p>',
        _ranking(report, "satisfaction", office_link),
        _ranking(report, "wait", office_link),
    ]


def _box(label: str, value: str) -> list[str]:
    return [f"<div>{escape(label)}<b>{escape(value)}</b></div>"]


def _rank(line: OfficeLine, by: str) -> int | None:
    return line.satisfaction_rank if by == "satisfaction" else line.wait_rank


def ranked(lines: list[OfficeLine], by: str) -> list[OfficeLine]:
    """Best rank first, offices without a rank last; equal ranks by office code."""
    return sorted(
        lines, key=lambda line: (_rank(line, by) is None, _rank(line, by) or 0, line.office)
    )


def small_ballots(line: OfficeLine) -> bool:
    return line.satisfaction.ballots < SMALL_SAMPLE


def small_waits(line: OfficeLine) -> bool:
    return line.service.wait.count < SMALL_SAMPLE


def _ranking(report: CityReport, by: str, office_link: OfficeLink) -> str:
    heading, other = (
        ("Xếp hạng theo tỷ lệ hài lòng", "thời gian chờ")
        if by == "satisfaction"
        else ("Xếp hạng theo thời gian chờ trung vị", "tỷ lệ hài lòng")
    )
    lines = ranked(report.offices, by)
    head = "".join(
        f'<th class="name">{escape(text)}</th>' if text == "Đơn vị" else f"<th>{escape(text)}</th>"
        for text in (column.format(other=other) for column in COLUMNS)
    )
    out = [
        f'<h2 id="by-{by}">{escape(heading)}</h2>',
        f'<div class="table-box"><table id="ranking-{by}">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
        *(f"<tr>{_cells(line, by, office_link)}</tr>" for line in lines),
        "</tbody>",
        "</table></div>",
    ]
    out.append(_chart(lines, by, heading))
    return "\n".join(out)


def _cells(line: OfficeLine, by: str, office_link: OfficeLink) -> str:
    other_rank = line.wait_rank if by == "satisfaction" else line.satisfaction_rank
    name = escape(office_label(line.office, line.name))
    cells = [
        f"<td>{_rank_text(_rank(line, by))}</td>",
        f'<td class="name"><a href="{escape(office_link(line.office))}">{name}</a></td>',
        f"<td>{vn_format.number(line.service.issued)}</td>",
        f"<td>{vn_format.number(line.satisfaction.ballots)}</td>",
        _marked(vn_format.percent(line.satisfaction.satisfaction_rate), small_ballots(line)),
        f"<td>{vn_format.number(line.service.wait.count)}</td>",
        _marked(vn_format.duration(line.service.wait.median), small_waits(line)),
        f"<td>{escape(vn_format.percent(line.service.same_day_rate))}</td>",
        f"<td>{escape(vn_format.percent(line.consent.consent_rate))}</td>",
        f"<td>{_rank_text(other_rank)}</td>",
    ]
    return "".join(cells)


def _rank_text(rank: int | None) -> str:
    return vn_format.MISSING if rank is None else str(rank)


def _marked(text: str, small: bool) -> str:
    """A rate's cell; from a small sample (and a figure there is) marked and muted."""
    if not small or text == vn_format.MISSING:
        return f"<td>{escape(text)}</td>"
    return f'<td class="small">{escape(text)} {SMALL_MARK}</td>'


def _chart(lines: list[OfficeLine], by: str, heading: str) -> str:
    bars = []
    for line in lines:
        key = office_label(line.office, line.name)
        if by == "satisfaction":
            rate = line.satisfaction.satisfaction_rate
            ballots = vn_format.number(line.satisfaction.ballots)
            mark = f" {SMALL_MARK}" if small_ballots(line) and rate is not None else ""
            label = "chưa có phiếu" if rate is None else f"{vn_format.percent(rate)}{mark}"
            tip = f"{key}: tỷ lệ hài lòng {vn_format.percent(rate)} ({ballots} phiếu)"
            bars.append(Bar(key, rate, f"{label} ({ballots} phiếu)", tip, small_ballots(line)))
        else:
            median = line.service.wait.median
            called = vn_format.number(line.service.wait.count)
            mark = f" {SMALL_MARK}" if small_waits(line) and median is not None else ""
            label = "chưa gọi số nào" if median is None else vn_format.duration(median) + mark
            tip = f"{key}: chờ trung vị {vn_format.duration(median)} ({called} lượt được gọi)"
            bars.append(Bar(key, median, f"{label} ({called} lượt)", tip, small_waits(line)))
    chart = bar_chart(heading, bars, scale_max=100.0 if by == "satisfaction" else None)
    return f"<figure><figcaption>{escape(heading)}</figcaption>\n{chart}\n</figure>"
