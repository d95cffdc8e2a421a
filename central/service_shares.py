"""The two shares the service report gives beside its own figures, per row and in total: the
citizens' satisfaction (ballots and tỷ lệ hài lòng, as the satisfaction report counts them) and
the share of visits whose citizen consented to the ID read (as central.consents counts them).

A row's key is the service report's: a rating counts in the row of its session's day, field,
counter or officer, and by hour in that of the hour its session was called (a rating whose
session has not arrived counts in the total only). Consent is asked at the lobby, before any
counter: by day, field and the hour its ticket was issued; by counter or officer it is given in
the total only (`consent` null in the rows).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, select

from central.consents import ConsentTally, consent_figures
from central.db import Database
from central.reports import SATISFIED, Grouping, percent, satisfaction_report
from central.schema import consents, ratings, sessions, tickets
from central.service_report import ServiceGrouping


@dataclass(frozen=True)
class SatisfactionShare:
    ballots: int
    satisfied: int
    satisfaction_rate: float | None


@dataclass(frozen=True)
class ConsentShare:
    visits: int
    consented: int
    consent_rate: float | None


@dataclass(frozen=True)
class Shares:
    satisfaction: SatisfactionShare
    consent: ConsentShare | None  # None: not given per row for this grouping


@dataclass(frozen=True)
class ServiceShares:
    rows: dict[str, Shares]
    total: Shares
    consent_per_row: bool

    def of(self, key: str) -> Shares:
        """The shares of a row of the service report (one without ratings has no ballots)."""
        empty = Shares(_NO_BALLOTS, _NO_CONSENT if self.consent_per_row else None)
        return self.rows.get(key, empty)


_NO_BALLOTS = SatisfactionShare(0, 0, None)
_NO_CONSENT = ConsentShare(0, 0, None)


def service_shares(
    db: Database, *, office: str, first: date, last: date, by: ServiceGrouping, zone: ZoneInfo
) -> ServiceShares:
    """The shares of the office days `first`..`last` per key of `by`, and in total."""
    if by == "hour":
        satisfaction, satisfaction_total = _satisfaction_by_hour(db, office, first, last, zone)
        consent, consent_total = _consent_by_hour(db, office, first, last, zone)
    else:
        satisfaction, satisfaction_total = _satisfaction(db, office, first, last, by)
        figures = consent_figures(db, office=office, first=first, last=last, by=by)
        consent_total = _consent_share(figures.total)
        consent = {row.key: _consent_share(row) for row in figures.rows}
    per_row = by in ("day", "field", "hour")
    rows = {
        key: Shares(
            satisfaction.get(key, _NO_BALLOTS),
            consent.get(key, _NO_CONSENT) if per_row else None,
        )
        for key in satisfaction.keys() | consent.keys()
    }
    return ServiceShares(rows, Shares(satisfaction_total, consent_total), per_row)


def _satisfaction(
    db: Database, office: str, first: date, last: date, by: ServiceGrouping
) -> tuple[dict[str, SatisfactionShare], SatisfactionShare]:
    report = satisfaction_report(db, office=office, first=first, last=last, by=cast(Grouping, by))

    def share(levels: list[Any], ballots: int, rate: float | None) -> SatisfactionShare:
        satisfied = sum(level.count for level in levels if level.level in SATISFIED)
        return SatisfactionShare(ballots, satisfied, rate)

    rows = {row.key: share(row.levels, row.ballots, row.satisfaction_rate) for row in report.rows}
    total = report.total
    return rows, share(total.levels, total.ballots, total.satisfaction_rate)


def _satisfaction_by_hour(
    db: Database, office: str, first: date, last: date, zone: ZoneInfo
) -> tuple[dict[str, SatisfactionShare], SatisfactionShare]:
    """Counted ballots by the hour their session was called; levels 1 and 2 are the satisfied
    ones on both scales (central.reports)."""
    rows = _joined_in_period(
        db,
        (ratings, sessions, "session_id"),
        (ratings.c.level, sessions.c.called_at),
        (office, first, last),
        ratings.c.counted.is_(True),
        ratings.c.level.is_not(None),
    )
    hours, every = _by_hour([(row.level in SATISFIED, row.called_at) for row in rows], zone)
    return {key: _satisfaction_share(*n) for key, n in hours.items()}, _satisfaction_share(*every)


def _consent_by_hour(
    db: Database, office: str, first: date, last: date, zone: ZoneInfo
) -> tuple[dict[str, ConsentShare], ConsentShare]:
    """The visits asked (answers that led to a ticket) by the hour their ticket was issued; a
    ticket whose issue has not arrived counts in the total only."""
    rows = _joined_in_period(
        db,
        (consents, tickets, "ticket_id"),
        (consents.c.answer, consents.c.withdrawn_at, tickets.c.issued_at),
        (office, first, last),
        consents.c.answer.is_not(None),
        consents.c.ticket_id.is_not(None),
    )
    consented = [(r.answer == "yes" and r.withdrawn_at is None, r.issued_at) for r in rows]
    hours, every = _by_hour(consented, zone)
    return {key: _consent_share_of(*n) for key, n in hours.items()}, _consent_share_of(*every)


def _joined_in_period(
    db: Database,
    tables: tuple[Table, Table, str],
    columns: tuple[ColumnElement[Any], ...],
    period: tuple[str, date, date],
    *conditions: ColumnElement[bool],
) -> list[Any]:
    """`columns` of the rows of the office days of `period` in the first table, each with its
    row of the second (same office and `tables[2]` key), if that row has arrived."""
    left, right, key = tables
    office, first, last = period
    joined = left.outerjoin(
        right, and_(right.c.office == left.c.office, right.c[key] == left.c[key])
    )
    statement = (
        select(*columns)
        .select_from(joined)
        .where(left.c.office == office, left.c.day >= first, left.c.day <= last, *conditions)
    )
    return db.read(lambda conn: conn.execute(statement).all())


def _by_hour(
    marks: list[tuple[bool, datetime | None]], zone: ZoneInfo
) -> tuple[dict[str, tuple[int, int]], tuple[int, int]]:
    """(count, yes) per hour ("08") of each mark's moment in `zone`, and of every mark (one
    without a moment counts in the total only)."""
    hours: dict[str, list[bool]] = defaultdict(list)
    for yes, moment in marks:
        if moment is not None:
            hours[f"{moment.astimezone(zone).hour:02d}"].append(yes)

    def counted(found: list[bool]) -> tuple[int, int]:
        return len(found), sum(found)

    every = [yes for yes, _moment in marks]
    return {key: counted(found) for key, found in hours.items()}, counted(every)


def _satisfaction_share(ballots: int, satisfied: int) -> SatisfactionShare:
    return SatisfactionShare(ballots, satisfied, percent(satisfied, ballots) if ballots else None)


def _consent_share_of(visits: int, consented: int) -> ConsentShare:
    return ConsentShare(visits, consented, percent(consented, visits) if visits else None)


def _consent_share(tally: ConsentTally) -> ConsentShare:
    return ConsentShare(tally.visits, tally.consented, tally.consent_rate)
