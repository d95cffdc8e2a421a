"""GET …/reports/monthly.pdf and `kiosk-central monthly-report`: the known visits of the service
report (tests/support/service_visits.py: recalls, skips, typed offline tickets, ratings before
and after their session, one not rated, consent answered, refused and withdrawn, two days and a
day of the month before) played through the API; the PDF's text read back (pypdfium2) and every
figure in it compared with a computation and formatting written here; A4, the bundled fonts
embedded, the pages numbered, every page rendered to PNG; the token rule."""

from __future__ import annotations

import configparser
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

import central
from central.cli import main
from central.consents import ConsentFigures, ConsentTally
from central.db import Database
from central.monthly_pdf import monthly_pdf
from central.monthly_report import MonthlyFigures
from central.offices import set_office_labels
from central.reports import LevelCount, Report, Tally
from central.service_report import Arrival, Durations, ServiceReport, ServiceRow, ServiceTally
from central.service_shares import ConsentShare, SatisfactionShare, ServiceShares, Shares
from tests.support.api import OTHER_OFFICE, Api
from tests.support.central import city_token, viewer_token
from tests.support.service_visits import (
    NOT_RATED,
    ZONE,
    expected,
    play,
    visits,
)

OFFICE = "09998"  # below the conftest's office numbers, beside the service test's 09999
NAME = "Phường Đại Mỗ"
CITY = "Hà Nội"
MONTH = "2025-06"
A4_POINTS = (595.28, 841.89)
LEVELS = ("Rất hài lòng", "Hài lòng", "Không hài lòng")
ROW_KEYS = ("day", "field", "counter", "officer")


@pytest.fixture(scope="module")
def reader(base_url: str, database_url: str) -> Iterator[Api]:
    """The office's visits played once per database, its name set; a viewer of it."""
    play(base_url, database_url, OFFICE, lobby_first=False)
    db = Database(database_url)
    try:
        set_office_labels(db, OFFICE, name=NAME, city=CITY)
    finally:
        db.dispose()
    with Api(base_url, viewer_token(database_url, OFFICE), office=OFFICE) as api:
        yield api


def get_pdf(api: Api, **params: str) -> Any:
    return api.http.get(f"/api/v1/offices/{api.office}/reports/monthly.pdf", params=params)


@dataclass(frozen=True)
class Read:
    pages: list[str]
    sizes: list[tuple[float, float]]

    @property
    def lines(self) -> list[str]:
        return [line.strip() for page in self.pages for line in page.splitlines()]


def read_pdf(content: bytes, png_dir: Path | None = None) -> Read:
    """The text of each page, each page's size; every page rendered to PNG in `png_dir`."""
    document = pypdfium2.PdfDocument(content)
    try:
        pages, sizes = [], []
        for number in range(len(document)):
            page = document[number]
            text_page = page.get_textpage()
            pages.append(text_page.get_text_range().replace("\r\n", "\n"))
            sizes.append(page.get_size())
            if png_dir is not None:
                bitmap = page.render(scale=150 / 72)
                bitmap.to_pil().save(png_dir / f"page-{number + 1}.png")
                bitmap.close()
            text_page.close()
            page.close()
        return Read(pages, sizes)
    finally:
        document.close()


# ----------------------------------------------------------------- the figures, written here


def half_up(value: Decimal, places: str = "0.1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def count(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def share(part: int, whole: int) -> str:
    if whole == 0:
        return "–"
    return str(half_up(Decimal(100 * part) / whole)).replace(".", ",") + "%"


def minutes(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return str(half_up(Decimal(repr(seconds)) / 60)).replace(".", ",")


def words(seconds: float | None) -> str:
    """12 phút 5 giây, 1 giờ 3 phút, 45 giây."""
    if seconds is None:
        return "–"
    whole = int(half_up(Decimal(repr(seconds)), "1"))
    if whole >= 3600:
        hours, mins = divmod(int(half_up(Decimal(whole) / 60, "1")), 60)
        return f"{hours} giờ" + (f" {mins} phút" if mins else "")
    mins, secs = divmod(whole, 60)
    parts = ([f"{mins} phút"] if mins else []) + ([f"{secs} giây"] if secs or not mins else [])
    return " ".join(parts)


def june(items: list[Any]) -> list[Any]:
    return [item for item in items if item.day.month == 6]


def levels_of_june() -> tuple[int, Counter[int]]:
    """Not rated, and the count of each level of the sessions of June."""
    rated = [v.rating for v in june(visits()) if v.close is not None and v.rating is not None]
    return rated.count(NOT_RATED), Counter(level for level in rated if level != NOT_RATED)


def key_text(by: str, key: str) -> str:
    if by == "day":
        return date.fromisoformat(key).strftime("%d/%m/%Y")
    return f"Quầy {key}" if by == "counter" else key


def row_line(key: str, tally: dict[str, Any]) -> str:
    """A table row as read from the PDF: the key, the service figures, the ballots and the
    satisfaction rate, the consent rate (– where a row has none: by counter or officer)."""
    cells = [
        count(tally[name])
        for name in ("issued", "called", "served", "no_shows", "waiting_at_close")
    ]
    cells += [minutes(tally["wait"][name]) for name in ("median", "p90", "max")]
    cells += [minutes(tally["service"][name]) for name in ("median", "p90")]
    cells += [count(tally["same_day_results"]), share(tally["same_day_results"], tally["served"])]
    rating, consent = tally["satisfaction"], tally["consent"]
    cells += [count(rating["ballots"]), share(rating["satisfied"], rating["ballots"])]
    cells.append("–" if consent is None else share(consent["consented"], consent["visits"]))
    return " ".join([key, *cells])


def expected_rows(by: str) -> list[str]:
    rows, total = expected(by)
    lines = [row_line(key_text(by, key), tally) for key, tally in rows.items()]
    return [*lines, row_line("Tổng cộng", total)]


def expected_summary() -> list[str]:
    _, total = expected("day")
    not_rated, levels = levels_of_june()
    ballots = sum(levels.values())
    consent = total["consent"]
    consented, asked = consent["consented"], consent["visits"]
    wait, serve = total["wait"], total["service"]
    lines = [
        f"Lượt lấy số {count(total['issued'])}",
        f"Đã gọi {count(total['called'])}",
        f"Đã phục vụ (phiên đã kết thúc) {count(total['served'])}",
        f"Vắng mặt khi được gọi {count(total['no_shows'])}",
        f"Còn chờ khi hết ngày {count(total['waiting_at_close'])}",
        "Thời gian chờ: trung vị / P90 / tối đa "
        + " / ".join(words(wait[name]) for name in ("median", "p90", "max")),
        "Thời gian phục vụ: trung vị / P90 "
        + " / ".join(words(serve[name]) for name in ("median", "p90")),
        f"Trả kết quả trong ngày {total['same_day_results']} / {total['served']} phiên"
        f" ({share(total['same_day_results'], total['served'])})",
        f"Tỷ lệ đồng ý dùng thẻ căn cước {consented} / {asked} lượt được hỏi"
        f" ({share(consented, asked)})",
        f"Số phiếu đánh giá {ballots}",
        f"Chưa đánh giá {not_rated}",
        f"Tỷ lệ hài lòng {share(levels[1] + levels[2], ballots)}",
    ]
    lines += [
        f"– {label} {levels[n]} ({share(levels[n], ballots)})"
        for n, label in enumerate(LEVELS, start=1)
    ]
    return lines


def expected_arrivals() -> list[str]:
    """The arrivals table as read: a column per hour from the first to the last with tickets,
    a row per field, the totals."""
    per_field: dict[str, Counter[int]] = defaultdict(Counter)
    for visit in june(visits()):
        if visit.issued_at is not None:
            per_field[visit.field_id][visit.issued_at.astimezone(ZONE).hour] += 1
    seen = [hour for counts in per_field.values() for hour in counts]
    hours = range(min(seen), max(seen) + 1)
    lines = [" ".join(["Lĩnh vực", *(f"{hour}h" for hour in hours), "Tổng"])]
    for name in sorted(per_field):
        cells = [str(per_field[name][hour]) for hour in hours]
        lines.append(" ".join([name, *cells, str(sum(per_field[name].values()))]))
    totals = [sum(counts[hour] for counts in per_field.values()) for hour in hours]
    lines.append(" ".join(["Tổng cộng", *map(str, totals), str(sum(totals))]))
    return lines


# ----------------------------------------------------------------- the tests


def test_every_figure_of_the_pdf_matches_the_visits(reader: Api, tmp_path: Path) -> None:
    response = get_pdf(reader, month=MONTH)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="bao-cao-{OFFICE}-{MONTH}.pdf"'
    )
    assert response.headers["cache-control"] == "no-store"
    read = read_pdf(response.content, tmp_path)
    lines = read.lines

    assert lines[:8] == [
        NAME,
        f"Mã đơn vị: {OFFICE}",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        lines[4],
        "BÁO CÁO TÌNH HÌNH TIẾP NHẬN VÀ GIẢI QUYẾT HỒ SƠ",
        "THÁNG 06/2025",
        "Kỳ báo cáo: 01/06/2025 – 30/06/2025",
    ]
    assert re.fullmatch(r"Ngày \d\d tháng \d\d năm \d{4}", lines[4])

    summary = expected_summary()
    start = lines.index(summary[0])
    assert lines[start : start + len(summary)] == summary

    for by in ROW_KEYS:
        rows = expected_rows(by)
        assert all(lines.count(row) >= 1 for row in rows), (by, rows)
        first = lines.index(rows[0])
        assert lines[first : first + len(rows)] == rows, by

    arrivals = expected_arrivals()
    first = lines.index(arrivals[0])
    assert lines[first : first + len(arrivals)] == arrivals

    levels = levels_of_june()[1]
    ballots = sum(levels.values())
    chart = [f"Số phiếu theo mức độ ({ballots} phiếu)"] + [
        f"{label} {levels[n]} ({share(levels[n], ballots)})" for n, label in enumerate(LEVELS, 1)
    ]
    first = lines.index(chart[0])
    assert lines[first : first + len(chart)] == chart

    pages = len(read.pages)
    assert all(size == pytest.approx(A4_POINTS, abs=0.01) for size in read.sizes)
    for number, page in enumerate(read.pages, start=1):
        assert page.rstrip().endswith(f"Trang {number}/{pages}"), page[-80:]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        f"page-{n}.png" for n in range(1, pages + 1)
    ]


def test_the_fonts_are_the_bundled_roboto_embedded(reader: Api) -> None:
    content = get_pdf(reader, month=MONTH).content
    names = re.findall(rb"/BaseFont\s*/([A-Za-z0-9+\-]+)", content)
    # Only subsets of the bundled font ("AAAAAA+Roboto-Bold"), each embedded as a TrueType file:
    # no font the reader's machine would have to supply.
    assert all(re.fullmatch(rb"[A-Z]{6}\+Roboto-(Regular|Bold)", name) for name in names), names
    assert {name.split(b"+")[1] for name in names} == {b"Roboto-Regular", b"Roboto-Bold"}
    assert content.count(b"/FontFile2") == len(names)


def test_tokens_and_month(reader: Api, base_url: str, database_url: str) -> None:
    path = f"/api/v1/offices/{OFFICE}/reports/monthly.pdf"
    with Api(base_url, None, office=OFFICE) as anonymous:
        assert anonymous.http.get(path, params={"month": MONTH}).status_code == 401
        token = viewer_token(database_url, OFFICE)
        by_query = anonymous.http.get(path, params={"month": MONTH, "token": token})
        assert by_query.status_code == 200
        assert by_query.headers["content-type"] == "application/pdf"
    other = reader.http.get(
        f"/api/v1/offices/{OTHER_OFFICE}/reports/monthly.pdf", params={"month": MONTH}
    )
    assert other.status_code == 403
    # A city token reads the reports of its own city's offices, not of another city's.
    with Api(base_url, city_token(database_url, CITY), office=OFFICE) as city:
        assert get_pdf(city, month=MONTH).status_code == 200
    with Api(base_url, city_token(database_url, "Đà Nẵng"), office=OFFICE) as elsewhere:
        assert get_pdf(elsewhere, month=MONTH).status_code == 403
    # A month outside the years every day parameter of the API allows (2000-2100).
    for month in ("2025-13", "2025-6", "2025-06-01", "0000-01", "1999-12", "2101-01", ""):
        assert get_pdf(reader, month=month).status_code == 422, month
    assert reader.http.get(path).status_code == 422


def test_a_month_without_data_says_so(reader: Api, tmp_path: Path) -> None:
    response = get_pdf(reader, month="2025-08")
    assert response.status_code == 200
    read = read_pdf(response.content, tmp_path)
    text = " ".join(read.lines)
    assert len(read.pages) == 1
    assert "Kỳ báo cáo: 01/08/2025 – 31/08/2025" in text
    assert "Trong tháng không có số liệu" in text
    assert text.rstrip().endswith("Trang 1/1")


def test_the_command_writes_the_same_report(reader: Api, database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    assert (
        main(
            [
                "monthly-report",
                "--db",
                database_url,
                "--office",
                OFFICE,
                "--month",
                MONTH,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    by_route = read_pdf(get_pdf(reader, month=MONTH).content)
    by_command = read_pdf(out.read_bytes())
    made = re.compile(r"Ngày \d\d tháng \d\d năm \d{4}")
    assert [made.sub("", page) for page in by_command.pages] == [
        made.sub("", page) for page in by_route.pages
    ]


def long_month() -> MonthlyFigures:
    """Figures of a month with 70 officers: their table runs over a page."""
    first, last = date(2025, 6, 1), date(2025, 6, 30)
    wait = Durations(3, 60.0, 120.0, 180.0)
    tally = ServiceTally(3, 3, 3, 0, 0, wait, wait, 3, 100.0)
    rows = [ServiceRow(key=f"cb-{n:03d}", **vars(tally)) for n in range(1, 71)]
    day = ServiceRow(key="2025-06-02", **vars(tally))
    levels = [LevelCount(n, label, 0, 0.0) for n, label in enumerate(LEVELS, 1)]
    no_ballots = Tally(0, 0, levels, None)
    by = {"day": [day], "field": [], "counter": [], "officer": rows}
    return MonthlyFigures(
        office=OFFICE,
        name=None,
        first=first,
        last=last,
        made_on=date(2025, 7, 1),
        service={
            key: ServiceReport(OFFICE, first, last, key, found, tally, [Arrival(8, "ho-tich", 3)])
            for key, found in by.items()
        },
        shares={
            key: ServiceShares(
                {},
                Shares(SatisfactionShare(0, 0, None), ConsentShare(0, 0, None)),
                consent_per_row=key in ("day", "field"),
            )
            for key in by
        },
        satisfaction=Report(OFFICE, first, last, "day", [], no_ballots),
        consent=ConsentFigures([], ConsentTally(0, 0, 0, 0, 0, None, 0)),
    )


def test_a_long_table_repeats_its_header_and_never_cuts_a_row(tmp_path: Path) -> None:
    read = read_pdf(monthly_pdf(long_month()), tmp_path)
    row = "{} 3 3 3 0 0 1,0 2,0 3,0 1,0 2,0 3 100,0% 0 – –"
    wanted = [row.format(f"cb-{n:03d}") for n in range(1, 71)]
    pages_with_rows = []
    for number, page in enumerate(read.pages, start=1):
        lines = [line.strip() for line in page.splitlines()]
        found = [line for line in lines if line.startswith("cb-")]
        if found:
            pages_with_rows.append(number)
            # The two header rows come first on each page of the table.
            head = page[: page.index(found[0])]
            for text in ("Cán bộ", "Thời gian chờ (phút)", "Tối đa", "Số"):
                assert text in head, (number, text)
    assert len(pages_with_rows) >= 2
    every = [line for line in read.lines if line.startswith("cb-")]
    assert every == wanted
    assert read.lines[0] == f"Đơn vị {OFFICE}"  # no name: the code


def test_the_fonts_ship_with_the_central_package() -> None:
    """An installed server (pip install '.[central]', not editable) has no config/ beside its
    code: the fonts are central's package data (central/fonts links to config/fonts)."""
    config = configparser.ConfigParser()
    config.read(Path(__file__).parents[2] / "setup.cfg")
    patterns = [p.strip() for p in config["options.package_data"]["central"].split(",")]
    package = Path(central.__file__).parent
    shipped = {path.name for pattern in patterns for path in package.glob(pattern)}
    assert {"Roboto-Regular.ttf", "Roboto-Bold.ttf"} <= shipped
    assert (package / "fonts").resolve() == (package.parent / "config" / "fonts").resolve()
