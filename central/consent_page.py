"""The consent figures on the satisfaction report's page (central.report_page): a table by day
of the visits asked for the ID card and their answers, in Vietnamese, with a decimal comma."""

from __future__ import annotations

from datetime import date
from html import escape

from central import vn_format
from central.consents import ConsentFigures, ConsentTally

HEADING = "Đồng ý dùng thẻ căn cước"
COLUMNS = (
    "Ngày",
    "Lượt được hỏi",
    "Đồng ý",
    "Không đồng ý",
    "Rút lại đồng ý",
    "Đã đồng ý",
    "Tỷ lệ đồng ý",
    "Trả lời, không lấy số",
)
NOTE = (
    "Lượt được hỏi: số phiếu đã cấp sau khi công dân trả lời câu hỏi dùng thẻ căn cước; đã đồng"
    " ý: chọn “Đồng ý, quét thẻ” và không rút lại (rút lại: sau đó chọn tự khai); tỷ lệ đồng ý:"
    " đã đồng ý / lượt được hỏi. Trả lời, không lấy số: công dân đã trả lời nhưng rời đi trước"
    " khi lấy số (không tính là lượt được hỏi)."
)


def consent_section(by_day: ConsentFigures) -> str:
    out = [f"<h2>{escape(HEADING)}</h2>"]
    if not by_day.rows:
        out.append("<p>Không có dữ liệu trong kỳ.</p>")
        return "\n".join(out)
    head = "".join(f"<th>{escape(text)}</th>" for text in COLUMNS)
    out += ['<div class="table-box"><table>', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for row in by_day.rows:
        out.append(f"<tr>{_cells(vn_format.day(date.fromisoformat(row.key)), row)}</tr>")
    out += ["</tbody>", f"<tfoot><tr>{_cells('Tổng cộng', by_day.total)}</tr></tfoot>"]
    out += ["</table></div>", f'<p class="period">{escape(NOTE)}</p>']
    return "\n".join(out)


def _cells(key: str, tally: ConsentTally) -> str:
    values = [tally.visits, tally.yes, tally.no, tally.withdrawn, tally.consented]
    cells = [f"<td>{escape(key)}</td>", *(f"<td>{value}</td>" for value in values)]
    cells += [
        f"<td>{vn_format.percent(tally.consent_rate)}</td>",
        f"<td>{tally.without_ticket}</td>",
    ]
    return "".join(cells)
