"""A city-month of visits, written straight into a central server's PostgreSQL database.

    .venv/bin/python bench/city_month_data.py --db URL [--offices 126] [--days 22]
        [--tickets 500] [--seed 20261202] [--reset]

Each office (codes 00637, 00638, …) has 4–8 counters, each with its officer, and 3–6 of the
fields; each working day of October 2026 (22 of them) it issues `--tickets` tickets between
07:30 and 16:45 office time, most of them mid-morning. The counters call them first come, first
served until 17:00: some calls are recalled, some tickets skipped (most of those never come back:
no-shows, a few are taken again later), sessions last minutes, most are rated on the 3-level
scale (about 90 % satisfied), and most visits answered the consent question at the lobby.

The rows are those the projections write from the same visits' events (`events_of` gives them;
tests/central/test_city_month_data.py plays them through the API and compares every row): the
tickets (with their state folded by central.ticket_state.fold), ticket_changes, sessions,
ratings and consents, loaded with COPY, one day of every office at a time in the order of its
events, as a city's devices would have sent them. The events table, the hall's calls feed and
the identities are not written: no report reads them. Deterministic for a seed; the database is
given the schema if it has none; `--reset` empties those tables first (otherwise visits
already loaded are refused by their primary keys).
"""

from __future__ import annotations

import argparse
import heapq
import math
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from central.db import Database  # noqa: E402
from central.ticket_state import CALLED, SKIPPED, Change, fold  # noqa: E402
from common.office_clock import default_rule  # noqa: E402

ZONE: ZoneInfo = default_rule().timezone
FIELDS = (  # field id, share of arrivals, median service minutes
    ("ho-tich", 0.30, 2.5),
    ("chung-thuc", 0.25, 1.5),
    ("dat-dai", 0.15, 5.0),
    ("tu-phap", 0.10, 3.0),
    ("lao-dong", 0.10, 3.0),
    ("kinh-doanh", 0.10, 4.0),
)
OUTCOMES = (
    "Hồ sơ đầy đủ – đã tiếp nhận",
    "Trả kết quả",
    "Hướng dẫn bổ sung hồ sơ",
)
TEXT_VERSION = "5" * 64
OPENS, LAST_TICKET, CLOSES = clock_time(7, 30), clock_time(16, 45), clock_time(17, 0)
MORNING_PEAK, AFTERNOON_PEAK = clock_time(9, 30), clock_time(14, 30)
TABLES = ("tickets", "ticket_changes", "sessions", "ratings", "consents")


def working_days(count: int, first: date = date(2026, 10, 1)) -> list[date]:
    """The first `count` Monday–Friday days from `first` (October 2026 has 22)."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def office_codes(count: int) -> list[str]:
    return [f"{637 + number:05d}" for number in range(count)]


@dataclass
class Visit:
    """One ticket and what happened to it: its changes (as the counters sent them), the session
    that served it, the citizen's rating and the consent answer at the lobby."""

    office: str
    day: date
    ticket_id: str
    label: str
    number: int
    field_id: str
    priority: bool
    issued_at: datetime
    changes: list[Change] = field(default_factory=list)
    session: dict[str, Any] | None = None
    rating: dict[str, Any] | None = None
    consent: dict[str, Any] | None = None


class Office:
    """An office's counters, officers and fields, drawn once from the seed."""

    def __init__(self, code: str, rng: random.Random) -> None:
        self.code = code
        self.counters = list(range(1, rng.randint(4, 8) + 1))
        self.officers = {counter: f"cb-{counter:02d}" for counter in self.counters}
        chosen = sorted(rng.sample(range(len(FIELDS)), rng.randint(3, len(FIELDS))))
        self.fields = [FIELDS[index] for index in chosen]


def _at(day: date, moment: clock_time) -> datetime:
    return datetime.combine(day, moment, ZONE)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ms(moment: datetime) -> datetime:
    """Whole milliseconds, as the devices stamp their events."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _arrival(day: date, rng: random.Random) -> datetime:
    """A mid-morning peak (two thirds of the day's tickets) and a smaller afternoon one."""
    opens, last = _at(day, OPENS), _at(day, LAST_TICKET)
    while True:
        peak, spread = (MORNING_PEAK, 70) if rng.random() < 0.66 else (AFTERNOON_PEAK, 60)
        moment = _at(day, peak) + timedelta(minutes=rng.gauss(0, spread))
        if opens <= moment <= last:
            return _ms(moment)


def day_visits(office: Office, day: date, tickets: int, rng: random.Random) -> list[Visit]:
    """The office's tickets of a day, called first come, first served by its counters."""
    weights = [share for _, share, _ in office.fields]
    arrivals = sorted(_arrival(day, rng) for _ in range(tickets))
    numbers: dict[str, int] = {}
    visits: list[Visit] = []
    for issued_at in arrivals:
        index = rng.choices(range(len(office.fields)), weights)[0]
        field_id = office.fields[index][0]
        numbers[field_id] = numbers.get(field_id, 0) + 1
        number = 1000 * (index + 1) + numbers[field_id]
        visit = Visit(
            office.code,
            day,
            _uuid(rng),
            str(number),
            number,
            field_id,
            rng.random() < 0.03,
            issued_at,
        )
        if rng.random() < 0.6:
            visit.consent = _consent(visit, rng)
        visits.append(visit)
    _serve(office, visits, rng)
    return visits


def _consent(visit: Visit, rng: random.Random) -> dict[str, Any]:
    answer = "yes" if rng.random() < 0.8 else "no"
    answered_at = visit.issued_at - timedelta(seconds=rng.randint(10, 40))
    withdrawn = answer == "yes" and rng.random() < 0.02
    return {
        "office": visit.office,
        "consent_id": _uuid(rng),
        "day": visit.day,
        "device_id": "lobby-01",
        "ticket_id": visit.ticket_id,
        "label": visit.label,
        "field_id": visit.field_id,
        "answer": answer,
        "answered_at": answered_at,
        "language": "vi",
        "text_version": TEXT_VERSION,
        "answer_event_id": _uuid(rng),
        "withdrawn_at": answered_at + timedelta(seconds=8) if withdrawn else None,
        "withdrawal_event_id": _uuid(rng) if withdrawn else None,
    }


def _serve(office: Office, visits: list[Visit], rng: random.Random) -> None:
    """Each free counter calls the ticket that has been ready longest; a ticket skipped (the
    citizen did not come) is ready again 15–40 minutes later for one in three of them."""
    closes = _at(visits[0].day, CLOSES) if visits else None
    ready = [(visit.issued_at, order, visit) for order, visit in enumerate(visits)]
    heapq.heapify(ready)
    free = [(_at(visits[0].day, OPENS), counter) for counter in office.counters] if visits else []
    heapq.heapify(free)
    service = {field_id: minutes for field_id, _, minutes in office.fields}
    while ready and free:
        free_at, counter = heapq.heappop(free)
        ready_at, order, visit = heapq.heappop(ready)
        called_at = _ms(max(free_at, ready_at) + timedelta(seconds=rng.uniform(5, 30)))
        if closes is None or called_at > closes:
            heapq.heappush(ready, (ready_at, order, visit))
            continue  # this counter has closed for the day
        session_id = _uuid(rng)
        visit.changes.append(_change(visit, rng, CALLED, called_at, counter, session_id, office))
        retried = sum(change.state == SKIPPED for change in visit.changes)
        if rng.random() < (0.06 if not retried else 0.1):
            skipped_at = _ms(called_at + timedelta(seconds=rng.uniform(60, 150)))
            visit.changes.append(
                _change(visit, rng, SKIPPED, skipped_at, counter, session_id, office)
            )
            if not retried and rng.random() < 1 / 3:
                again = skipped_at + timedelta(minutes=rng.uniform(15, 40))
                heapq.heappush(ready, (again, order, visit))
            heapq.heappush(free, (skipped_at, counter))
            continue
        if rng.random() < 0.08:
            recalled_at = _ms(called_at + timedelta(seconds=rng.uniform(40, 90)))
            visit.changes.append(
                _change(visit, rng, CALLED, recalled_at, counter, session_id, office)
            )
        minutes = min(max(rng.lognormvariate(math.log(service[visit.field_id]), 0.5), 1.0), 45.0)
        closed_at = _ms(called_at + timedelta(minutes=minutes))
        visit.session = _session(visit, rng, session_id, counter, office, called_at, closed_at)
        if rng.random() < 0.93:
            visit.rating = _rating(visit, rng, closed_at)
        heapq.heappush(free, (closed_at, counter))


def _change(
    visit: Visit,
    rng: random.Random,
    state: str,
    moment: datetime,
    counter: int,
    session_id: str,
    office: Office,
) -> Change:
    return Change(
        office=visit.office,
        change_id=_uuid(rng),
        day=visit.day,
        label=visit.label,
        field_id=visit.field_id,
        ticket_id=visit.ticket_id,
        state=state,
        occurred_at=moment,
        counter=counter,
        officer_id=office.officers[counter],
        session_id=session_id,
    )


def _session(
    visit: Visit,
    rng: random.Random,
    session_id: str,
    counter: int,
    office: Office,
    called_at: datetime,
    closed_at: datetime,
) -> dict[str, Any]:
    officer_level = rng.choices((1, 2, 3), (0.8, 0.15, 0.05))[0]
    return {
        "office": visit.office,
        "session_id": session_id,
        "day": visit.day,
        "label": visit.label,
        "field_id": visit.field_id,
        "counter": counter,
        "officer_id": office.officers[counter],
        "called_at": called_at,
        "closed_at": closed_at,
        "outcome": rng.choice(OUTCOMES),
        "same_day_result": rng.random() < 0.6,
        "officer_rating_scale": 3,
        "officer_rating_level": officer_level,
        "flags": [],
        "dossier_code": None,
    }


def _rating(visit: Visit, rng: random.Random, closed_at: datetime) -> dict[str, Any]:
    session = visit.session
    assert session is not None
    rated = rng.random() < 0.96
    level = rng.choices((1, 2, 3), (0.6, 0.305, 0.095))[0] if rated else None
    return {
        "event_id": _uuid(rng),
        "office": visit.office,
        "session_id": session["session_id"],
        "day": visit.day,
        "counter": session["counter"],
        "officer_id": session["officer_id"],
        "field_id": visit.field_id,
        "rated": rated,
        "scale": 3,
        "level": level,
        "rated_at": _ms(closed_at + timedelta(seconds=rng.uniform(5, 40))) if rated else None,
        "counted": True,
        "flags": [],
    }


def city_days(
    offices: int, days: int, tickets: int, seed: int
) -> Iterator[tuple[date, list[Visit]]]:
    """Every office's visits, one working day at a time."""
    rng = random.Random(seed)
    city = [Office(code, rng) for code in office_codes(offices)]
    for day in working_days(days):
        yield day, [visit for office in city for visit in day_visits(office, day, tickets, rng)]


# ----------------------------------------------------------------- rows and events


def ticket_row(visit: Visit) -> dict[str, Any]:
    """The tickets row: the issue's facts and the state folded from the changes."""
    ordered = sorted(visit.changes, key=lambda change: (change.occurred_at, change.change_id))
    state, _refused = fold(ordered)
    return {
        "office": visit.office,
        "ticket_id": visit.ticket_id,
        "day": visit.day,
        "label": visit.label,
        "number": visit.number,
        "field_id": visit.field_id,
        "priority": visit.priority,
        "issued_at": visit.issued_at,
        **state,
    }


def rows_of(visit: Visit) -> list[tuple[datetime, str, dict[str, Any]]]:
    """The visit's rows of TABLES, each with the moment its event reached the server."""
    rows: list[tuple[datetime, str, dict[str, Any]]] = [
        (visit.issued_at, "tickets", ticket_row(visit))
    ]
    if visit.consent is not None:
        rows.append((visit.consent["answered_at"], "consents", visit.consent))
    rows += [(change.occurred_at, "ticket_changes", vars(change)) for change in visit.changes]
    if visit.session is not None:
        rows.append((visit.session["closed_at"], "sessions", visit.session))
        if visit.rating is not None:
            moment = visit.rating["rated_at"] or visit.session["closed_at"]
            rows.append((moment, "ratings", visit.rating))
    return rows


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def _derived_id(kind: str, of: str) -> str:
    """The id of an event no projected row keeps (a ticket's issue, a session's close)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{kind}:{of}"))


def events_of(visit: Visit) -> list[dict[str, Any]]:
    """The events the office's devices sent for the visit, in the order they happened."""
    day = visit.day.isoformat()

    def event(id: str, type: str, at: datetime, device: str, data: dict[str, Any]) -> Any:
        return {
            "id": id,
            "type": type,
            "occurred_at": _stamp(at),
            "office": visit.office,
            "device_id": device,
            "schema": 1,
            "data": data,
        }

    found = []
    consent = visit.consent
    if consent is not None:
        link = {
            "consent_id": consent["consent_id"],
            "day": day,
            "ticket_id": visit.ticket_id,
            "label": visit.label,
        }
        answer = {
            "answer": consent["answer"],
            "answered_at": _stamp(consent["answered_at"]),
            "language": consent["language"],
            "text_version": consent["text_version"],
            "field_id": consent["field_id"],
        }
        found.append(
            event(
                consent["answer_event_id"],
                "consent.answered",
                consent["answered_at"],
                "lobby-01",
                link | answer,
            )
        )
        if consent["withdrawn_at"] is not None:
            withdrawal = {"withdrawn_at": _stamp(consent["withdrawn_at"])}
            found.append(
                event(
                    consent["withdrawal_event_id"],
                    "consent.withdrawn",
                    consent["withdrawn_at"],
                    "lobby-01",
                    link | withdrawal,
                )
            )
    issued = {
        "ticket_id": visit.ticket_id,
        "day": day,
        "field_id": visit.field_id,
        "number": visit.number,
        "label": visit.label,
        "priority": visit.priority,
        "waiting_ahead": 0,
        "issued_at": _stamp(visit.issued_at),
    }
    found.append(
        event(
            _derived_id("issued", visit.ticket_id),
            "ticket.issued",
            visit.issued_at,
            "lobby-01",
            issued,
        )
    )
    called_sessions: set[str] = set()
    for change in visit.changes:
        if change.state == SKIPPED:
            type = "ticket.skipped"
        else:
            recall = change.session_id in called_sessions
            type = "ticket.recalled" if recall else "ticket.called"
            called_sessions.add(change.session_id)
        data = {
            "day": day,
            "label": visit.label,
            "counter": change.counter,
            "officer_id": change.officer_id,
            "session_id": change.session_id,
            "ticket_id": change.ticket_id,
            "field_id": change.field_id,
        }
        device = f"counter-{change.counter:02d}"
        found.append(event(change.change_id, type, change.occurred_at, device, data))
    session = visit.session
    if session is None:
        return found
    device = f"counter-{session['counter']:02d}"
    names = ("session_id", "label", "field_id", "counter", "officer_id", "outcome")
    closed = {name: session[name] for name in names} | {
        "day": day,
        "called_at": _stamp(session["called_at"]),
        "closed_at": _stamp(session["closed_at"]),
        "same_day_result": session["same_day_result"],
        "officer_rating": {
            "scale": session["officer_rating_scale"],
            "level": session["officer_rating_level"],
        },
        "flags": session["flags"],
    }
    closed_id = _derived_id("closed", session["session_id"])
    found.append(event(closed_id, "session.closed", session["closed_at"], device, closed))
    rating = visit.rating
    if rating is not None:
        names = ("session_id", "counter", "officer_id", "field_id", "rated", "scale", "level")
        rated_at = rating["rated_at"]
        data = {name: rating[name] for name in names} | {
            "day": day,
            "reasons": [],
            "rated_at": None if rated_at is None else _stamp(rated_at),
            "flags": rating["flags"],
        }
        moment = rated_at or session["closed_at"]
        found.append(event(rating["event_id"], "rating.citizen", moment, device, data))
    return found


# ----------------------------------------------------------------- loading


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


COLUMNS = {
    "tickets": (
        "office", "ticket_id", "day", "label", "number", "field_id", "priority", "issued_at",
        "state", "state_at", "called_at", "counter", "officer_id", "session_id", "first_called_at",
        "first_counter", "first_officer_id",
    ),
    "ticket_changes": (
        "office", "change_id", "day", "label", "field_id", "ticket_id", "state", "occurred_at",
        "counter", "officer_id", "session_id",
    ),
    "sessions": (
        "office", "session_id", "day", "label", "field_id", "counter", "officer_id", "called_at",
        "closed_at", "outcome", "same_day_result", "officer_rating_scale", "officer_rating_level",
        "flags", "dossier_code",
    ),
    "ratings": (
        "event_id", "office", "session_id", "day", "counter", "officer_id", "field_id", "rated",
        "scale", "level", "rated_at", "counted", "flags",
    ),
    "consents": (
        "office", "consent_id", "day", "device_id", "ticket_id", "label", "field_id", "answer",
        "answered_at", "language", "text_version", "answer_event_id", "withdrawn_at",
        "withdrawal_event_id",
    ),
}  # fmt: skip


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return psycopg.types.json.Json(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return value


def load(
    database_url: str, *, offices: int, days: int, tickets: int, seed: int, reset: bool
) -> dict[str, int]:
    """Write the city-month; returns the rows written per table."""
    db = Database(database_url)
    try:
        db.create_schema()
    finally:
        db.dispose()
    written = dict.fromkeys(TABLES, 0)
    with psycopg.connect(_libpq(database_url)) as conn:
        if reset:
            conn.execute(f"TRUNCATE {', '.join(TABLES)}")
        for day, visits in city_days(offices, days, tickets, seed):
            arrived = sorted(
                (row for visit in visits for row in rows_of(visit)), key=lambda row: row[0]
            )
            for table in TABLES:
                names = COLUMNS[table]
                with conn.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                    for _, of, row in arrived:
                        if of == table:
                            copy.write_row([_cell(row[name]) for name in names])
                            written[table] += 1
            conn.commit()
            print(f"{day}: {len(visits)} tickets", file=sys.stderr, flush=True)
        # As autovacuum leaves a month-old table: its statistics and visibility map made.
        conn.autocommit = True
        conn.execute(f"VACUUM (ANALYZE) {', '.join(TABLES)}")
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the server's PostgreSQL URL")
    parser.add_argument("--offices", type=int, default=126)
    parser.add_argument("--days", type=int, default=22)
    parser.add_argument("--tickets", type=int, default=500, help="per office and day")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--reset", action="store_true", help="empty the tables first")
    args = parser.parse_args()
    started = time.monotonic()
    written = load(
        args.db,
        offices=args.offices,
        days=args.days,
        tickets=args.tickets,
        seed=args.seed,
        reset=args.reset,
    )
    print(
        " ".join(f"{table}={n}" for table, n in written.items()),
        f"in {time.monotonic() - started:.0f} s",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
