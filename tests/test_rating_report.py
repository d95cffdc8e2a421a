"""1,000 visits across 3 counters and two office days, played through the lobby and counter
services against a real central server, then its satisfaction report (by officer, field,
counter and day; JSON and CSV) checked against the visits played.

Yesterday's visits are played as a counter without the server plays them (tickets scanned,
verified with the lobby's key), today's through call-next. The visits mix every path: rated at
each level, negative with reasons, not rated in time, no-shows (never rated), second presses
(kept, not counted), instant presses and short sessions (flagged, counted).
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter as Tally
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from kiosk.counter import CounterService
from kiosk.ticket_keys import TicketKeys
from tests.support.central import central_server
from tests.support.clocks import Clock, office_morning
from tests.support.counter import PINS, Counter, Lobby, report

# The consent figures' columns (central.consents), after the rating's.
CONSENT_CSV_COLUMNS = [
    "visits_asked",
    "consent_yes",
    "consent_no",
    "consent_withdrawn",
    "consented",
    "consent_rate",
]

VISITS_YESTERDAY = 300
VISITS_TODAY = 700
LABELS = ("Rất hài lòng", "Hài lòng", "Không hài lòng")
FIELDS = ("ho-tich", "chung-thuc", "dat-dai-xay-dung", "cu-tru", "tu-van")
COUNTER_FIELDS = {
    1: ("ho-tich", "chung-thuc", "tu-van"),
    2: ("dat-dai-xay-dung", "cu-tru", "tu-van"),
    3: (),  # every field
}
# Who sits at each counter: (yesterday, today's morning, today's afternoon).
SHIFTS = {
    1: ("officer-chi", "officer-an", "officer-an"),
    2: ("officer-an", "officer-binh", "officer-chi"),
    3: ("officer-dung", "officer-dung", "officer-binh"),
}
REASONS = ("thai-do", "huong-dan", "cho-lau", "di-lai-nhieu-lan", "giay-to-ngoai-quy-dinh")
OVERALL = "phien-lam-viec"


@dataclass(frozen=True)
class Visit:
    """What was played: the keys of the report, and the citizen's counted level (None: not
    rated). No-shows are not visits of the report and are not kept here."""

    day: date
    counter: int
    officer: str
    field: str
    level: int | None


class Desk:
    """One counter and its officers' shifts."""

    def __init__(self, counter: Counter, rng: random.Random) -> None:
        self.counter = counter
        self.number = counter.config.counter.number
        self.clock = counter.clock
        self.service: CounterService = counter.service
        self.rng = rng
        self.paths: Tally[str] = Tally()  # how often each path was played

    def shift(self, officer: str) -> None:
        current = self.counter.officers.current
        if current is None or current.id != officer:
            self.counter.officers.sign_in(officer, PINS[officer])

    def later(self, seconds: float) -> None:
        self.clock.now += timedelta(seconds=seconds)

    def serve(self, session_field: str, session_day: date, played: list[Visit]) -> None:
        """Serve the ticket just called, the way this visit goes."""
        rng = self.rng
        officer = self.counter.officers.current.id
        if rng.random() < 0.05:
            self.later(rng.uniform(60, 180))
            self.service.skip()
            self.paths["no-show"] += 1
            return
        self.service.start_serving()
        # One session in 20 is closed within seconds: flagged short_session, still counted.
        short = rng.random() < 0.05
        self.later(rng.uniform(5, 25) if short else rng.uniform(90, 600))
        self.paths["short"] += short
        outcome = rng.choice(("da-tiep-nhan", "can-bo-sung", "tu-choi", "tu-van"))
        self.service.close_session(outcome, rng.random() < 0.6, {OVERALL: rng.randint(1, 3)})
        window = self.service.open_rating()
        if rng.random() < 0.08:
            self.later(31)
            assert self.service.rating_timed_out()
            self.paths["not rated"] += 1
            played.append(Visit(session_day, self.number, officer, session_field, None))
            return
        level = rng.choices((1, 2, 3), weights=(55, 30, 15))[0]
        reasons = rng.sample(REASONS, rng.randint(0, 2)) if level == 3 else []
        instant = rng.random() < 0.03
        pressed = window.opened_at + timedelta(seconds=0.3 if instant else rng.uniform(2, 20))
        recorded = self.service.record_citizen_rating(level, reasons, pressed_at=pressed)
        assert recorded.counted and ("instant_press" in recorded.flags) == instant
        assert ("short_session" in recorded.flags) == short
        self.paths["instant"] += instant
        self.paths["top burst"] += "top_burst" in recorded.flags
        self.paths["reasons"] += bool(reasons)
        if rng.random() < 0.04:  # pressed again: kept and flagged, never counted
            self.paths["second press"] += 1
            again = self.service.record_citizen_rating(
                rng.randint(1, 3), [], pressed_at=pressed + timedelta(seconds=1)
            )
            assert not again.counted and "second_press" in again.flags
        self.clock.now = max(self.clock.now, pressed) + timedelta(seconds=5)
        self.service.rating_timed_out()
        played.append(Visit(session_day, self.number, officer, session_field, level))


def expected_rows(played: list[Visit], by: str) -> dict[str, tuple]:
    """key → (ballots, not_rated, level counts, level percents, satisfaction rate), and the
    total under "total", computed from the visits played."""
    groups: dict[str, list[Visit]] = defaultdict(list)
    for visit in played:
        key = {
            "officer": visit.officer,
            "field": visit.field,
            "counter": str(visit.counter),
            "day": visit.day.isoformat(),
        }[by]
        groups[key].append(visit)
        groups["total"].append(visit)
    out = {}
    for key, visits in groups.items():
        levels = Tally(v.level for v in visits)
        ballots = sum(n for level, n in levels.items() if level is not None)
        counts = [levels[level] for level in (1, 2, 3)]
        out[key] = (
            ballots,
            levels[None],
            counts,
            [percent(n, ballots) for n in counts],
            percent(counts[0] + counts[1], ballots) if ballots else None,
        )
    return out


def percent(part: int, whole: int) -> float:
    """One decimal, halves up, 0.0 without a whole: as the contract says."""
    if not whole:
        return 0.0
    exact = Decimal(part * 100) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def test_a_thousand_visits_and_the_satisfaction_report(tmp_path: Path) -> None:
    rng = random.Random(20250901)
    today = office_morning()
    yesterday = today - timedelta(days=1)
    with central_server(tmp_path) as central:
        lobby_clock = Clock(yesterday)
        lobby = Lobby(tmp_path / "lobby", lobby_clock)
        lobby.enrol(central)
        desks = []
        for number, fields in COUNTER_FIELDS.items():
            counter = Counter(
                tmp_path / f"counter-{number}", Clock(yesterday), number=number, fields=fields
            )
            counter.enrol(central, counter=number)
            TicketKeys(counter.config.device.data_dir).import_key(
                lobby.config.device.data_dir / "device.key", "lobby-01"
            )
            desks.append(Desk(counter, rng))
        played: list[Visit] = []

        # Yesterday, the central server was unreachable all day: every ticket scanned.
        tickets = []
        for _ in range(VISITS_YESTERDAY):
            tickets.append(lobby.issue(rng.choice(FIELDS), priority=rng.random() < 0.1))
            lobby_clock.now += timedelta(seconds=30)
        for desk in desks:
            desk.shift(SHIFTS[desk.number][0])
        for index, ticket in enumerate(tickets):
            desk = desks[index % 3]
            session = desk.service.take_ticket(qr_payload=ticket.qr_payload)
            desk.serve(session.field_id, session.day, played)
            desk.later(rng.uniform(10, 120))

        # Today, with the server: the lobby issues, the counters call next.
        lobby_clock.now = today
        for desk in desks:
            desk.clock.now = today + timedelta(minutes=30)
        for _ in range(VISITS_TODAY):
            lobby.issue(rng.choice(FIELDS), priority=rng.random() < 0.1)
            lobby_clock.now += timedelta(seconds=20)
        assert lobby.sync()["quarantined"] == 0  # both days' tickets
        called = 0
        while called < VISITS_TODAY:
            progress = called
            for desk in desks:
                morning, afternoon = SHIFTS[desk.number][1:]
                desk.shift(morning if called < VISITS_TODAY // 2 else afternoon)
                session = desk.service.call_next()
                if session is None:
                    continue
                called += 1
                desk.serve(session.field_id, session.day, played)
                desk.later(rng.uniform(10, 60))
            assert called > progress, "tickets were left that no counter calls"
        for desk in desks:
            assert desk.service.call_next() is None
            sent = desk.counter.sync()
            assert sent["quarantined"] == 0 and sent["duplicates"] == 0

        base_url, token = central[0], desks[0].counter.token()
        first, last = yesterday.date().isoformat(), today.date().isoformat()
        for by in ("officer", "field", "counter", "day"):
            body = report(base_url, token, first=first, last=last, by=by)
            expected = expected_rows(played, by)
            got = {
                row["key"]: (
                    row["ballots"],
                    row["not_rated"],
                    [level["count"] for level in row["levels"]],
                    [level["percent"] for level in row["levels"]],
                    row["satisfaction_rate"],
                )
                for row in [*body["rows"], {"key": "total", **body["total"]}]
            }
            assert got == expected, by
            assert [row["key"] for row in body["rows"]] == sorted(expected.keys() - {"total"})
            assert [level["label"] for level in body["total"]["levels"]] == list(LABELS)

            table = list(
                csv.reader(
                    io.StringIO(report(base_url, token, first=first, last=last, by=by, csv=True))
                )
            )
            assert table[0] == [
                "key",
                "ballots",
                "not_rated",
                "level_1",
                "level_2",
                "level_3",
                "satisfaction_rate",
                *CONSENT_CSV_COLUMNS,
            ]
            assert {
                row[0]: [int(n) for n in row[1:6]] + [float(row[6]) if row[6] else None]
                for row in table[1:]
            } == {
                key: [ballots, not_rated, *counts, rate]
                for key, (ballots, not_rated, counts, _, rate) in expected.items()
            }
            assert table[-1][0] == "total"

        paths = sum((desk.paths for desk in desks), Tally())
        assert len(played) + paths["no-show"] == VISITS_YESTERDAY + VISITS_TODAY
        assert min(paths.values()) >= 5, paths  # every path played, more than once
        assert {v.day for v in played} == {yesterday.date(), today.date()}
        for desk in desks:
            desk.counter.close()
        lobby.close()
