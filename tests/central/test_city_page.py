"""GET /cities/{city}/reports/overview/page: the city view as a page. The offices and visits of
tests/central/test_city_report.py are played once; every figure of the two rankings is compared
with that module's computation (not the code under test) written as officials read it, the
small samples marked, the bars proportional to the rates and waits, the links followed; the page
is rendered in Chromium (its screenshot is the README's with KIOSK_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urljoin, urlparse

import httpx
import pytest

from central.city_page import city_page
from central.city_report import CityReport, CityTotal, OfficeLine
from central.consents import ConsentTally
from central.reports import Tally
from central.service_report import Durations, ServiceTally
from tests.central.test_city_report import (
    DANANG,
    HANOI,
    OFFICES,
    PERIOD,
    expected,
    kiosk_central,
    play,
)
from tests.central.test_report_pages import (
    SCREENSHOTS,
    SVG,
    Page,
    bars,
    charts,
    full_page_shot,
    wider_than_reserved,
)
from tests.central.test_report_pages import percent as rate_text
from tests.central.test_report_pages import words as wait_text
from tests.support.api import CLOCK
from tests.support.browser import chromium, needs_chromium
from tests.support.central import city_token, running_central, viewer_token

BAR_SPAN = 340
SMALL = 30  # ballots, or called tickets: fewer are a small sample (docs/central-api.md)


@pytest.fixture(scope="module")
def database_url(sqlite_url: str) -> str:
    """SQLite: the figures are the city view's JSON, compared on both databases in its tests."""
    return sqlite_url


@pytest.fixture(scope="module")
def base_url(database_url: str) -> Iterator[str]:
    with running_central(database_url, CLOCK) as url:
        yield url


def page_path(city: str) -> str:
    return f"/api/v1/cities/{quote(city, safe='')}/reports/overview/page"


@pytest.fixture(scope="module")
def page_url(base_url: str, database_url: str) -> str:
    for office in OFFICES:
        options = [] if office.name is None else ["--name", office.name]
        options += [] if office.city is None else ["--city", office.city]
        if options:
            kiosk_central("office", "--db", database_url, "--office", office.code, *options)
        play(base_url, database_url, office)
    token = city_token(database_url, HANOI)
    query = f"from={PERIOD['from']}&to={PERIOD['to']}&token={token}"
    return f"{base_url}{page_path(HANOI)}?{query}"


@pytest.fixture(scope="module")
def page(page_url: str) -> str:
    response = httpx.get(page_url, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    return response.text


def label(line: dict[str, Any]) -> str:
    return line["office"] if line["name"] is None else f"{line['name']} ({line['office']})"


def marked(text: str, small: bool) -> str:
    return f"{text} *" if small and text != "–" else text


def ranked(by: str) -> list[dict[str, Any]]:
    rank = f"{by}_rank"
    lines = expected()["offices"]
    return sorted(lines, key=lambda x: (x[rank] is None, x[rank] or 0, x["office"]))


def cells(line: dict[str, Any], by: str) -> list[str]:
    service, satisfaction, consent = line["service"], line["satisfaction"], line["consent"]
    own, other = (
        ("satisfaction_rank", "wait_rank")
        if by == "satisfaction"
        else ("wait_rank", "satisfaction_rank")
    )
    return [
        "–" if line[own] is None else str(line[own]),
        label(line),
        str(service["issued"]),
        str(satisfaction["ballots"]),
        marked(rate_text(satisfaction["satisfaction_rate"]), satisfaction["ballots"] < SMALL),
        str(service["wait"]["count"]),
        marked(wait_text(service["wait"]["median"]), service["wait"]["count"] < SMALL),
        rate_text(service["same_day_rate"]),
        rate_text(consent["consent_rate"]),
        "–" if line[other] is None else str(line[other]),
    ]


@pytest.mark.parametrize("by", ["satisfaction", "wait"])
def test_each_ranking_shows_the_offices_in_rank_order(page: str, by: str) -> None:
    head, *body = Page(page).tables[f"ranking-{by}"]
    assert head[:2] == ["Hạng", "Đơn vị"]
    assert body == [cells(line, by) for line in ranked(by)]


def test_the_known_order_and_the_city_total(page: str) -> None:
    """By hand (test_city_report's docstrings): Đại Mỗ and Tây Mỗ share rank 1 at 75,0 %, the
    office without a name is 3rd at 50,0 %, the empty office last without a rank."""
    body = Page(page).tables["ranking-satisfaction"][1:]
    assert [(row[0], row[1], row[4]) for row in body] == [
        ("1", "Phường Đại Mỗ (09101)", "75,0% *"),
        ("1", "Phường Tây Mỗ (09102)", "75,0% *"),
        ("3", "09103", "50,0% *"),
        ("–", "Phường Trống (09104)", "–"),
    ]
    total = expected()["total"]
    summary = Page(page).summary
    assert summary["Lượt lấy số"] == str(total["service"]["issued"])
    assert summary["Đã phục vụ"] == str(total["service"]["served"])
    assert summary["Thời gian chờ trung vị"] == wait_text(total["service"]["wait"]["median"])
    assert summary["Trả kết quả trong ngày"] == rate_text(total["service"]["same_day_rate"])
    assert summary["Tỷ lệ đồng ý dùng thẻ"] == rate_text(total["consent"]["consent_rate"])
    assert summary["Tỷ lệ hài lòng"] == rate_text(total["satisfaction"]["satisfaction_rate"])
    assert summary["Số phiếu đánh giá"] == str(total["satisfaction"]["ballots"])
    assert "Thành phố: <b>Hà Nội</b>" in page and "01/06/2025 – 30/06/2025" in page
    assert "Đà Nẵng" not in page and "09201" not in page and "09301" not in page


def test_the_small_samples_are_marked_and_muted(page: str) -> None:
    marks = re.findall(r'<td class="small">([^<]*)</td>', page)
    rates = [c[4] for c in (cells(line, "satisfaction") for line in ranked("satisfaction"))]
    waits = [c[6] for c in (cells(line, "satisfaction") for line in ranked("satisfaction"))]
    shown = [text for text in rates + waits if text.endswith(" *")]
    assert sorted(marks) == sorted(shown * 2)  # each in both tables
    assert "Mẫu nhỏ" in page


def test_a_sample_of_thirty_is_not_small() -> None:
    """The line between small and not, on lines made here (the played visits are all small)."""
    nothing = Durations(0, None, None, None)

    def line(office: str, ballots: int, called: int) -> OfficeLine:
        wait = Durations(called, 600.0, 900.0, 1200.0) if called else nothing
        service = ServiceTally(called, called, called, 0, 0, wait, nothing, 0, None)
        satisfaction = Tally(ballots, 0, [], 90.0 if ballots else None)
        return OfficeLine(
            office, None, service, satisfaction, ConsentTally(0, 0, 0, 0, 0, None, 0), 1, 1
        )

    lines = [line("00001", 30, 30), line("00002", 29, 29)]
    total = CityTotal(lines[0].service, lines[0].satisfaction, lines[0].consent)
    report = CityReport("Hà Nội", date(2025, 6, 1), date(2025, 6, 30), lines, total)
    html = city_page(report, lambda endpoint, params: endpoint, lambda office: office)
    rows = Page(html).tables["ranking-satisfaction"][1:]
    assert [(row[4], row[6]) for row in rows] == [
        ("90,0%", "10 phút"),
        ("90,0% *", "10 phút *"),
    ]
    for chart in charts(html).values():  # the small sample's bar is the pale one
        fills = [rect.get("fill") for rect in chart.iter(f"{SVG}rect")]
        assert fills == ["#2b6cb0", "#a9c4e4"]


@pytest.mark.parametrize("by", ["satisfaction", "wait"])
def test_bar_lengths_are_proportional_to_the_ranked_figures(page: str, by: str) -> None:
    heading = {
        "satisfaction": "Xếp hạng theo tỷ lệ hài lòng",
        "wait": "Xếp hạng theo thời gian chờ trung vị",
    }[by]
    found = bars(charts(page)[heading])
    lines = ranked(by)
    assert [tip.split(": ")[0] for tip, _ in found] == [label(line) for line in lines]
    if by == "satisfaction":
        values = [line["satisfaction"]["satisfaction_rate"] or 0 for line in lines]
        wanted = [BAR_SPAN * v / 100 for v in values]
    else:
        values = [line["service"]["wait"]["median"] or 0 for line in lines]
        wanted = [BAR_SPAN * v / max(values) for v in values]
    assert [length for _, length in found] == pytest.approx(wanted, abs=0.06)


def test_links_lead_to_the_data_and_to_each_office_page(page: str, page_url: str) -> None:
    assert "<script" not in page and " src=" not in page and "url(" not in page
    assert set(re.findall(r"https?://[^\"' <]*", page)) == {"http://www.w3.org/2000/svg"}
    token = parse_qs(urlparse(page_url).query)["token"][0]
    offices = []
    formats = []
    for link in Page(page).links:
        if link.startswith("#"):
            continue
        assert not re.match(r"[a-z]+:|//|/", link), link
        url = urljoin(page_url, link)
        query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        assert (query["from"], query["to"], query["token"]) == (PERIOD["from"], PERIOD["to"], token)
        answer = httpx.get(url, timeout=30)
        assert answer.status_code == 200, (link, answer.text)
        path = urlparse(url).path
        if path.endswith("/reports/page"):
            offices.append(path.split("/")[4])
            assert "Báo cáo phục vụ và mức độ hài lòng" in answer.text
        else:
            assert path == f"/api/v1/cities/{quote(HANOI, safe='')}/reports/overview"
            formats.append(query.get("format", "json"))
    assert sorted(formats) == ["csv", "json"]
    assert sorted(offices) == sorted([line["office"] for line in expected()["offices"]] * 2)


def test_only_a_city_token_of_that_city_reads_the_page(
    page: str, base_url: str, database_url: str
) -> None:
    params = {**PERIOD}
    url = f"{base_url}{page_path(HANOI)}"
    assert httpx.get(url, params=params, timeout=10).status_code == 401
    office_token = viewer_token(database_url, "09101")
    assert httpx.get(url, params={**params, "token": office_token}).status_code == 403
    elsewhere = city_token(database_url, DANANG)
    assert httpx.get(url, params={**params, "token": elsewhere}).status_code == 403
    mine = city_token(database_url, HANOI)
    late = {"from": "2025-06-30", "to": "2025-06-01", "token": mine}
    assert httpx.get(url, params=late).status_code == 422


def test_a_city_with_no_office_says_so(base_url: str, database_url: str) -> None:
    """Instead of two empty rankings: which command gives a city its offices."""
    token = city_token(database_url, "Không có")
    url = f"{base_url}{page_path('Không có')}"
    answer = httpx.get(url, params={**PERIOD, "token": token}, timeout=10)
    assert answer.status_code == 200
    assert "Chưa có đơn vị nào thuộc thành phố này" in answer.text
    assert "<table" not in answer.text


def test_a_city_name_with_a_slash_is_refused(database_url: str, capsys) -> None:
    """ "/" cannot be carried in the city view's address (not even as %2F)."""
    from central.cli import main

    for command in (["office", "--office", "09109"], ["viewer-token"]):
        with pytest.raises(SystemExit) as stopped:
            main([*command, "--db", database_url, "--city", "Bà Rịa/Vũng Tàu"])
        assert stopped.value.code == 2
        assert "cannot hold '/'" in capsys.readouterr().err


@needs_chromium
def test_the_page_in_a_browser_on_screen_and_in_print(page_url: str, tmp_path: Path) -> None:
    shots = tmp_path / "shots"
    shots.mkdir()
    with chromium(1280, 900) as browser:
        browser.get(page_url)
        assert browser.title.startswith("Báo cáo so sánh các đơn vị – Hà Nội")
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
        assert wider_than_reserved(browser) == []
        full_page_shot(browser, 1280, shots / "city-page.png")
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        full_page_shot(browser, 794, shots / "city-page-print.png")
        widest = browser.execute_script(
            "return Math.max(...[...document.querySelectorAll('table, svg')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= 794
    if os.environ.get("KIOSK_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shots / "city-page.png", SCREENSHOTS / "city-page.png")
