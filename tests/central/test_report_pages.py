"""GET …/reports/page: the office's report page with the service figures. The known visits of
tests/support/service_visits.py are played once; the page is parsed, and every figure it shows
(summary, the five service tables, the arrivals, satisfaction, consent) is compared with a
computation and a formatting written here, the charts' bars with the figures, and the page is
rendered in Chromium at 1280 px and at an A4 sheet's width in print (its screenshots are the
README's with KIOSK_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import base64
import os
import re
import shutil
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urljoin, urlparse

import httpx
import pytest

from central.svg_charts import CHAR_WIDTH, contrast
from tests.support.api import CLOCK
from tests.support.browser import chromium, needs_chromium
from tests.support.central import running_central, viewer_token
from tests.support.service_visits import (
    GROUPINGS,
    NOT_RATED,
    OFFICERS,
    PERIOD,
    PLAYED_OFFICE,
    ZONE,
    expected,
    play,
    visits,
)

SVG = "{http://www.w3.org/2000/svg}"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
BAR_SPAN = 340  # the longest bar of a chart, in px (central.svg_charts.BAR_WIDTH)
COLUMN_SPAN = 200  # the tallest column


@pytest.fixture(scope="module")
def database_url(sqlite_url: str) -> str:
    """SQLite: the figures are the JSON reports', compared on both databases in their tests."""
    return sqlite_url


@pytest.fixture(scope="module")
def base_url(database_url: str) -> Iterator[str]:
    with running_central(database_url, CLOCK) as url:
        yield url


@pytest.fixture(scope="module")
def page_url(base_url: str, database_url: str) -> str:
    """The played office's page address, with a viewer token in the query (as a browser)."""
    play(base_url, database_url, PLAYED_OFFICE, lobby_first=False)
    token = viewer_token(database_url, PLAYED_OFFICE)
    query = f"from={PERIOD['from']}&to={PERIOD['to']}&token={token}"
    return f"{base_url}/api/v1/offices/{PLAYED_OFFICE}/reports/page?{query}"


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


class Page(HTMLParser):
    """The tables by id (each a list of rows of cell texts: head, body and foot), the summary's
    boxes (label → value), and the links."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.summary: dict[str, str] = {}
        self.links: list[str] = []
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_summary = 0
        self._box: list[str] | None = None
        self._bold: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "a":
            self.links.append(named["href"] or "")
        if tag == "table":
            self._table = named.get("id") or f"table-{len(self.tables)}"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        if tag == "div" and named.get("class") == "summary":
            self._in_summary = 1
        elif tag == "div" and self._in_summary:
            self._box = []
        elif tag == "b" and self._box is not None:
            self._bold = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "b" and self._bold is not None and self._box is not None:
            self.summary["".join(self._box)] = "".join(self._bold)
            self._bold = None
        elif tag == "div" and self._box is not None:
            self._box = None
        elif tag == "div" and self._in_summary:
            self._in_summary = 0

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._bold is not None:
            self._bold.append(data)
        elif self._box is not None:
            self._box.append(data)


# How the officials write figures, written here again (not taken from central.vn_format).
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",") + "%"


def words(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    whole = int(seconds + 0.5)
    assert whole < 3600, "the visits wait and are served less than an hour"
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest} giây"
    return f"{minutes} phút" + (f" {rest} giây" if rest else "")


def key_text(by: str, key: str) -> str:
    if by == "day":
        year, month, day = key.split("-")
        return f"{day}/{month}/{year}"
    if by == "counter":
        return f"Quầy {key}"
    if by == "hour":
        return f"{key}:00–{int(key) + 1:02d}:00"
    return key


def service_cells(key: str, tally: dict[str, Any]) -> list[str]:
    wait, service = tally["wait"], tally["service"]
    rate = tally["same_day_rate"]
    same_day = "–" if rate is None else f"{tally['same_day_results']} ({percent(rate)})"
    satisfaction = tally["satisfaction"]
    liked = (
        "–"
        if satisfaction["satisfaction_rate"] is None
        else f"{percent(satisfaction['satisfaction_rate'])} ({satisfaction['ballots']})"
    )
    consent = "–" if tally["consent"] is None else percent(tally["consent"]["consent_rate"])
    counts = [str(tally[n]) for n in ("issued", "called", "served", "no_shows", "waiting_at_close")]
    times = [wait["median"], wait["p90"], wait["max"], service["median"], service["p90"]]
    return [key, *counts, *map(words, times), same_day, liked, consent]


def june() -> list[Any]:
    return [v for v in visits() if v.day.month == 6]


@pytest.mark.parametrize("by", GROUPINGS)
def test_each_service_table_shows_the_figures_of_the_visits(page: str, by: str) -> None:
    rows, total = expected(by)
    table = Page(page).tables[f"service-table-{by}"]
    head, _subhead, *body, foot = table
    assert head[0] == {"day": "Ngày", "field": "Lĩnh vực", "counter": "Quầy"}.get(
        by, {"officer": "Cán bộ", "hour": "Giờ"}.get(by)
    )
    assert body == [service_cells(key_text(by, key), row) for key, row in rows.items()]
    assert foot == service_cells("Tổng cộng", total)


def test_the_summary(page: str) -> None:
    _, total = expected("day")
    ballots = [v.rating for v in june() if v.close and v.rating not in (None, NOT_RATED)]
    asked = [v.consent for v in june() if v.consent and v.issued_at]
    assert Page(page).summary == {
        "Lượt lấy số": str(total["issued"]),
        "Đã phục vụ": str(total["served"]),
        "Vắng mặt": str(total["no_shows"]),
        "Còn chờ khi hết ngày": str(total["waiting_at_close"]),
        "Thời gian chờ trung vị": words(total["wait"]["median"]),
        "Thời gian chờ: 90% không quá": words(total["wait"]["p90"]),
        "Thời gian chờ lâu nhất": words(total["wait"]["max"]),
        "Thời gian phục vụ trung vị": words(total["service"]["median"]),
        "Trả kết quả trong ngày": percent(total["same_day_rate"]),
        "Tỷ lệ đồng ý dùng thẻ": percent(round(100 * asked.count("yes") / len(asked), 1)),
        "Tỷ lệ hài lòng": percent(round(100 * sum(r <= 2 for r in ballots) / len(ballots), 1)),
        "Số phiếu đánh giá": str(len(ballots)),
        "Chưa đánh giá": str(sum(v.rating == NOT_RATED for v in june() if v.close)),
    }
    # The hand-worked figures of tests/central/test_service_report.py, as officials write them.
    assert Page(page).summary["Thời gian chờ trung vị"] == "10 phút"
    assert Page(page).summary["Trả kết quả trong ngày"] == "75,0%"


def test_the_arrivals_table(page: str) -> None:
    counts = Counter((v.issued_at.astimezone(ZONE).hour, v.field_id) for v in june() if v.issued_at)
    fields = sorted({f for _, f in counts})
    hours = range(min(h for h, _ in counts), max(h for h, _ in counts) + 1)
    head, *body, foot = Page(page).tables["arrivals-table"]
    assert head == ["Giờ", *fields, "Tổng cộng"]
    assert body == [
        [
            key_text("hour", f"{h:02d}"),
            *(str(counts[(h, f)]) for f in fields),
            str(sum(counts[(h, f)] for f in fields)),
        ]
        for h in hours
    ]
    assert foot == [
        "Tổng cộng",
        *(str(sum(counts[(h, f)] for h in hours)) for f in fields),
        str(sum(counts.values())),
    ]


def test_the_satisfaction_and_consent_tables(page: str) -> None:
    tables = Page(page).tables
    rated = [v for v in june() if v.close and v.rating is not None]

    def tally(key: str, group: list[Any]) -> list[str]:
        levels = [v.rating for v in group if v.rating != NOT_RATED]
        cells = [key, str(len(levels))]
        for level in (1, 2, 3):
            share = round(100 * levels.count(level) / len(levels), 1) if levels else 0.0
            cells.append(f"{levels.count(level)} ({percent(share)})")
        liked = round(100 * sum(r <= 2 for r in levels) / len(levels), 1) if levels else None
        return [*cells, str(len(group) - len(levels)), percent(liked)]

    days = sorted({v.day for v in rated})
    by_day = [tally(d.strftime("%d/%m/%Y"), [v for v in rated if v.day == d]) for d in days]
    assert tables["satisfaction-table-day"][1:] == [*by_day, tally("Tổng cộng", rated)]
    officers = sorted({OFFICERS[v.close[2]] for v in rated})
    by_officer = [tally(o, [v for v in rated if OFFICERS[v.close[2]] == o]) for o in officers]
    assert tables["satisfaction-table-officer"][1:] == [*by_officer, tally("Tổng cộng", rated)]

    asked = [v for v in june() if v.consent and v.issued_at]

    def consent(key: str, group: list[Any]) -> list[str]:
        answers = [v.consent for v in group]
        yes = answers.count("yes") + answers.count("withdrawn")
        share = round(100 * answers.count("yes") / len(answers), 1)
        numbers = [len(answers), yes, answers.count("no"), answers.count("withdrawn")]
        return [key, *map(str, numbers), str(answers.count("yes")), percent(share), "0"]

    [consent_table] = [rows for rows in tables.values() if rows[0][:2] == ["Ngày", "Lượt được hỏi"]]
    consent_days = sorted({v.day for v in asked})
    assert consent_table[1:] == [
        *(consent(d.strftime("%d/%m/%Y"), [v for v in asked if v.day == d]) for d in consent_days),
        consent("Tổng cộng", asked),
    ]


def charts(page: str) -> dict[str, ElementTree.Element]:
    found = re.findall(r"<svg .*?</svg>", page, re.DOTALL)
    parsed = [ElementTree.fromstring(chart) for chart in found]
    return {chart.get("aria-label", ""): chart for chart in parsed}


def bars(chart: ElementTree.Element) -> list[tuple[str, float]]:
    """(tooltip, bar length) of each bar of a horizontal bar chart (0: no bar, no figure)."""
    out = []
    for group in chart.iter(f"{SVG}g"):
        rect = group.find(f"{SVG}rect")
        length = 0.0 if rect is None else float(rect.get("width", "0"))
        out.append((group.findtext(f"{SVG}title") or "", length))
    return out


@pytest.mark.parametrize("by", GROUPINGS)
def test_bar_lengths_are_proportional_to_the_figures(page: str, by: str) -> None:
    rows, _ = expected(by)
    heading = {
        "day": "theo ngày",
        "field": "theo lĩnh vực",
        "counter": "theo quầy",
        "officer": "theo cán bộ",
        "hour": "theo giờ trong ngày",
    }[by]
    found = charts(page)
    for chart in found.values():
        assert chart.get("role") == "img"
        assert chart.findtext(f"{SVG}title") == chart.get("aria-label")
    waits = bars(found[f"Thời gian chờ trung vị {heading}"])
    medians = [row["wait"]["median"] or 0 for row in rows.values()]
    assert [length for _, length in waits] == pytest.approx(
        [BAR_SPAN * m / max(medians) for m in medians], abs=0.06
    )
    keys = [key_text(by, key) for key in rows]
    assert [tip.split(": ")[0] for tip, _ in waits] == keys
    shares = bars(found[f"Tỷ lệ trả kết quả trong ngày {heading}"])
    rates = [row["same_day_rate"] or 0 for row in rows.values()]
    assert [length for _, length in shares] == pytest.approx(
        [BAR_SPAN * r / 100 for r in rates], abs=0.06
    )


def test_arrival_columns_are_proportional_to_the_tickets(page: str) -> None:
    counts = Counter((v.issued_at.astimezone(ZONE).hour, v.field_id) for v in june() if v.issued_at)
    chart = charts(page)["Lượt lấy số theo giờ trong ngày và lĩnh vực"]
    totals = Counter[int]()
    for (hour, _), n in counts.items():
        totals[hour] += n
    heights = {}
    for rect in chart.iter(f"{SVG}rect"):
        tip = rect.findtext(f"{SVG}title")
        if tip:
            hour_text, rest = tip.split(" giờ – ")
            field_id, count = rest.rsplit(": ", 1)
            heights[(int(hour_text), field_id)] = (int(count), float(rect.get("height", "0")))
    assert {key: n for key, (n, _) in heights.items()} == dict(counts)
    for n, height in heights.values():
        assert height == pytest.approx(COLUMN_SPAN * n / max(totals.values()), abs=0.06)
    legend = [t.text for t in chart.iter(f"{SVG}text")][: len({f for _, f in counts})]
    assert legend == sorted({f for _, f in counts})
    hours = [t.text for t in chart.iter(f"{SVG}text") if t.get("y") == str(int(max(
        float(r.get("y", 0)) + float(r.get("height", 0)) for r in chart.iter(f"{SVG}rect")
    )) + 16)]  # fmt: skip
    assert hours == [f"{h:02d}" for h in range(min(totals), max(totals) + 1)]


def test_text_on_colours_contrasts_enough(page: str) -> None:
    """Every text drawn on a coloured bar or segment (satisfaction percents) is 4.5:1 or more
    against it; the other texts are on the page's white."""
    for chart in charts(page).values():
        rects = [r for r in chart.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
        for text in chart.iter(f"{SVG}text"):
            x, y = float(text.get("x", 0)), float(text.get("y", 0))
            under = [
                r
                for r in rects
                if float(r.get("x", 0)) <= x <= float(r.get("x", 0)) + float(r.get("width", 0))
                and float(r.get("y", 0)) <= y - 4 <= float(r.get("y", 0)) + float(r.get("height"))
            ]
            background = under[0].get("fill") if under else "#ffffff"
            assert contrast(text.get("fill", "#000000"), background) >= 4.5, (text.text, background)


def test_no_external_resource_and_decimal_commas(page: str, page_url: str) -> None:
    assert "<script" not in page and " src=" not in page and "url(" not in page
    assert "@import" not in page
    outside = re.findall(r"https?://[^\"' <]*", page)
    assert set(outside) == {"http://www.w3.org/2000/svg"}  # the SVG namespace, never fetched
    parsed = Page(page)
    for cells in (cell for rows in parsed.tables.values() for row in rows for cell in row):
        assert not re.search(r"\d\.\d", cells), cells  # a decimal point, or 1.234 in this data
    assert not any(re.search(r"\d\.\d", value) for value in parsed.summary.values())
    assert "%" in page and not re.search(r"\d %", page)  # one way: "75,0%"


def test_every_table_links_to_its_json_and_csv_with_the_token(page: str, page_url: str) -> None:
    token = parse_qs(urlparse(page_url).query)["token"][0]
    links = Page(page).links
    assert all(not re.match(r"[a-z]+:|//|/", link) for link in links), links  # relative
    wanted = {("service", by, fmt) for by in GROUPINGS for fmt in ("", "csv")}
    wanted |= {("arrivals", "", fmt) for fmt in ("", "csv")}
    wanted |= {("satisfaction", by, fmt) for by in ("day", "officer") for fmt in ("", "csv")}
    wanted |= {("sessions", "", "csv")}
    seen = set()
    for link in links:
        url = urljoin(page_url, link)
        query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
        assert (query["from"], query["to"], query["token"]) == (PERIOD["from"], PERIOD["to"], token)
        endpoint = urlparse(url).path.rsplit("/", 1)[1]
        seen.add((endpoint, query.get("by", ""), query.get("format", "")))
        answer = httpx.get(url, timeout=30)
        assert answer.status_code == 200, (link, answer.text)
        kind = "text/csv" if query.get("format") == "csv" else "application/json"
        assert answer.headers["content-type"].startswith(kind)
    assert seen == wanted


def test_the_old_address_serves_the_same_page(page: str, page_url: str) -> None:
    old = page_url.replace("/reports/page?", "/reports/satisfaction/page?")
    answer = httpx.get(old, timeout=30)
    assert answer.status_code == 200
    # The same page, its links one level up (…/satisfaction/page → ../service).
    assert answer.text.replace('href="../', 'href="') == page


@needs_chromium
def test_the_page_in_a_browser_on_screen_and_in_print(page_url: str, tmp_path: Path) -> None:
    """Rendered by Chromium: nothing wider than the window at 1280 px; in print at A4 width no
    table is wider than the sheet. The screenshots are for a person to look at."""
    shots = tmp_path / "shots"
    shots.mkdir()
    with chromium(1280, 900) as browser:
        browser.get(page_url)
        assert browser.title.startswith("Báo cáo phục vụ và mức độ hài lòng")
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth"
        )
        assert overflow <= 0
        assert wider_than_reserved(browser) == []
        full_page_shot(browser, 1280, shots / "report-page.png")
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        full_page_shot(browser, 794, shots / "report-page-print.png")  # A4 at 96 px per inch
        widest = browser.execute_script(
            "return Math.max(...[...document.querySelectorAll('table, svg')]"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= 794
    if os.environ.get("KIOSK_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shots / "report-page.png", SCREENSHOTS / "report-page.png")


def wider_than_reserved(browser: Any) -> list[str]:
    """The charts' texts the browser draws wider than central.svg_charts reserves for them
    (CHAR_WIDTH per character), which could then overlap."""
    return browser.execute_script(
        "return [...document.querySelectorAll('svg text')].filter(t => {"
        " const shown = [...t.childNodes].filter(n => n.nodeType === 3)"
        "   .map(n => n.textContent).join('');"
        " return t.getBBox().width > arguments[0] * shown.length + 0.5; })"
        ".map(t => t.textContent)",
        CHAR_WIDTH,
    )


def full_page_shot(browser: Any, width: int, path: Path) -> None:
    """The whole page laid out `width` CSS pixels wide (the viewport made as tall as it)."""
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": height})
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    path.write_bytes(base64.b64decode(shot["data"]))
