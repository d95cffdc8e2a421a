"""GET …/reports/service and …/reports/arrivals: a known set of visits played through the API
(recalls, a skip then taken again, a no-show, calls typed offline before their ticket arrived, a
session whose ticket never arrived, two days, labels reused the next day, citizens' ratings
arriving before or after their session, consent answered, refused and withdrawn), every figure
compared with a computation written here from the visits themselves."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.api import Api
from tests.support.central import viewer_token
from tests.support.service_visits import (
    GROUPINGS,
    PERIOD,
    PLAYED_OFFICE,
    ZONE,
    expected,
    play,
    visits,
)


@pytest.fixture(scope="module")
def played(base_url: str, database_url: str) -> Iterator[Api]:
    """The visits played once per database, read with a viewer token of their office."""
    play(base_url, database_url, PLAYED_OFFICE, lobby_first=False)
    with Api(base_url, viewer_token(database_url, PLAYED_OFFICE), office=PLAYED_OFFICE) as api:
        yield api


def service(api: Api, **params: str) -> Any:
    response = api.http.get(f"/api/v1/offices/{api.office}/reports/service", params=params)
    assert response.status_code == 200, response.text
    return response


@pytest.mark.parametrize("by", GROUPINGS)
def test_every_figure_matches_the_visits(played: Api, by: str) -> None:
    body = service(played, **PERIOD, by=by).json()
    rows, total = expected(by)
    assert (body["office"], body["from"], body["to"], body["by"]) == (
        PLAYED_OFFICE,
        "2025-06-01",
        "2025-06-30",
        by,
    )
    assert body["total"] == total
    assert body["rows"] == [{"key": key, **row} for key, row in rows.items()]

    csv_text = service(played, **PERIOD, by=by, format="csv").text
    by_accept = played.http.get(
        f"/api/v1/offices/{PLAYED_OFFICE}/reports/service",
        params={**PERIOD, "by": by},
        headers={"Accept": "text/csv"},
    )
    assert by_accept.headers["content-type"].startswith("text/csv")
    assert by_accept.text == csv_text
    assert csv_text.splitlines()[0] == ",".join(["key", *csv_cells(total)])
    table = list(csv.DictReader(io.StringIO(csv_text)))
    assert [line["key"] for line in table] == [*rows, "total"]
    for line, tally in zip(table, [*rows.values(), total], strict=True):
        assert line == {"key": line["key"], **csv_cells(tally)}


def csv_cells(tally: dict[str, Any]) -> dict[str, str]:
    """A row of the CSV as the JSON figures give it: counts, then seconds, empty for null."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    cells = {
        name: str(tally[name])
        for name in ("issued", "called", "served", "no_shows", "waiting_at_close")
    }
    for kind in ("wait", "service"):
        for figure in ("median", "p90", "max"):
            cells[f"{kind}_{figure}_s"] = text(tally[kind][figure])
    cells["same_day_results"] = str(tally["same_day_results"])
    cells["same_day_rate"] = text(tally["same_day_rate"])
    satisfaction = tally["satisfaction"]
    for name in ("ballots", "satisfied", "satisfaction_rate"):
        cells[name] = text(satisfaction[name])
    consent = tally["consent"] or {}
    cells["consent_visits"] = text(consent.get("visits"))
    cells["consented"] = text(consent.get("consented"))
    cells["consent_rate"] = text(consent.get("consent_rate"))
    return cells


def test_the_known_figures_of_the_total(played: Api) -> None:
    """The numbers of the visits above, worked by hand, so the computation of this test is
    checked too."""
    total = service(played, **PERIOD, by="day").json()["total"]
    assert (total["issued"], total["called"], total["served"]) == (10, 9, 8)
    assert (total["no_shows"], total["waiting_at_close"]) == (1, 1)
    # Waits 300 600 300 600 900 180 1800 60 600; service 600 600 1800 360 360 1200 720 600.
    assert total["wait"] == {"count": 9, "median": 600.0, "p90": 1800.0, "max": 1800.0}
    assert total["service"] == {"count": 8, "median": 600.0, "p90": 1800.0, "max": 1800.0}
    assert (total["same_day_results"], total["same_day_rate"]) == (6, 75.0)
    # Levels 1 3 2 1 2 1 3 (and one session not rated); consent yes no withdrawn yes yes no yes
    # yes no.
    assert total["satisfaction"] == {"ballots": 7, "satisfied": 5, "satisfaction_rate": 71.4}
    assert total["consent"] == {"visits": 9, "consented": 5, "consent_rate": 55.6}


def test_arrivals_per_hour_and_field(played: Api) -> None:
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for visit in visits():
        if visit.issued_at is not None and visit.day.month == 6:
            counts[(visit.issued_at.astimezone(ZONE).hour, visit.field_id)] += 1
    arrivals = [{"hour": h, "field_id": f, "tickets": n} for (h, f), n in sorted(counts.items())]
    path = f"/api/v1/offices/{PLAYED_OFFICE}/reports/arrivals"
    body = played.http.get(path, params=PERIOD).json()
    assert body == {
        "office": PLAYED_OFFICE,
        "from": "2025-06-01",
        "to": "2025-06-30",
        "arrivals": arrivals,
    }
    assert service(played, **PERIOD, by="hour").json()["arrivals"] == arrivals
    lines = played.http.get(path, params={**PERIOD, "format": "csv"}).text.splitlines()
    assert lines == ["hour,field_id,tickets"] + [
        f"{a['hour']},{a['field_id']},{a['tickets']}" for a in arrivals
    ]


def test_an_empty_period_and_bad_parameters(counter: Api, office: str) -> None:
    """This test's office has no events (the other tests' offices of the database have)."""
    path = f"/api/v1/offices/{office}/reports/service"
    empty = counter.http.get(path, params={**PERIOD, "by": "officer"}).json()
    nothing = {"count": 0, "median": None, "p90": None, "max": None}
    assert empty["rows"] == [] and empty["arrivals"] == []
    assert empty["total"] == {
        "issued": 0,
        "called": 0,
        "served": 0,
        "no_shows": 0,
        "waiting_at_close": 0,
        "wait": nothing,
        "service": nothing,
        "same_day_results": 0,
        "same_day_rate": None,
        "satisfaction": {"ballots": 0, "satisfied": 0, "satisfaction_rate": None},
        "consent": {"visits": 0, "consented": 0, "consent_rate": None},
    }
    csv_text = counter.http.get(path, params={**PERIOD, "by": "day", "format": "csv"}).text
    assert csv_text.splitlines()[-1] == "total,0,0,0,0,0,,,,,,,0,,0,0,,0,0,"
    for params in (
        {"from": "2025-06-30", "to": "2025-06-01", "by": "day"},
        {**PERIOD, "by": "citizen"},
        {"to": "2025-06-30", "by": "day"},
    ):
        assert counter.http.get(path, params=params).status_code == 422


def test_another_office_is_refused(played: Api) -> None:
    """The viewer token of the played office reads it (above), not another office."""
    other = played.http.get("/api/v1/offices/10000/reports/service", params={**PERIOD, "by": "day"})
    assert other.status_code == 403
    arrivals = played.http.get("/api/v1/offices/10000/reports/arrivals", params=PERIOD)
    assert arrivals.status_code == 403


def test_the_figures_do_not_depend_on_the_order_of_arrival(
    base_url: str, database_url: str, office: str
) -> None:
    play(base_url, database_url, office, lobby_first=True)
    with Api(base_url, viewer_token(database_url, office), office=office) as viewer:
        for by in GROUPINGS:
            body = service(viewer, **PERIOD, by=by).json()
            rows, total = expected(by)
            assert body["rows"] == [{"key": key, **row} for key, row in rows.items()], by
            assert body["total"] == total, by
