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
from datetime import date
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, select

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

    def read(conn: Connection) -> list[Any]:
        return conn.execute(
            select(ratings.c.level, sessions.c.called_at)
            .select_from(
                ratings.outerjoin(
                    sessions,
                    and_(
                        sessions.c.office == ratings.c.office,
                        sessions.c.session_id == ratings.c.session_id,
                    ),
                )
            )
            .where(
                ratings.c.office == office,
                ratings.c.day >= first,
                ratings.c.day <= last,
                ratings.c.counted.is_(True),
                ratings.c.level.is_not(None),
            )
        ).all()

    ballots: dict[str, list[bool]] = defaultdict(list)
    every: list[bool] = []
    for row in db.read(read):
        satisfied = row.level in SATISFIED
        every.append(satisfied)
        if row.called_at is not None:
            ballots[f"{row.called_at.astimezone(zone).hour:02d}"].append(satisfied)
    return {key: _satisfaction_share(found) for key, found in ballots.items()}, (
        _satisfaction_share(every)
    )


def _satisfaction_share(satisfied: list[bool]) -> SatisfactionShare:
    n, yes = len(satisfied), sum(satisfied)
    return SatisfactionShare(n, yes, percent(yes, n) if n else None)


def _consent_by_hour(
    db: Database, office: str, first: date, last: date, zone: ZoneInfo
) -> tuple[dict[str, ConsentShare], ConsentShare]:
    """The visits asked (answers that led to a ticket) by the hour their ticket was issued; a
    ticket whose issue has not arrived counts in the total only."""

    def read(conn: Connection) -> list[Any]:
        return conn.execute(
            select(consents.c.answer, consents.c.withdrawn_at, tickets.c.issued_at)
            .select_from(
                consents.outerjoin(
                    tickets,
                    and_(
                        tickets.c.office == consents.c.office,
                        tickets.c.ticket_id == consents.c.ticket_id,
                    ),
                )
            )
            .where(
                consents.c.office == office,
                consents.c.day >= first,
                consents.c.day <= last,
                consents.c.answer.is_not(None),
                consents.c.ticket_id.is_not(None),
            )
        ).all()

    visits: dict[str, list[bool]] = defaultdict(list)
    every: list[bool] = []
    for row in db.read(read):
        consented = row.answer == "yes" and row.withdrawn_at is None
        every.append(consented)
        if row.issued_at is not None:
            visits[f"{row.issued_at.astimezone(zone).hour:02d}"].append(consented)
    return {key: _consent_of(found) for key, found in visits.items()}, _consent_of(every)


def _consent_of(consented: list[bool]) -> ConsentShare:
    n, yes = len(consented), sum(consented)
    return ConsentShare(n, yes, percent(yes, n) if n else None)


def _consent_share(tally: ConsentTally) -> ConsentShare:
    return ConsentShare(tally.visits, tally.consented, tally.consent_rate)
