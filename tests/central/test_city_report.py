"""GET /cities/{city}/reports/overview and the city scope: a known set of visits played through
the API in five offices (three of Hà Nội with visits and one without, one of Đà Nẵng, one with no
city), with recalls, a skip then taken again, a no-show, calls typed offline, a ticket whose
issue never arrived, a rating sent a day late, a second rating of a session, consent answers and
two days; every figure of the JSON and the CSV compared with a computation written here from the
visits, the ranks and their ties, and who may read what."""

from __future__ import annotations

import contextlib
import csv
import io
import statistics
import unicodedata
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from central.cli import main
from central.db import Database
from central.enrolment import ALL_OFFICES, create_desk_token, create_monitor_token
from central.offices import office_names, office_rule, offices_of_city
from common.office_clock import default_rule
from kiosk.consent import Answer, consent_events
from tests.support.api import Api, Events, now
from tests.support.central import city_token, enroll_device, viewer_token

ZONE = default_rule().timezone
D1, D2 = date(2025, 6, 2), date(2025, 6, 3)
PERIOD = {"from": "2025-06-01", "to": "2025-06-30"}
HANOI, DANANG = "Hà Nội", "Đà Nẵng"
OFFICERS = {2: "cb-01", 3: "cb-02"}
VERSION = "ab" * 32
LEVEL_LABELS = {
    3: ["Rất hài lòng", "Hài lòng", "Không hài lòng"],
    5: ["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng"],
}
ID, TYPED, TYPED_FIELD = "id", "typed", "typed with field"


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), ZONE)


@dataclass
class Visit:
    """A ticket, what the counters did with it (as in test_service_report), the session's close
    (called_at, closed_at, counter, same-day result), the citizen's ratings of the session
    ((scale, level or None: not rated, late: sent after every other event), the first one
    counts) and the consent answer at the lobby before the ticket ((agreed, withdrawn))."""

    day: date
    label: str
    field_id: str
    issued_at: datetime | None
    actions: list[tuple[str, datetime, int, str]] = field(default_factory=list)
    close: tuple[datetime, datetime, int, bool] | None = None
    ratings: list[tuple[int, int | None, bool]] = field(default_factory=list)
    consent: tuple[bool, bool] | None = None


def called(day: date, issued: tuple[int, int], call: tuple[int, int], counter: int = 2) -> Any:
    """The actions and close of a ticket called by id and served 10 minutes."""
    start = at(day, *call)
    return (
        at(day, *issued),
        [("ticket.called", start, counter, ID)],
        (start, start + timedelta(minutes=10), counter, True),
    )


def office_a() -> list[Visit]:
    """Phường Đại Mỗ, scale 3: ballots 1, 3, 2, 1 (75,0 %), waits 300 600 300 600 180."""
    return [
        Visit(D1, "1001", "ho-tich", at(D1, 8, 0), [("ticket.called", at(D1, 8, 5), 2, ID)],
              (at(D1, 8, 5), at(D1, 8, 15), 2, True), [(3, 1, False)], (True, False)),
        Visit(D1, "1002", "ho-tich", at(D1, 8, 10),
              [("ticket.called", at(D1, 8, 20), 2, ID), ("ticket.recalled", at(D1, 8, 22), 2, ID)],
              (at(D1, 8, 20), at(D1, 8, 30), 2, False), [(3, 3, True)], (False, False)),
        Visit(D1, "1003", "dat-dai", at(D1, 8, 20),
              [("ticket.called", at(D1, 8, 25), 3, ID), ("ticket.skipped", at(D1, 8, 28), 3, ID),
               ("ticket.called", at(D1, 9, 10), 2, ID)],
              (at(D1, 9, 10), at(D1, 9, 40), 2, True), [(3, 2, False), (3, 3, True)],
              (True, True)),
        Visit(D1, "1004", "dat-dai", at(D1, 8, 30),
              [("ticket.called", at(D1, 8, 40), 3, ID), ("ticket.skipped", at(D1, 8, 42), 3, ID)],
              consent=(True, False)),
        Visit(D2, "1001", "ho-tich", at(D2, 8, 0),
              [("ticket.called", at(D2, 8, 3), 2, TYPED_FIELD)],
              (at(D2, 8, 3), at(D2, 8, 9), 2, True), [(3, 1, False)]),
        Visit(D2, "1002", "ho-tich", at(D2, 8, 15)),
        # The lobby's ticket.issued never arrived: served and not rated, not issued.
        Visit(D2, "1003", "ho-tich", None, [("ticket.called", at(D2, 9, 0), 2, TYPED)],
              (at(D2, 9, 0), at(D2, 9, 12), 2, True), [(3, None, False)]),
        # Outside the period.
        Visit(date(2025, 5, 30), "1001", "ho-tich", *called(date(2025, 5, 30), (8, 0), (8, 1)),
              [(3, 3, False)]),
    ]  # fmt: skip


def office_b() -> list[Visit]:
    """Phường Tây Mỗ, scale 5: ballots 1 2 3 1 2 4 1 2 (75,0 %), every wait 600."""
    levels = [1, 2, 3, 1, 2, 4, 1, 2]
    out = []
    for n, level in enumerate(levels):
        day = D1 if n < 4 else D2
        issued, actions, close = called(day, (8, n), (8, n + 10), counter=3)
        if n == 3:  # typed at the counter, offline
            actions = [(actions[0][0], actions[0][1], 3, TYPED)]
        out.append(
            Visit(day, f"{1001 + n % 4}", "ho-tich", issued, actions, close, [(5, level, False)],
                  (True, n == 5) if n % 2 else None)
        )  # fmt: skip
    return out


def office_c() -> list[Visit]:
    """No name, scale 3: ballots 1, 3 (50,0 %), waits 300 300; the same median as office A."""
    return [
        Visit(D1, "1001", "cu-tru", *called(D1, (8, 0), (8, 5)), [(3, 1, False)]),
        Visit(D1, "1002", "cu-tru", *called(D1, (8, 0), (8, 5)), [(3, 3, False)]),
    ]


def office_elsewhere() -> list[Visit]:
    """Every ballot satisfied and the shortest wait: first in any ranking they entered."""
    return [Visit(D1, "1001", "ho-tich", *called(D1, (8, 0), (8, 1)), [(3, 1, False)])]


@dataclass(frozen=True)
class Office:
    code: str
    name: str | None
    city: str | None
    visits: list[Visit]


OFFICES = [
    Office("09101", "Phường Đại Mỗ", HANOI, office_a()),
    Office("09102", "Phường Tây Mỗ", HANOI, office_b()),
    Office("09103", None, HANOI, office_c()),
    Office("09104", "Phường Trống", HANOI, []),
    Office("09201", "Phường Hải Châu", DANANG, office_elsewhere()),
    Office("09301", "Phường Không Thành Phố", None, office_elsewhere()),
]
HANOI_OFFICES = [office for office in OFFICES if office.city == HANOI]


def events_of(visit: Visit, make: Events) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
    """The lobby's events (consent answers, ticket.issued), the counters' and the late ones."""
    ticket_id = str(uuid.uuid4())
    lobby: list[dict[str, Any]] = []
    if visit.consent is not None and visit.issued_at is not None:
        agreed, withdrawn = visit.consent
        answer = Answer.given(agreed, visit.issued_at, "vi", VERSION, visit.field_id)
        if withdrawn:
            answer = answer.withdrawn(visit.issued_at + timedelta(minutes=1))
        lobby += consent_events(
            answer,
            day=visit.day,
            ticket_id=ticket_id,
            label=visit.label,
            office=make.office,
            device_id="lobby-01",
        )
    if visit.issued_at is not None:
        lobby.append(
            make.issued(
                visit.label,
                field_id=visit.field_id,
                issued_at=visit.issued_at,
                day=visit.day,
                ticket_id=ticket_id,
            )
        )
    session_id = str(uuid.uuid4())
    counters: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    for type, moment, counter, naming in visit.actions:
        if type == "ticket.called" and counters:
            session_id = str(uuid.uuid4())  # taken again after a skip: a new session
        data = {
            "day": visit.day.isoformat(),
            "label": visit.label,
            "counter": counter,
            "officer_id": OFFICERS[counter],
            "session_id": session_id,
            "ticket_id": ticket_id if naming == ID else None,
            "field_id": None if naming == TYPED else visit.field_id,
        }
        counters.append(
            make.event(type, data, device_id=f"counter-{counter:02d}", occurred_at=moment)
        )
    if visit.close is not None:
        called_at, closed_at, counter, same_day = visit.close
        closed = make.session_closed(
            label=visit.label,
            field_id=visit.field_id,
            called_at=called_at,
            closed_at=closed_at,
            day=visit.day,
            session_id=session_id,
            counter=counter,
            officer_id=OFFICERS[counter],
            device_id=f"counter-{counter:02d}",
        )
        closed["data"]["same_day_result"] = same_day
        counters.append(closed)
        for scale, level, is_late in visit.ratings:
            rated_at = closed_at + (timedelta(days=1) if is_late else timedelta(minutes=1))
            data = {
                "session_id": session_id,
                "day": visit.day.isoformat(),
                "counter": counter,
                "officer_id": OFFICERS[counter],
                "field_id": visit.field_id,
                "rated": level is not None,
                "scale": scale,
                "level": level,
                "reasons": [],
                "rated_at": None if level is None else rated_at.isoformat(),
                "flags": [],
            }
            rating = make.event(
                "rating.citizen", data, device_id=f"counter-{counter:02d}", occurred_at=rated_at
            )
            (late if is_late else counters).append(rating)
    return lobby, counters, late


def play(base_url: str, database_url: str, office: Office) -> None:
    make = Events(office.code)
    tokens = {
        f"counter-{n:02d}": enroll_device(
            database_url, office.code, "counter", f"counter-{n:02d}", counter=n
        )
        for n in OFFICERS
    }
    tokens["lobby-01"] = enroll_device(database_url, office.code, "lobby", "lobby-01")
    batches: list[tuple[str, list[dict[str, Any]]]] = []
    late_batches: list[tuple[str, list[dict[str, Any]]]] = []
    for visit in office.visits:
        lobby, counters, late = events_of(visit, make)
        batches.append(("lobby-01", lobby))
        batches += [(event["device_id"], [event]) for event in counters]
        late_batches += [(event["device_id"], [event]) for event in late]
    results: list[dict[str, Any]] = []
    for device_id, events in [*batches, *late_batches]:
        if events:
            with Api(base_url, tokens[device_id], office=office.code) as sender:
                results += sender.results(events)
    assert all(result["status"] == "accepted" for result in results), results


def kiosk_central(*args: str) -> str:
    """What `kiosk-central …` prints, run in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


@pytest.fixture(scope="module")
def played(base_url: str, database_url: str) -> Iterator[Api]:
    """The offices named and placed by `kiosk-central office`, their visits played once per
    database; read with a city token of Hà Nội."""
    for office in OFFICES:
        options = [] if office.name is None else ["--name", office.name]
        options += [] if office.city is None else ["--city", office.city]
        if options:
            kiosk_central("office", "--db", database_url, "--office", office.code, *options)
        play(base_url, database_url, office)
    with Api(base_url, city_token(database_url, HANOI), office=ALL_OFFICES) as api:
        yield api


def overview_path(city: str) -> str:
    return f"/api/v1/cities/{quote(city, safe='')}/reports/overview"


def overview(api: Api, **params: str) -> httpx.Response:
    response = api.http.get(overview_path(HANOI), params={**PERIOD, **params})
    assert response.status_code == 200, response.text
    return response


# ----------------------------------------------------------------- the figures, computed here


def half_up(part: int, whole: int) -> float:
    return float((Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP))


def percentile_90(values: list[float]) -> float:
    """The smallest value that at least 90 % of the values do not exceed."""
    ordered = sorted(values)
    return next(v for v in ordered if sum(w <= v for w in ordered) >= 0.9 * len(ordered))


def durations(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "median": None, "p90": None, "max": None}
    return {
        "count": len(values),
        "median": round(statistics.median(values), 1),
        "p90": round(percentile_90(values), 1),
        "max": round(max(values), 1),
    }


def june(visits: list[Visit]) -> list[Visit]:
    return [visit for visit in visits if visit.day.month == 6]


def service(visits: list[Visit]) -> dict[str, Any]:
    counts = dict.fromkeys(("issued", "called", "served", "no_shows", "waiting_at_close"), 0)
    waits: list[float] = []
    services: list[float] = []
    same_day = 0
    for visit in june(visits):
        if visit.issued_at is not None:
            calls = sorted(a for a in visit.actions if a[0] != "ticket.skipped")
            last = max(visit.actions, default=None)
            counts["issued"] += 1
            if calls:
                counts["called"] += 1
                waits.append((calls[0][1] - visit.issued_at).total_seconds())
            counts["waiting_at_close"] += last is None
            counts["no_shows"] += (
                last is not None and last[0] == "ticket.skipped" and not visit.close
            )
        if visit.close is not None:
            called_at, closed_at, _, same = visit.close
            counts["served"] += 1
            same_day += same
            services.append((closed_at - called_at).total_seconds())
    served = counts["served"]
    return {
        **counts,
        "wait": durations(waits),
        "service": durations(services),
        "same_day_results": same_day,
        "same_day_rate": half_up(same_day, served) if served else None,
    }


def satisfaction(visits: list[Visit]) -> dict[str, Any]:
    """The first rating of each session counts; scale 5 as soon as one is, where scale 3's
    level 3 (Không hài lòng) is scale 5's level 4."""
    firsts = [visit.ratings[0] for visit in june(visits) if visit.ratings]
    scale = 5 if any(s == 5 for s, _, _ in firsts) else 3
    levels = [
        level if s == scale else {1: 1, 2: 2, 3: 4}[level]
        for s, level, _ in firsts
        if level is not None
    ]
    ballots = len(levels)
    return {
        "ballots": ballots,
        "not_rated": sum(level is None for _, level, _ in firsts),
        "levels": [
            {
                "level": n,
                "label": label,
                "count": levels.count(n),
                "percent": half_up(levels.count(n), ballots) if ballots else 0.0,
            }
            for n, label in enumerate(LEVEL_LABELS[scale], start=1)
        ],
        "satisfaction_rate": (
            half_up(sum(level <= 2 for level in levels), ballots) if ballots else None
        ),
    }


def consent(visits: list[Visit]) -> dict[str, Any]:
    answers = [v.consent for v in june(visits) if v.consent and v.issued_at is not None]
    visits_asked = len(answers)
    consented = sum(agreed and not withdrawn for agreed, withdrawn in answers)
    return {
        "visits": visits_asked,
        "yes": sum(agreed for agreed, _ in answers),
        "no": sum(not agreed for agreed, _ in answers),
        "withdrawn": sum(agreed and withdrawn for agreed, withdrawn in answers),
        "consented": consented,
        "consent_rate": half_up(consented, visits_asked) if visits_asked else None,
        "without_ticket": 0,
    }


def ranks(values: dict[str, float | None], *, better: Any) -> dict[str, int | None]:
    """Competition ranking (1, 1, 3): one more than the number of strictly better values."""
    given = [value for value in values.values() if value is not None]
    return {
        key: None if value is None else 1 + sum(better(other, value) for other in given)
        for key, value in values.items()
    }


def expected() -> dict[str, Any]:
    lines = [
        {
            "office": office.code,
            "name": office.name,
            "service": service(office.visits),
            "satisfaction": satisfaction(office.visits),
            "consent": consent(office.visits),
        }
        for office in HANOI_OFFICES
    ]
    by_rate = ranks(
        {line["office"]: line["satisfaction"]["satisfaction_rate"] for line in lines},
        better=lambda other, value: other > value,
    )
    by_wait = ranks(
        {line["office"]: line["service"]["wait"]["median"] for line in lines},
        better=lambda other, value: other < value,
    )
    for line in lines:
        line["satisfaction_rank"] = by_rate[line["office"]]
        line["wait_rank"] = by_wait[line["office"]]
    everything = [visit for office in HANOI_OFFICES for visit in office.visits]
    return {
        "city": HANOI,
        "from": PERIOD["from"],
        "to": PERIOD["to"],
        "offices": lines,
        "total": {
            "service": service(everything),
            "satisfaction": satisfaction(everything),
            "consent": consent(everything),
        },
    }


# ----------------------------------------------------------------- the figures, read


def test_every_figure_of_the_json_matches_the_visits(played: Api) -> None:
    assert overview(played).json() == expected()


def test_the_known_figures_and_ranks(played: Api) -> None:
    """The visits above worked by hand, so that the computation of this test is checked too:
    two offices tie at 75,0 % (rank 1, 1, then 3), two at a median wait of 300 s; the office
    without visits has no rank; the city's total is on scale 5 (one office rates on it)."""
    body = overview(played).json()
    lines = {line["office"]: line for line in body["offices"]}
    assert list(lines) == ["09101", "09102", "09103", "09104"]
    assert [(line["satisfaction_rank"], line["wait_rank"]) for line in lines.values()] == [
        (1, 1),
        (1, 3),
        (3, 1),
        (None, None),
    ]
    assert [line["satisfaction"]["ballots"] for line in lines.values()] == [4, 8, 2, 0]
    assert [line["satisfaction"]["satisfaction_rate"] for line in lines.values()] == [
        75.0,
        75.0,
        50.0,
        None,
    ]
    assert [line["service"]["wait"]["median"] for line in lines.values()] == [
        300.0,
        600.0,
        300.0,
        None,
    ]
    assert (lines["09101"]["satisfaction"]["not_rated"], lines["09104"]["name"]) == (
        1,
        "Phường Trống",
    )
    assert lines["09103"]["name"] is None
    total = body["total"]
    # Ballots 4 + 8 + 2, satisfied 3 + 6 + 1; waits 300 600 300 600 180, eight of 600, 300 300.
    assert (total["satisfaction"]["ballots"], total["satisfaction"]["satisfaction_rate"]) == (
        14,
        71.4,
    )
    assert [level["count"] for level in total["satisfaction"]["levels"]] == [6, 4, 1, 3, 0]
    assert total["service"]["wait"] == {"count": 15, "median": 600.0, "p90": 600.0, "max": 600.0}
    assert (total["service"]["issued"], total["service"]["served"]) == (16, 15)
    # Consent: office A 4 visits asked, 2 consented (a no, a withdrawal); office B 4, 3.
    assert (total["consent"]["visits"], total["consent"]["consented"]) == (8, 5)
    assert total["consent"]["consent_rate"] == 62.5


def test_every_figure_of_the_csv_matches_the_visits(played: Api) -> None:
    response = overview(played, format="csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="city-overview-2025-06-01-2025-06-30.csv";'
        " filename*=UTF-8''H%C3%A0%20N%E1%BB%99i-overview-2025-06-01-2025-06-30.csv"
    )
    by_accept = played.http.get(overview_path(HANOI), params=PERIOD, headers={"Accept": "text/csv"})
    assert by_accept.text == response.text
    want = expected()
    lines = [
        csv_row(line["office"], line["name"], line["satisfaction_rank"], line["wait_rank"], line)
        for line in want["offices"]
    ]
    lines.append(csv_row("total", None, None, None, want["total"]))
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert table == lines
    assert response.text.splitlines()[0] == ",".join(lines[0])


def csv_row(office: str, name: str | None, rate_rank: Any, wait_rank: Any, line: Any) -> Any:
    """A row of the CSV as the JSON figures give it; empty for null."""

    def text(value: Any) -> str:
        return "" if value is None else str(value)

    served = line["service"]
    row = {
        "office": office,
        "name": text(name),
        "satisfaction_rank": text(rate_rank),
        "ballots": str(line["satisfaction"]["ballots"]),
        "not_rated": str(line["satisfaction"]["not_rated"]),
        "satisfaction_rate": text(line["satisfaction"]["satisfaction_rate"]),
        "wait_rank": text(wait_rank),
    }
    for name_ in ("issued", "called", "served", "no_shows", "waiting_at_close"):
        row[name_] = str(served[name_])
    for kind in ("wait", "service"):
        for figure in ("median", "p90", "max"):
            row[f"{kind}_{figure}_s"] = text(served[kind][figure])
    row["same_day_results"] = str(served["same_day_results"])
    row["same_day_rate"] = text(served["same_day_rate"])
    row["visits_asked"] = str(line["consent"]["visits"])
    row["consented"] = str(line["consent"]["consented"])
    row["consent_rate"] = text(line["consent"]["consent_rate"])
    return row


def test_each_office_line_is_the_total_of_its_own_reports(played: Api) -> None:
    """An office's line holds the totals its own reports give, read with the same city token."""
    for line in overview(played).json()["offices"]:
        base = f"/api/v1/offices/{line['office']}/reports"
        params = {**PERIOD, "by": "day"}
        own_service = played.http.get(f"{base}/service", params=params).json()["total"]
        own_satisfaction = played.http.get(f"{base}/satisfaction", params=params).json()
        # The service report's own satisfaction and consent shares agree with the line's.
        satisfaction, consent = own_service.pop("satisfaction"), own_service.pop("consent")
        assert line["service"] == own_service
        rates = (
            satisfaction["ballots"],
            satisfaction["satisfaction_rate"],
            consent["consent_rate"],
        )
        assert rates == (
            line["satisfaction"]["ballots"],
            line["satisfaction"]["satisfaction_rate"],
            line["consent"]["consent_rate"],
        )
        assert line["satisfaction"] == own_satisfaction["total"]
        assert line["consent"] == own_satisfaction["consent"]["total"]


def test_a_period_without_visits_and_bad_parameters(played: Api) -> None:
    body = overview(played, **{"from": "2025-07-01", "to": "2025-07-31"}).json()
    assert [line["office"] for line in body["offices"]] == [o.code for o in HANOI_OFFICES]
    assert {(line["satisfaction_rank"], line["wait_rank"]) for line in body["offices"]} == {
        (None, None)
    }
    assert body["total"]["service"]["issued"] == 0
    assert body["total"]["satisfaction"]["satisfaction_rate"] is None
    path = overview_path(HANOI)
    for params in (
        {"from": "2025-06-30", "to": "2025-06-01"},
        {"to": "2025-06-30"},
        {**PERIOD, "format": "pdf"},
    ):
        assert played.http.get(path, params=params).status_code == 422


def test_the_city_in_the_path_is_compared_as_nfc(played: Api) -> None:
    decomposed = unicodedata.normalize("NFD", HANOI)
    assert decomposed != HANOI
    response = played.http.get(overview_path(decomposed), params=PERIOD)
    assert response.status_code == 200
    assert response.json()["city"] == HANOI


# ----------------------------------------------------------------- who may read what


def status(base_url: str, token: str, method: str, path: str, **params: Any) -> int:
    """The status of a request with `token`; a POST sends a valid batch of one event."""
    headers = {"Authorization": f"Bearer {token}"}
    body = {"events": [Events("09101").issued("1099")]} if method == "POST" else None
    reply = httpx.request(
        method, base_url + path, params=params, headers=headers, json=body, timeout=30
    )
    return reply.status_code


def test_a_city_token_reads_its_city_and_its_offices_reports_only(
    played: Api, base_url: str, database_url: str
) -> None:
    token = city_token(database_url, HANOI)
    day = {"from": "2025-06-02", "to": "2025-06-03"}
    assert status(base_url, token, "GET", overview_path(HANOI), **day) == 200
    assert status(base_url, token, "GET", overview_path(DANANG), **day) == 403
    assert status(base_url, token, "GET", overview_path("Hà Nộ"), **day) == 403
    for code, allowed in (("09101", 200), ("09104", 200), ("09201", 403), ("09301", 403)):
        base = f"/api/v1/offices/{code}/reports"
        assert status(base_url, token, "GET", f"{base}/satisfaction", **day, by="day") == allowed
        assert status(base_url, token, "GET", f"{base}/service", **day, by="hour") == allowed
        assert status(base_url, token, "GET", f"{base}/arrivals", **day) == allowed
        assert status(base_url, token, "GET", f"{base}/sessions", **day) == allowed
        page = httpx.get(f"{base_url}{base}/satisfaction/page", params={**day, "token": token})
        assert page.status_code == allowed
    office = "/api/v1/offices/09101"
    for method, path, params in (
        ("GET", f"{office}/queue", {}),
        ("GET", f"{office}/calls", {}),
        ("GET", f"{office}/hall-key", {}),
        ("GET", f"{office}/counters/2/identity", {}),
        ("GET", f"{office}/counters/2/desk", {}),
        ("GET", f"{office}/consents", {"day": "2025-06-02"}),
        ("GET", f"{office}/desk-access", {"day": "2025-06-02"}),
        ("GET", f"{office}/fleet", {}),
        ("GET", "/api/v1/fleet", {}),
        ("GET", "/metrics", {}),
        ("POST", "/api/v1/events", {}),
        ("POST", f"{office}/counters/2/call-next", {}),
    ):
        assert status(base_url, token, method, path, **params) == 403, path
    sessions = played.http.get(f"{office}/reports/sessions", params={**day, "format": "csv"})
    assert sessions.status_code == 200


def test_no_other_token_reads_a_city_view(played: Api, base_url: str, database_url: str) -> None:
    db = Database(database_url)
    try:
        desk = create_desk_token(db, office="09101", counter=None, now=now()).token
        monitor = create_monitor_token(db, now=now()).token
    finally:
        db.dispose()
    others = [
        viewer_token(database_url, "09101"),
        enroll_device(database_url, "09101", "lobby", "lobby-09"),
        enroll_device(database_url, "09101", "counter", "counter-09", counter=9),
        enroll_device(database_url, "09101", "display", "display-09"),
        desk,
        monitor,
        city_token(database_url, DANANG),
    ]
    for token in others:
        assert status(base_url, token, "GET", overview_path(HANOI), **PERIOD) == 403
        link = httpx.get(base_url + overview_path(HANOI), params={**PERIOD, "token": token})
        assert link.status_code == 403
    # An office's viewer still reads its own office only.
    viewer = others[0]
    assert (
        status(base_url, viewer, "GET", "/api/v1/offices/09102/reports/arrivals", **PERIOD) == 403
    )


def test_a_revoked_city_token_is_refused(played: Api, base_url: str, database_url: str) -> None:
    """Made and revoked by the commands an administrator runs (the city given with spaces)."""
    printed, told = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(told):
        assert main(["viewer-token", "--db", database_url, "--city", f"  {HANOI} "]) == 0
    token = printed.getvalue().strip()
    reader = told.getvalue().split()[2]
    assert told.getvalue() == (
        f"City reader {reader} of {HANOI} (offices 09101, 09102, 09103, 09104); revoke with"
        f" kiosk-central revoke --office '*' --device-id {reader}\n"
    )
    assert status(base_url, token, "GET", overview_path(HANOI), **PERIOD) == 200
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["revoke", "--db", database_url, "--office", "*", "--device-id", reader]) == 0
    assert status(base_url, token, "GET", overview_path(HANOI), **PERIOD) == 401
    assert status(base_url, token, "GET", "/api/v1/offices/09101/reports/arrivals", **PERIOD) == 401


def test_the_office_command_names_and_places_an_office_and_keeps_the_defaults(
    database_url: str, office: str
) -> None:
    def run(*options: str) -> str:
        return kiosk_central("office", "--db", database_url, "--office", office, *options)

    assert run() == f"Office {office}: the server's defaults (serve --timezone).\n"
    decomposed = unicodedata.normalize("NFD", "Phường Mới")
    assert run("--name", f" {decomposed} ", "--city", "Cần Thơ") == (
        f"Office {office} «Phường Mới»: the server's defaults (serve --timezone); city Cần Thơ"
        " (running servers apply it within a minute).\n"
    )
    db = Database(database_url)
    try:
        assert office_rule(db, office) is None  # a row with a name and a city keeps the defaults
        assert office_names(db)[office] == "Phường Mới"
        assert offices_of_city(db, unicodedata.normalize("NFD", "Cần Thơ")) == [office]
    finally:
        db.dispose()
    assert run("--timezone", "Asia/Bangkok") == (
        f"Office {office} «Phường Mới»: time zone Asia/Bangkok, office day starts at 04:00;"
        " city Cần Thơ (running servers apply it within a minute).\n"
    )
    assert run("--city", "") == (
        f"Office {office} «Phường Mới»: time zone Asia/Bangkok, office day starts at 04:00"
        " (running servers apply it within a minute).\n"
    )
    db = Database(database_url)
    try:
        assert offices_of_city(db, "Cần Thơ") == []
    finally:
        db.dispose()
