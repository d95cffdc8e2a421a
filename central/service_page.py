"""The service figures on the office's report page (central.report_page): the summary, a table
per grouping (day, field, counter, officer, hour) with its charts and the links to its JSON and
CSV, and the arrivals per hour and field. The figures are central.service_report's; this module
only writes them as officials read them (central.vn_format), every text escaped."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from html import escape

from central import vn_format
from central.service_report import Arrival, ServiceGrouping, ServiceReport, ServiceTally
from central.service_shares import ServiceShares, Shares
from central.svg_charts import Bar, Series, bar_chart, column_chart

LinkTo = Callable[[str, Mapping[str, str]], str]
"""(endpoint, its parameters) → the href of that report of the page's office and period."""

GROUPINGS: tuple[tuple[ServiceGrouping, str, str], ...] = (
    ("day", "Theo ngày", "Ngày"),
    ("field", "Theo lĩnh vực", "Lĩnh vực"),
    ("counter", "Theo quầy", "Quầy"),
    ("officer", "Theo cán bộ", "Cán bộ"),
    ("hour", "Theo giờ trong ngày", "Giờ"),
)
HEAD_TOP = (
    '<tr><th rowspan="2">{key}</th><th rowspan="2">Lượt lấy số</th><th rowspan="2">Đã gọi</th>'
    '<th rowspan="2">Đã phục vụ</th><th rowspan="2">Vắng mặt</th>'
    '<th rowspan="2">Còn chờ khi hết ngày</th><th colspan="3">Thời gian chờ</th>'
    '<th colspan="2">Thời gian phục vụ</th><th rowspan="2">Trả kết quả trong ngày</th>'
    '<th rowspan="2">Tỷ lệ hài lòng (số phiếu)</th><th rowspan="2">Tỷ lệ đồng ý dùng thẻ</th>'
    "</tr>"
)
HEAD_BOTTOM = (
    "<tr><th>Trung vị</th><th>90% không quá</th><th>Lâu nhất</th>"
    "<th>Trung vị</th><th>90% không quá</th></tr>"
)
NOTE = (
    "Lượt lấy số: số thứ tự đã cấp; đã gọi: số được gọi ít nhất một lần; vắng mặt: bị bỏ qua và"
    " không được phục vụ; còn chờ khi hết ngày: chưa được gọi. Thời gian chờ: từ lúc lấy số đến"
    " lần gọi đầu tiên (gọi lại không tính thêm); thời gian phục vụ: từ lúc gọi đến lúc kết thúc"
    " phiên. Trung vị: một nửa số lượt không quá; 90% không quá: chín phần mười số lượt không"
    " quá. Trả kết quả trong ngày: số phiên và tỷ lệ trên số phiên đã phục vụ. Tỷ lệ hài lòng:"
    " các phiếu đánh giá của các phiên trong dòng; tỷ lệ đồng ý dùng thẻ: theo ngày, lĩnh vực"
    " và giờ lấy số (theo quầy, cán bộ chỉ có trong dòng Tổng cộng)."
)
NOTE_BY_CALL = (
    "Theo quầy và theo cán bộ, số thứ tự tính ở quầy, cán bộ gọi lần đầu, phiên tính ở quầy, cán"
    " bộ phục vụ: số chưa được gọi chỉ có trong dòng Tổng cộng."
)
NO_DATA = "<p>Không có dữ liệu trong kỳ.</p>"


def service_summary(total: ServiceTally) -> list[str]:
    """The summary boxes of the period's service figures."""
    wait, service = total.wait, total.service
    same_day = vn_format.percent(total.same_day_rate)
    boxes = [
        ("Lượt lấy số", vn_format.number(total.issued)),
        ("Đã phục vụ", vn_format.number(total.served)),
        ("Vắng mặt", vn_format.number(total.no_shows)),
        ("Còn chờ khi hết ngày", vn_format.number(total.waiting_at_close)),
        ("Thời gian chờ trung vị", vn_format.duration(wait.median)),
        ("Thời gian chờ: 90% không quá", vn_format.duration(wait.p90)),
        ("Thời gian chờ lâu nhất", vn_format.duration(wait.max)),
        ("Thời gian phục vụ trung vị", vn_format.duration(service.median)),
        ("Trả kết quả trong ngày", same_day),
    ]
    return [f"<div>{escape(label)}<b>{escape(value)}</b></div>" for label, value in boxes]


def service_sections(
    reports: Mapping[ServiceGrouping, tuple[ServiceReport, ServiceShares]], link: LinkTo
) -> str:
    """A section per grouping of its (report, shares)."""
    out = [f'<p class="note">{escape(NOTE)}</p>']
    for by, heading, key_heading in GROUPINGS:
        report, shares = reports[by]
        out.append(_grouping(report, shares, heading, key_heading, link))
    return "\n".join(out)


def key_text(by: ServiceGrouping, key: str) -> str:
    """A row's key as the page writes it: a date, "Quầy 2", "08:00–09:00"."""
    if by == "day":
        return vn_format.day(date.fromisoformat(key))
    if by == "counter":
        return f"Quầy {key}"
    if by == "hour":
        return f"{key}:00–{int(key) + 1:02d}:00"
    return key


def _grouping(
    report: ServiceReport, shares: ServiceShares, heading: str, key_heading: str, link: LinkTo
) -> str:
    by = report.by
    out = [
        f'<h3 id="service-{by}">{escape(heading)}</h3>',
        links(link, "service", {"by": by}),
    ]
    if not report.rows:
        out.append(NO_DATA)
        return "\n".join(out)
    out += [
        f'<div class="table-box"><table id="service-table-{by}">',
        "<thead>",
        HEAD_TOP.format(key=escape(key_heading)),
        HEAD_BOTTOM,
        "</thead>",
        "<tbody>",
    ]
    keyed = [(key_text(by, row.key), row) for row in report.rows]
    out += [f"<tr>{_cells(key, row, shares.of(row.key))}</tr>" for key, row in keyed]
    total = _cells("Tổng cộng", report.total, shares.total)
    out += ["</tbody>", f"<tfoot><tr>{total}</tr></tfoot>", "</table></div>"]
    if by in ("counter", "officer"):
        out.append(f'<p class="note">{escape(NOTE_BY_CALL)}</p>')
    waits = [
        Bar(
            key,
            row.wait.median,
            vn_format.duration(row.wait.median) if row.wait.count else "chưa gọi số nào",
            f"{key}: chờ trung vị {vn_format.duration(row.wait.median)}"
            f" ({vn_format.number(row.wait.count)} lượt được gọi)",
        )
        for key, row in keyed
    ]
    shares = [
        Bar(
            key,
            row.same_day_rate,
            vn_format.percent(row.same_day_rate) if row.served else "chưa phục vụ",
            f"{key}: trả kết quả trong ngày {vn_format.number(row.same_day_results)}"
            f"/{vn_format.number(row.served)} phiên ({vn_format.percent(row.same_day_rate)})",
        )
        for key, row in keyed
    ]
    lowered = heading[0].lower() + heading[1:]
    out += [
        '<div class="charts">',
        _figure("Thời gian chờ trung vị", bar_chart(f"Thời gian chờ trung vị {lowered}", waits)),
        _figure(
            "Tỷ lệ trả kết quả trong ngày",
            bar_chart(f"Tỷ lệ trả kết quả trong ngày {lowered}", shares, scale_max=100.0),
        ),
        "</div>",
    ]
    return "\n".join(out)


def _cells(key: str, tally: ServiceTally, shares: Shares) -> str:
    counts = [tally.issued, tally.called, tally.served, tally.no_shows, tally.waiting_at_close]
    times = [
        tally.wait.median,
        tally.wait.p90,
        tally.wait.max,
        tally.service.median,
        tally.service.p90,
    ]
    same_day = (
        vn_format.MISSING
        if tally.same_day_rate is None
        else f"{vn_format.number(tally.same_day_results)} "
        f"({vn_format.percent(tally.same_day_rate)})"
    )
    satisfaction = shares.satisfaction
    rate = (
        vn_format.MISSING
        if satisfaction.satisfaction_rate is None
        else f"{vn_format.percent(satisfaction.satisfaction_rate)}"
        f" ({vn_format.number(satisfaction.ballots)})"
    )
    consent = vn_format.percent(None if shares.consent is None else shares.consent.consent_rate)
    cells = [key, *(vn_format.number(n) for n in counts), *map(vn_format.duration, times)]
    return "".join(f"<td>{escape(text)}</td>" for text in [*cells, same_day, rate, consent])


def arrivals_section(arrivals: Sequence[Arrival], link: LinkTo) -> str:
    """Tickets per hour of the day and field: a table (every hour from the first to the last
    with a ticket) and its stacked column chart."""
    out = [
        '<h3 id="arrivals">Lượt lấy số theo giờ và lĩnh vực</h3>',
        links(link, "arrivals", {}),
    ]
    if not arrivals:
        out.append(NO_DATA)
        return "\n".join(out)
    fields = sorted({a.field_id for a in arrivals})
    counts = {(a.hour, a.field_id): a.tickets for a in arrivals}
    hours = list(range(min(a.hour for a in arrivals), max(a.hour for a in arrivals) + 1))
    head = "".join(f"<th>{escape(text)}</th>" for text in ["Giờ", *fields, "Tổng cộng"])
    out += [
        '<div class="table-box"><table id="arrivals-table">',
        f"<thead><tr>{head}</tr></thead>",
        "<tbody>",
    ]
    for hour in hours:
        row = [counts.get((hour, f), 0) for f in fields]
        out.append(_arrival_row(key_text("hour", f"{hour:02d}"), [*row, sum(row)]))
    column_totals = [sum(counts.get((h, f), 0) for h in hours) for f in fields]
    out += [
        "</tbody>",
        f"<tfoot>{_arrival_row('Tổng cộng', [*column_totals, sum(column_totals)])}</tfoot>",
        "</table></div>",
    ]
    series = [Series(f, {h: counts.get((h, f), 0) for h in hours}) for f in fields]
    chart = column_chart("Lượt lấy số theo giờ trong ngày và lĩnh vực", hours, series)
    out.append(_figure("Lượt lấy số theo giờ (giờ bắt đầu) và lĩnh vực", chart))
    return "\n".join(out)


def _arrival_row(key: str, numbers: list[int]) -> str:
    cells = [key, *(vn_format.number(n) for n in numbers)]
    return "<tr>" + "".join(f"<td>{escape(text)}</td>" for text in cells) + "</tr>"


def links(link: LinkTo, endpoint: str, params: Mapping[str, str]) -> str:
    json_href = escape(link(endpoint, params))
    csv_href = escape(link(endpoint, {**params, "format": "csv"}))
    return (
        f'<p class="links"><a href="{json_href}">Dữ liệu JSON</a>'
        f'<a href="{csv_href}">Tải bảng (CSV)</a></p>'
    )


def _figure(caption: str, chart: str) -> str:
    return f"<figure><figcaption>{escape(caption)}</figcaption>\n{chart}\n</figure>"
