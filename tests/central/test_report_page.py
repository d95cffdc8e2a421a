"""GET …/reports/satisfaction/page (the report page's first address): the satisfaction by day and
by officer on it. Its service figures: tests/central/test_report_pages.py."""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from central.report_page import HideQueryToken
from tests.central.test_report import PERIOD, post_june
from tests.support.api import CLOCK, Api, Events
from tests.support.central import (
    enroll_device,
    running_central,
    running_central_process,
    viewer_token,
)


@pytest.fixture(scope="module")
def database_url(sqlite_url: str) -> str:
    """SQLite is enough: the numbers are the JSON report's, tested on both databases."""
    return sqlite_url


@pytest.fixture(scope="module")
def base_url(database_url: str) -> Iterator[str]:
    with running_central(database_url, CLOCK) as url:
        yield url


def page_path(office: str) -> str:
    return f"/api/v1/offices/{office}/reports/satisfaction/page"


def row_of(page: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell` (tags stripped)."""
    match = re.search(rf"<tr><td>{re.escape(first_cell)}</td>(.*?)</tr>", page)
    assert match, f"no row {first_cell!r}"
    return re.findall(r"<td>(.*?)</td>", match.group(1))


@pytest.fixture
def june(counter: Api, make: Events, base_url: str, database_url: str) -> Api:
    post_june(counter, make, base_url, database_url)
    return counter


def test_page_by_day_and_by_officer(june: Api, office: str) -> None:
    response = june.http.get(page_path(office), params=PERIOD)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert "<h1>Báo cáo phục vụ và mức độ hài lòng</h1>" in page
    assert f"Đơn vị: <b>{office}</b>" in page
    assert "01/06/2025 – 30/06/2025" in page
    # Summary: 8 ballots, 75.0 % satisfied, 3 not rated.
    assert "<div>Số phiếu đánh giá<b>8</b></div>" in page
    assert "<div>Tỷ lệ hài lòng<b>75,0%</b></div>" in page
    assert "<div>Chưa đánh giá<b>3</b></div>" in page
    assert '<h3 id="satisfaction-day">Theo ngày</h3>' in page
    assert '<h3 id="satisfaction-officer">Theo cán bộ</h3>' in page
    # June 2: 4 ballots 2/1/1, 1 not rated; cb-01: 5 ballots 2/1/2, 60 %; cb-02: 100 %.
    assert row_of(page, "02/06/2025") == ["4", "2 (50,0%)", "1 (25,0%)", "1 (25,0%)", "1", "75,0%"]
    assert row_of(page, "cb-01") == ["5", "2 (40,0%)", "1 (20,0%)", "2 (40,0%)", "1", "60,0%"]
    assert row_of(page, "cb-02") == ["3", "1 (33,3%)", "2 (66,7%)", "0 (0,0%)", "2", "100,0%"]
    assert "2025-05-31" not in page and "31/05/2025" not in page
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_page_charts_are_well_formed_svg(june: Api, office: str) -> None:
    page = june.http.get(page_path(office), params=PERIOD).text
    charts = re.findall(r'<svg [^>]*aria-label="Biểu đồ mức độ hài lòng.*?</svg>', page, re.DOTALL)
    assert len(charts) == 2
    svg = "{http://www.w3.org/2000/svg}"
    for chart in charts:
        root = ElementTree.fromstring(chart)
        legend = [text.text for text in root.iter(f"{svg}text")][:3]
        assert legend == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
        colours = [rect.get("fill") for rect in root.iter(f"{svg}rect")][:3]
        assert colours == ["#1a9850", "#a6d96a", "#d73027"]
    officers = ElementTree.fromstring(charts[1])
    tips = [title.text for title in officers.iter(f"{svg}title")]
    assert "cb-01 – Không hài lòng: 2 phiếu (40,0%)" in tips
    # Each bar is 340 px long: cb-02's two segments (1 and 2 of 3 ballots) fill it.
    widths = [
        float(rect.get("width", "0"))
        for rect in officers.iter(f"{svg}rect")
        if (rect.findtext(f"{svg}title") or "").startswith("cb-02")
    ]
    assert widths == pytest.approx([113.3, 226.7], abs=0.1)


def test_scale_5_page_names_its_five_levels(counter: Api, make: Events, office: str) -> None:
    counter.results([make.citizen_rating(level=5, scale=5, day=date(2025, 6, 2))])
    page = counter.http.get(page_path(office), params=PERIOD).text
    for label in ("Bình thường", "Rất không hài lòng"):
        assert f"<th>{label}</th>" in page
    assert row_of(page, "cb-01") == [
        "1",
        "0 (0,0%)",
        "0 (0,0%)",
        "0 (0,0%)",
        "0 (0,0%)",
        "1 (100,0%)",
        "0",
        "0,0%",
    ]


def test_empty_period(counter: Api, office: str) -> None:
    page = counter.http.get(page_path(office), params=PERIOD).text
    assert "<div>Số phiếu đánh giá<b>0</b></div>" in page
    assert "<div>Tỷ lệ hài lòng<b>–</b></div>" in page
    # Five service tables, the arrivals, satisfaction by day and by officer, consent.
    assert page.count("Không có dữ liệu trong kỳ.") == 9
    assert "<div>Tỷ lệ đồng ý dùng thẻ<b>–</b></div>" in page


def test_token_in_the_query_for_a_browser(
    june: Api, base_url: str, database_url: str, office: str
) -> None:
    token = viewer_token(database_url, office)
    params = {**PERIOD, "token": token}
    response = httpx.get(f"{base_url}{page_path(office)}", params=params)
    assert response.status_code == 200
    assert "<div>Số phiếu đánh giá<b>8</b></div>" in response.text


def test_unauthorised_and_other_office(base_url: str, database_url: str, office: str) -> None:
    url = f"{base_url}{page_path(office)}"
    missing = httpx.get(url, params=PERIOD)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert httpx.get(url, params={**PERIOD, "token": "not-a-token"}).status_code == 401
    assert httpx.get(url, params={**PERIOD, "token": "x" * 10_000}).status_code == 401
    stranger = viewer_token(database_url, "99999")
    assert httpx.get(url, params={**PERIOD, "token": stranger}).status_code == 403
    bearer = {"Authorization": f"Bearer {stranger}"}
    assert httpx.get(url, params=PERIOD, headers=bearer).status_code == 403
    # The page links to the JSON reports with its token, so they take it in the query too,
    # under the same rule.
    own = viewer_token(database_url, office)
    for report, extra in (("satisfaction", {"by": "day"}), ("service", {"by": "day"})):
        json_url = f"{base_url}/api/v1/offices/{office}/reports/{report}"
        assert httpx.get(json_url, params={**PERIOD, **extra, "token": own}).status_code == 200
        assert httpx.get(json_url, params={**PERIOD, **extra}).status_code == 401
        refused = httpx.get(json_url, params={**PERIOD, **extra, "token": stranger})
        assert refused.status_code == 403


def test_from_after_to_is_422(counter: Api, office: str) -> None:
    response = counter.http.get(
        page_path(office), params={"from": "2025-06-30", "to": "2025-06-01"}
    )
    assert response.status_code == 422


def test_officer_id_is_escaped(counter: Api, make: Events, office: str) -> None:
    evil = '<script>alert("x")</script>&'
    counter.results([make.citizen_rating(level=1, officer_id=evil, day=date(2025, 6, 2))])
    page = counter.http.get(page_path(office), params=PERIOD).text
    assert "<script" not in page
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"
    assert f"<tr><td>{escaped}</td>" in page
    charts = re.findall(r"<svg .*?</svg>", page, re.DOTALL)
    for chart in charts:
        ElementTree.fromstring(chart)


def test_access_log_filter_hides_the_token() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/p?from=2025-06-01&token=s3cret&to=2025-06-30", "1.1", 200),
        None,
    )
    assert HideQueryToken().filter(record)
    assert "s3cret" not in record.getMessage()
    assert "token=***&to=2025-06-30" in record.getMessage()


def test_served_access_log_does_not_write_the_token(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    office = "00637"
    token = enroll_device(database_url, office, "lobby", "lobby-01")
    log = tmp_path / "serve.log"
    with running_central_process(database_url, log) as url:
        response = httpx.get(f"{url}{page_path(office)}", params={**PERIOD, "token": token})
        assert response.status_code == 200
        # The server decodes the parameter's name, so the log filter must too.
        query = "from=2025-06-01&to=2025-06-30"
        for name in ("%74oken", "tok%65n", "%54%4F%4B%45%4E"):
            response = httpx.get(f"{url}{page_path(office)}?{query}&{name}={token}")
            assert response.status_code == (200 if name != "%54%4F%4B%45%4E" else 401)
    written = log.read_text(encoding="utf-8")
    assert "reports/satisfaction/page?" in written
    assert "token=***" in written and "%74oken=***" in written and "tok%65n=***" in written
    assert token not in written
