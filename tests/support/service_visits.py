"""The known set of visits of the service report's tests (tests/central/test_service_report.py)
and the report pages' (tests/central/test_report_pages.py): recalls, a skip then taken again, a
no-show, calls typed offline before their ticket arrived, a session whose ticket never arrived,
two days, labels reused the next day, citizens' ratings arriving before or after their session,
consent answered, refused and withdrawn; how to play them through the API, and the figures
computed here from the visits themselves (never by the code under test)."""

from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from common.office_clock import default_rule
from kiosk.consent import Answer, consent_events
from tests.support.api import Api, Events
from tests.support.central import enroll_device

ZONE = default_rule().timezone
JUNE_2 = date(2025, 6, 2)
JUNE_3 = date(2025, 6, 3)
PERIOD = {"from": "2025-06-01", "to": "2025-06-30"}
OFFICERS = {2: "cb-01", 3: "cb-02", 10: "cb-03"}
GROUPINGS = ("day", "field", "counter", "officer", "hour")


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), ZONE)


ID, TYPED, TYPED_FIELD = "id", "typed", "typed with field"
NOT_RATED = 0  # the citizen's rating event says the citizen chose no level
CONSENT_TEXT = "cd" * 32


@dataclass
class Visit:
    """A ticket and what the counters did with it: `actions` are (type, moment, counter, how
    the change names its ticket: ID by its ticket id, TYPED by day and label only, TYPED_FIELD
    by day, label and field: a number typed offline), `close` the session's (called_at,
    closed_at, counter, same-day result), `rating` the citizen's level of the session (scale 3;
    NOT_RATED, or None: no rating event), `consent` the lobby's answer ("yes", "no",
    "withdrawn": yes then withdrawn; None: not asked)."""

    day: date
    label: str
    field_id: str
    issued_at: datetime | None
    actions: list[tuple[str, datetime, int, str]] = field(default_factory=list)
    close: tuple[datetime, datetime, int, bool] | None = None
    rating: int | None = None
    consent: str | None = None


def visits() -> list[Visit]:
    d1, d2 = JUNE_2, JUNE_3
    return [
        Visit(d1, "1001", "ho-tich", at(d1, 8, 0), [("ticket.called", at(d1, 8, 5), 2, ID)],
              (at(d1, 8, 5), at(d1, 8, 15), 2, True), 1, "yes"),
        Visit(d1, "1002", "ho-tich", at(d1, 8, 10),
              [("ticket.called", at(d1, 8, 20), 2, ID),
               ("ticket.recalled", at(d1, 8, 22), 2, ID)],
              (at(d1, 8, 20), at(d1, 8, 30), 2, False), 3, "no"),
        Visit(d1, "1003", "dat-dai", at(d1, 8, 20),
              [("ticket.called", at(d1, 8, 25), 3, ID),
               ("ticket.skipped", at(d1, 8, 28), 3, ID),
               ("ticket.called", at(d1, 9, 10), 2, ID)],
              (at(d1, 9, 10), at(d1, 9, 40), 2, True), 2, "withdrawn"),
        Visit(d1, "1004", "dat-dai", at(d1, 8, 30),
              [("ticket.called", at(d1, 8, 40), 3, ID),
               ("ticket.skipped", at(d1, 8, 42), 3, ID)], consent="yes"),
        Visit(d1, "1005", "ho-tich", at(d1, 9, 5), [("ticket.called", at(d1, 9, 20), 3, TYPED)],
              (at(d1, 9, 20), at(d1, 9, 26), 3, True), NOT_RATED, "yes"),
        Visit(d1, "1006", "ho-tich", at(d1, 9, 30), consent="no"),
        # Number 1006 of another field typed at counter 3: not the ticket above, which waits.
        Visit(d1, "1006", "dat-dai", None, [("ticket.called", at(d1, 9, 45), 3, TYPED_FIELD)]),
        Visit(d2, "1001", "ho-tich", at(d2, 8, 0),
              [("ticket.called", at(d2, 8, 3), 2, TYPED_FIELD)],
              (at(d2, 8, 3), at(d2, 8, 9), 2, True), 1, "yes"),
        Visit(d2, "1002", "dat-dai", at(d2, 8, 15), [("ticket.called", at(d2, 8, 45), 3, ID)],
              (at(d2, 8, 45), at(d2, 9, 5), 3, False), 2, "yes"),
        # The lobby's ticket.issued never arrived: served, not issued.
        Visit(d2, "1003", "ho-tich", None, [("ticket.called", at(d2, 9, 0), 2, TYPED)],
              (at(d2, 9, 0), at(d2, 9, 12), 2, True), 1),
        Visit(d2, "1004", "ho-tich", at(d2, 9, 40), [("ticket.called", at(d2, 9, 41), 3, ID)]),
        # Counter 10: its row comes after counter 3's.
        Visit(d2, "1005", "dat-dai", at(d2, 9, 50), [("ticket.called", at(d2, 10, 0), 10, ID)],
              (at(d2, 10, 0), at(d2, 10, 10), 10, True), 3, "no"),
        # Outside the period.
        Visit(date(2025, 5, 31), "1001", "ho-tich", at(date(2025, 5, 31), 8, 0),
              [("ticket.called", at(date(2025, 5, 31), 8, 1), 2, ID)],
              (at(date(2025, 5, 31), 8, 1), at(date(2025, 5, 31), 8, 2), 2, True), 3, "no"),
    ]  # fmt: skip


def events_of(visit: Visit, make: Events) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The lobby's events (its consent answer and ticket.issued, when they arrived) and the
    counters' events."""
    ticket_id = str(uuid.uuid4())
    lobby: list[dict[str, Any]] = []
    if visit.issued_at is not None:
        if visit.consent is not None:
            answered = visit.issued_at - timedelta(seconds=40)
            answer = Answer.given(
                visit.consent != "no", answered, "vi", CONSENT_TEXT, visit.field_id
            )
            if visit.consent == "withdrawn":
                answer = answer.withdrawn(answered + timedelta(seconds=20))
            lobby += consent_events(
                answer,
                day=visit.day,
                ticket_id=ticket_id,
                label=visit.label,
                office=make.office,
                device_id="lobby-01",
            )
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
        if visit.rating is not None:
            counters.append(
                make.citizen_rating(
                    level=None if visit.rating == NOT_RATED else visit.rating,
                    session_id=session_id,
                    day=visit.day,
                    counter=counter,
                    officer_id=OFFICERS[counter],
                    field_id=visit.field_id,
                    device_id=f"counter-{counter:02d}",
                )
            )
    return lobby, counters


PLAYED_OFFICE = "09999"  # below the conftest's office numbers: no other test uses it


def play(base_url: str, database_url: str, office: str, *, lobby_first: bool) -> None:
    """Counters first (calls typed offline and calls by id wait for their tickets), then the
    lobby's tickets; or the lobby first, then the counters' events newest first (a close before
    its call, a skip before the call it skips)."""
    make = Events(office)
    tokens = {
        f"counter-{n:02d}": enroll_device(
            database_url, office, "counter", f"counter-{n:02d}", counter=n
        )
        for n in OFFICERS
    }
    lobby_events: list[dict[str, Any]] = []
    counter_events: list[dict[str, Any]] = []
    for visit in visits():
        at_lobby, at_counters = events_of(visit, make)
        lobby_events += at_lobby
        counter_events += at_counters
    if lobby_first:
        counter_events.reverse()
        lobby_events.reverse()
    batches = [(event["device_id"], [event]) for event in counter_events]
    lobby_batch = ("lobby-01", lobby_events)
    batches = [lobby_batch, *batches] if lobby_first else [*batches, lobby_batch]
    tokens["lobby-01"] = enroll_device(database_url, office, "lobby", "lobby-01")
    results: list[dict[str, Any]] = []
    for device_id, events in batches:
        with Api(base_url, tokens[device_id], office=office) as sender:
            results += sender.results(events)
    assert all(result["status"] == "accepted" for result in results), results


def percentile_90(values: list[float]) -> float:
    """The smallest value that at least 90 % of the values do not exceed."""
    ordered = sorted(values)
    return next(v for v in ordered if sum(w <= v for w in ordered) >= 0.9 * len(ordered))


def figures(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0, "median": None, "p90": None, "max": None}
    return {
        "count": len(values),
        "median": round(statistics.median(values), 1),
        "p90": round(percentile_90(values), 1),
        "max": round(max(values), 1),
    }


def expected(by: str) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The rows and the total, computed from the visits of June."""
    june = [v for v in visits() if v.day.month == 6]
    rows: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(list))
    total: dict[str, Any] = defaultdict(list)

    def key(visit: Visit, moment: datetime, counter: int) -> str:
        return {
            "day": visit.day.isoformat(),
            "field": visit.field_id,
            "counter": str(counter),
            "officer": OFFICERS.get(counter, ""),
            "hour": f"{moment.astimezone(ZONE).hour:02d}",
        }[by]

    for visit in june:
        if visit.issued_at is not None:
            calls = sorted(a for a in visit.actions if a[0] != "ticket.skipped")
            last = max(visit.actions, default=None)
            first_counter = calls[0][2] if calls else None
            in_rows = first_counter is not None or by not in ("counter", "officer")
            targets = [total]
            if in_rows:
                targets.append(rows[key(visit, visit.issued_at, first_counter or 0)])
            for target in targets:
                target["issued"].append(1)
                if calls:
                    target["called"].append(1)
                    target["waits"].append((calls[0][1] - visit.issued_at).total_seconds())
                if last is None:
                    target["waiting_at_close"].append(1)
                if last is not None and last[0] == "ticket.skipped" and visit.close is None:
                    target["no_shows"].append(1)
            if visit.consent is not None:
                asked = [total]
                if by in ("day", "field", "hour"):
                    asked.append(rows[key(visit, visit.issued_at, 0)])
                for target in asked:
                    target["consent_visits"].append(1)
                    target["consented"].append(int(visit.consent == "yes"))
        if visit.close is not None:
            called_at, closed_at, counter, same_day = visit.close
            for target in (total, rows[key(visit, called_at, counter)]):
                target["served"].append(1)
                target["same_day"].append(int(same_day))
                target["services"].append((closed_at - called_at).total_seconds())
                if visit.rating not in (None, NOT_RATED):
                    target["satisfied"].append(int(visit.rating in (1, 2)))

    def rate(part: list[int]) -> float | None:
        return round(100 * sum(part) / len(part), 1) if part else None

    def tally(raw: dict[str, Any], *, consent_per_row: bool = True) -> dict[str, Any]:
        served = len(raw["served"])
        consent = {
            "visits": len(raw["consent_visits"]),
            "consented": sum(raw["consented"]),
            "consent_rate": rate(raw["consented"]),
        }
        return {
            "issued": len(raw["issued"]),
            "called": len(raw["called"]),
            "served": served,
            "no_shows": len(raw["no_shows"]),
            "waiting_at_close": len(raw["waiting_at_close"]),
            "wait": figures(raw["waits"]),
            "service": figures(raw["services"]),
            "same_day_results": sum(raw["same_day"]),
            "same_day_rate": round(100 * sum(raw["same_day"]) / served, 1) if served else None,
            "satisfaction": {
                "ballots": len(raw["satisfied"]),
                "satisfied": sum(raw["satisfied"]),
                "satisfaction_rate": rate(raw["satisfied"]),
            },
            "consent": consent if consent_per_row else None,
        }

    def order(item: tuple[str, Any]) -> Any:
        return int(item[0]) if by == "counter" else item[0]

    per_row = by in ("day", "field", "hour")
    return (
        {k: tally(v, consent_per_row=per_row) for k, v in sorted(rows.items(), key=order)},
        tally(total),
    )
