"""GET …/reports/satisfaction: ballots, not rated, count and % per level, satisfaction rate."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from tests.support.api import Api, Events, minutes, now, today
from tests.support.central import enroll_device

JUNE_2 = date(2025, 6, 2)
JUNE_3 = date(2025, 6, 3)
PERIOD = {"from": "2025-06-01", "to": "2025-06-30"}
SCALE_3 = ["Rất hài lòng", "Hài lòng", "Không hài lòng"]


def ratings_of_june(make: Events) -> list[dict[str, Any]]:
    """cb-01 at counter 2: ho-tich 1,1,2,3 and not rated on June 2, dat-dai 3 on June 3.
    cb-02 at counter 3: dat-dai 1,2,2 and two not rated on June 3, and a second rating (3) of
    its first session. Plus one rating of May, outside the period."""

    def rating(level: int | None, officer: str, field: str, day: date, **more: Any) -> Any:
        counter = 2 if officer == "cb-01" else 3
        return make.citizen_rating(
            level=level,
            officer_id=officer,
            field_id=field,
            day=day,
            counter=counter,
            device_id=f"counter-{counter:02d}",
            **more,
        )

    repeated = str(uuid.uuid4())
    return [
        *(rating(level, "cb-01", "ho-tich", JUNE_2) for level in (1, 1, 2, 3, None)),
        rating(3, "cb-01", "dat-dai", JUNE_3),
        rating(1, "cb-02", "dat-dai", JUNE_3, session_id=repeated),
        *(rating(level, "cb-02", "dat-dai", JUNE_3) for level in (2, 2, None, None)),
        rating(3, "cb-02", "dat-dai", JUNE_3, session_id=repeated),
        rating(1, "cb-01", "ho-tich", date(2025, 5, 31)),
    ]


def tally(ballots: int, not_rated: int, counts: list[int], rate: float | None) -> dict[str, Any]:
    percents = [round(100 * n / ballots, 1) if ballots else 0.0 for n in counts]
    return {
        "ballots": ballots,
        "not_rated": not_rated,
        "levels": [
            {"level": level, "label": label, "count": count, "percent": percent}
            for level, (label, count, percent) in enumerate(
                zip(SCALE_3, counts, percents, strict=True), start=1
            )
        ],
        "satisfaction_rate": rate,
    }


TOTAL = tally(8, 3, [3, 3, 2], 75.0)
EXPECTED_ROWS = {
    "officer": {
        "cb-01": tally(5, 1, [2, 1, 2], 60.0),
        "cb-02": tally(3, 2, [1, 2, 0], 100.0),
    },
    "field": {
        "dat-dai": tally(4, 2, [1, 2, 1], 75.0),
        "ho-tich": tally(4, 1, [2, 1, 1], 75.0),
    },
    "counter": {
        "2": tally(5, 1, [2, 1, 2], 60.0),
        "3": tally(3, 2, [1, 2, 0], 100.0),
    },
    "day": {
        "2025-06-02": tally(4, 1, [2, 1, 1], 75.0),
        "2025-06-03": tally(4, 2, [1, 2, 1], 75.0),
    },
}


def post_june(counter: Api, make: Events, base_url: str, database_url: str) -> None:
    """Counters 2 and 3 each send their own ratings (a device speaks for its counter only)."""
    token = enroll_device(database_url, make.office, "counter", "counter-03", counter=3)
    results: list[dict[str, Any]] = []
    with Api(base_url, token, office=make.office) as counter3:
        for event in ratings_of_june(make):
            sender = counter if event["device_id"] == "counter-02" else counter3
            results += sender.results([event])
    assert all(result["status"] == "accepted" for result in results), results
    flagged = [r for r in results if "duplicate_rating" in r.get("flags", [])]
    assert len(flagged) == 1


@pytest.fixture
def june(counter: Api, make: Events, base_url: str, database_url: str) -> Api:
    post_june(counter, make, base_url, database_url)
    return counter


@pytest.mark.parametrize("by", sorted(EXPECTED_ROWS))
def test_report_numbers_per_grouping(june: Api, office: str, by: str) -> None:
    response = june.report(**PERIOD, by=by)
    assert response.status_code == 200
    body = response.json()
    assert (body["office"], body["from"], body["to"], body["by"]) == (
        office,
        "2025-06-01",
        "2025-06-30",
        by,
    )
    assert body["rows"] == [{"key": key, **row} for key, row in EXPECTED_ROWS[by].items()]
    assert body["total"] == TOTAL


def test_report_as_csv(june: Api) -> None:
    expected = (
        "key,ballots,not_rated,level_1,level_2,level_3,satisfaction_rate\r\n"
        "cb-01,5,1,2,1,2,60.0\r\n"
        "cb-02,3,2,1,2,0,100.0\r\n"
        "total,8,3,3,3,2,75.0\r\n"
    )
    by_parameter = june.report(**PERIOD, by="officer", format="csv")
    assert by_parameter.status_code == 200
    assert by_parameter.headers["content-type"].startswith("text/csv")
    assert by_parameter.text == expected
    by_accept = june.http.get(
        f"/api/v1/offices/{june.office}/reports/satisfaction",
        params={**PERIOD, "by": "officer"},
        headers={"Accept": "text/csv"},
    )
    assert by_accept.text == expected


def test_one_day_period_and_an_empty_period(june: Api) -> None:
    one_day = june.report(**{"from": "2025-06-02", "to": "2025-06-02"}, by="day").json()
    assert one_day["total"] == tally(4, 1, [2, 1, 1], 75.0)
    empty = june.report(**{"from": "2024-01-01", "to": "2024-01-31"}, by="field").json()
    assert empty["rows"] == []
    assert empty["total"] == tally(0, 0, [0, 0, 0], None)
    csv = june.report(**{"from": "2024-01-01", "to": "2024-01-31"}, by="field", format="csv")
    assert csv.text.splitlines()[-1] == "total,0,0,0,0,0,"


def test_mixed_scales_are_reported_on_scale_5(counter: Api, make: Events) -> None:
    day = JUNE_2
    counter.results(
        [
            *(make.citizen_rating(level=level, scale=5, day=day) for level in (1, 3, 5)),
            *(make.citizen_rating(level=level, scale=3, day=day) for level in (2, 3)),
        ]
    )
    body = counter.report(**PERIOD, by="day").json()
    assert body["total"]["ballots"] == 5
    assert body["total"]["levels"] == [
        {"level": 1, "label": "Rất hài lòng", "count": 1, "percent": 20.0},
        {"level": 2, "label": "Hài lòng", "count": 1, "percent": 20.0},
        {"level": 3, "label": "Bình thường", "count": 1, "percent": 20.0},
        {"level": 4, "label": "Không hài lòng", "count": 1, "percent": 20.0},
        {"level": 5, "label": "Rất không hài lòng", "count": 1, "percent": 20.0},
    ]
    assert body["total"]["satisfaction_rate"] == 40.0
    csv = counter.report(**PERIOD, by="day", format="csv").text
    assert csv.splitlines()[0].endswith("level_4,level_5,satisfaction_rate")


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-06-30", "to": "2025-06-01", "by": "day"},
        {"from": "2025-06-01", "to": "2025-06-30", "by": "citizen"},
        {"from": "1 June", "to": "2025-06-30", "by": "day"},
        {"to": "2025-06-30", "by": "day"},
        {"from": "2025-06-01", "to": "2025-06-30", "by": "day", "format": "xlsx"},
    ],
)
def test_bad_report_parameters_are_422(counter: Api, params: dict[str, str]) -> None:
    response = counter.report(**params)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_the_session_export_joins_each_session_with_its_counted_rating_and_dossier_code(
    counter: Api, make: Events
) -> None:
    """One row per session, in closing order: a second rating of a session is not a second
    row; a session from a device that sends no dossier code has none."""
    first = make.session_closed(label="1002", called_at=now() - minutes(9), closed_at=now())
    first["data"]["dossier_code"] = "000.00.21.H26-240101-0001"
    earlier = make.session_closed(
        label="1001", called_at=now() - minutes(20), closed_at=now() - minutes(10)
    )
    session_id = first["data"]["session_id"]
    ratings = [make.citizen_rating(level=2, session_id=session_id) for _ in range(2)]
    results = counter.results([first, earlier, *ratings])
    assert [r["status"] for r in results] == ["accepted"] * 4
    path = f"/api/v1/offices/{counter.office}/reports/sessions"
    day = today().isoformat()
    body = counter.http.get(path, params={"from": day, "to": day}).json()
    rows = [
        (r["label"], r["citizen_rated"], r["citizen_rating_level"], r["dossier_code"])
        for r in body["sessions"]
    ]
    assert rows == [("1001", None, None, None), ("1002", True, 2, "000.00.21.H26-240101-0001")]
    csv_text = counter.http.get(path, params={"from": day, "to": day, "format": "csv"}).text
    header, _earlier, later = csv_text.split("\r\n")[:3]
    assert header == (
        "day,label,field_id,counter,officer_id,called_at,closed_at,outcome,same_day_result,"
        "officer_rating_scale,officer_rating_level,citizen_rated,citizen_rating_scale,"
        "citizen_rating_level,dossier_code"
    )
    assert later.startswith(f"{day},1002,ho-tich,2,cb-01,")
    assert later.endswith(",true,3,1,true,3,2,000.00.21.H26-240101-0001")
    backwards = counter.http.get(path, params={"from": day, "to": "2020-01-01"})
    assert backwards.status_code == 422
