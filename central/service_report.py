"""The service report: tickets, waiting, service and same-day results per day, field, counter,
officer or hour of one office's period, and the arrivals per hour and field.

The definitions are those of docs/central-api.md (`GET …/reports/service`). A ticket's first call is
the earliest of the calls and recalls that are its own under the ordering rule of
central.ticket_state (by its ticket id, or typed offline by its day and label), kept on its row
by the fold (`first_called_at`, `first_counter`, `first_officer_id`). Waiting is issued → first
call; a skip and a later call, or a recall, do not change it. Service is the closed session's
call → close, so a ticket skipped then taken again is served from its last call.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from central import service_sql
from central.csv_cells import csv_cell
from central.db import Database
from central.reports import TOTAL_KEY, percent
from central.schema import sessions, tickets
from central.ticket_state import SKIPPED, WAITING

if TYPE_CHECKING:
    from central.service_shares import ServiceShares

ServiceGrouping = Literal["day", "field", "counter", "officer", "hour"]

# The service figures of a tally, in CSV_COLUMNS and in the city view's CSV (service_cells).
SERVICE_COLUMNS = (
    "issued",
    "called",
    "served",
    "no_shows",
    "waiting_at_close",
    "wait_median_s",
    "wait_p90_s",
    "wait_max_s",
    "service_median_s",
    "service_p90_s",
    "service_max_s",
    "same_day_results",
    "same_day_rate",
)
CSV_COLUMNS = (
    "key",
    *SERVICE_COLUMNS,
    "ballots",
    "satisfied",
    "satisfaction_rate",
    "consent_visits",
    "consented",
    "consent_rate",
)


@dataclass(frozen=True)
class Durations:
    """Seconds, one decimal (halves up); None without a duration."""

    count: int
    median: float | None
    p90: float | None
    max: float | None


@dataclass(frozen=True)
class ServiceTally:
    issued: int
    called: int
    served: int
    no_shows: int
    waiting_at_close: int
    wait: Durations
    service: Durations
    same_day_results: int
    same_day_rate: float | None


@dataclass(frozen=True)
class ServiceRow(ServiceTally):
    key: str


@dataclass(frozen=True)
class Arrival:
    hour: int
    field_id: str
    tickets: int


@dataclass(frozen=True)
class ServiceReport:
    office: str
    first: date
    last: date
    by: ServiceGrouping
    rows: list[ServiceRow]
    total: ServiceTally
    arrivals: list[Arrival]


@dataclass
class ServiceSample:
    """The raw material of one row: counts and the durations, in seconds. Samples of several
    offices pool (`pooled`) into the figures of all their tickets: a city's median wait is that
    of every ticket of its offices, not a median of the offices' medians."""

    issued: int = 0
    called: int = 0
    served: int = 0
    no_shows: int = 0
    waiting_at_close: int = 0
    same_day_results: int = 0
    waits: list[float] = field(default_factory=list)
    services: list[float] = field(default_factory=list)


def service_report(
    db: Database,
    *,
    office: str,
    first: date,
    last: date,
    by: ServiceGrouping,
    zone: ZoneInfo,
) -> ServiceReport:
    """The report of the office days `first`..`last` (both included); hours are read in `zone`,
    the office's time zone. PostgreSQL computes the figures (central.service_sql)."""
    return service_reports(db, office=office, first=first, last=last, bys=(by,), zone=zone)[by]


def service_reports(
    db: Database,
    *,
    office: str,
    first: date,
    last: date,
    bys: Sequence[ServiceGrouping],
    zone: ZoneInfo,
) -> dict[ServiceGrouping, ServiceReport]:
    """service_report by each of `bys`, in one read: the period's rows (or, on PostgreSQL, its
    arrivals) are read once for all the groupings, as a report page or the monthly PDF wants."""
    if db.kind != "postgresql":
        return service_reports_in_python(
            db, office=office, first=first, last=last, bys=bys, zone=zone
        )

    def computed(conn: Connection) -> tuple[dict[ServiceGrouping, Any], list[Any]]:
        keyed = {
            by: service_sql.groups(
                conn, offices=[office], first=first, last=last, key=by, zone=zone.key
            )
            for by in bys
        }
        counts = service_sql.arrivals(conn, office=office, first=first, last=last, zone=zone.key)
        return keyed, counts

    keyed, counts = db.read(computed)
    arrived = [Arrival(*found) for found in sorted(counts)]
    return {
        by: ServiceReport(
            office,
            first,
            last,
            by,
            [
                ServiceRow(key=_key_text(by, key), **vars(_sql_tally(group)))
                for key, group in sorted(groups.items())
            ],
            _sql_tally(whole),
            arrived,
        )
        for by, (groups, whole) in keyed.items()
    }


def service_report_in_python(
    db: Database,
    *,
    office: str,
    first: date,
    last: date,
    by: ServiceGrouping,
    zone: ZoneInfo,
) -> ServiceReport:
    """service_report from the rows themselves: the definition, and the path on SQLite."""
    return service_reports_in_python(
        db, office=office, first=first, last=last, bys=(by,), zone=zone
    )[by]


def service_reports_in_python(
    db: Database,
    *,
    office: str,
    first: date,
    last: date,
    bys: Sequence[ServiceGrouping],
    zone: ZoneInfo,
) -> dict[ServiceGrouping, ServiceReport]:
    """service_reports from the period's rows, read once and folded by each grouping."""
    ticket_rows, session_rows = db.read(lambda conn: _period_rows(conn, office, first, last))
    arrived = _arrivals(ticket_rows, zone)
    reports: dict[ServiceGrouping, ServiceReport] = {}
    for by in bys:
        groups, whole = _fold(by, zone, ticket_rows, session_rows)
        rows = [
            ServiceRow(key=_key_text(by, key), **vars(service_tally(group)))
            for key, group in sorted(groups.items())
        ]
        reports[by] = ServiceReport(office, first, last, by, rows, service_tally(whole), arrived)
    return reports


def office_totals(
    db: Database, *, offices: list[str], first: date, last: date, zone_of: Callable[[str], ZoneInfo]
) -> tuple[dict[str, ServiceTally], ServiceTally]:
    """Each office's period total (that of its report) and the total of all their tickets and
    sessions (a city's median wait is that of every ticket, not a median of the medians)."""
    if db.kind == "postgresql":
        # Two statements of a second or so each, on two connections at once.
        period = service_sql.Period(offices, first, last, "office", "UTC")
        with ThreadPoolExecutor(2) as pool:
            ticket_rows = pool.submit(db.read, lambda c: service_sql.ticket_figures(c, period))
            session_rows = pool.submit(db.read, lambda c: service_sql.session_figures(c, period))
            keyed, whole = service_sql.combined(ticket_rows.result(), session_rows.result())
        empty = service_tally(ServiceSample())
        return {
            office: _sql_tally(keyed[office]) if office in keyed else empty for office in offices
        }, _sql_tally(whole)
    return office_totals_in_python(db, offices=offices, first=first, last=last, zone_of=zone_of)


def office_totals_in_python(
    db: Database, *, offices: list[str], first: date, last: date, zone_of: Callable[[str], ZoneInfo]
) -> tuple[dict[str, ServiceTally], ServiceTally]:
    """office_totals from the rows themselves: the definition, and the path on SQLite."""
    samples = {
        office: service_sample(db, office=office, first=first, last=last, zone=zone_of(office))
        for office in offices
    }
    return (
        {office: service_tally(sample) for office, sample in samples.items()},
        service_tally(pooled(list(samples.values()))),
    )


def _sql_tally(group: service_sql.Group) -> ServiceTally:
    return ServiceTally(
        issued=group.issued,
        called=group.called,
        served=group.served,
        no_shows=group.no_shows,
        waiting_at_close=group.waiting_at_close,
        wait=Durations(*group.wait),
        service=Durations(*group.service),
        same_day_results=group.same_day_results,
        same_day_rate=percent(group.same_day_results, group.served) if group.served else None,
    )


def _fold(
    by: ServiceGrouping,
    zone: ZoneInfo,
    ticket_rows: list[Any],
    session_rows: list[Any],
) -> tuple[dict[Any, ServiceSample], ServiceSample]:
    """The rows' groups by `by`, and the period's total."""
    served = {(s.day, s.label, s.field_id) for s in session_rows}
    groups: dict[Any, ServiceSample] = defaultdict(ServiceSample)
    total = ServiceSample()
    for ticket in ticket_rows:
        key = _ticket_key(by, ticket, _hour(ticket.issued_at, zone))
        no_show = (
            ticket.state == SKIPPED and (ticket.day, ticket.label, ticket.field_id) not in served
        )
        waiting = ticket.state == WAITING
        called_at = ticket.first_called_at
        wait = None if called_at is None else _seconds(called_at - ticket.issued_at)
        for group in (total,) if key is None else (total, groups[key]):
            group.issued += 1
            group.no_shows += no_show
            group.waiting_at_close += waiting
            if wait is not None:
                group.called += 1
                group.waits.append(wait)
    for session in session_rows:
        key = _session_key(by, session, zone)
        service = _seconds(session.closed_at - session.called_at)
        for group in (total, groups[key]):
            group.served += 1
            group.same_day_results += session.same_day_result
            group.services.append(service)
    return groups, total


def service_sample(
    db: Database, *, office: str, first: date, last: date, zone: ZoneInfo
) -> ServiceSample:
    """The material of the office's period total (`service_tally` of it is the report's
    total)."""

    return _fold("day", zone, *db.read(lambda conn: _period_rows(conn, office, first, last)))[1]


def pooled(samples: list[ServiceSample]) -> ServiceSample:
    """The samples as one: counts added, durations put together."""
    pool = ServiceSample()
    for sample in samples:
        pool.issued += sample.issued
        pool.called += sample.called
        pool.served += sample.served
        pool.no_shows += sample.no_shows
        pool.waiting_at_close += sample.waiting_at_close
        pool.same_day_results += sample.same_day_results
        pool.waits.extend(sample.waits)
        pool.services.extend(sample.services)
    return pool


def arrivals(
    db: Database, *, office: str, first: date, last: date, zone: ZoneInfo
) -> list[Arrival]:
    """The tickets issued per hour of the day (in `zone`) and field over the period."""
    if db.kind == "postgresql":
        counts = db.read(
            lambda conn: service_sql.arrivals(
                conn, office=office, first=first, last=last, zone=zone.key
            )
        )
        return [Arrival(*found) for found in sorted(counts)]
    return _arrivals(db.read(lambda conn: _issued_tickets(conn, office, first, last)), zone)


def _arrivals(ticket_rows: list[Any], zone: ZoneInfo) -> list[Arrival]:
    counts = Counter((_hour(ticket.issued_at, zone), ticket.field_id) for ticket in ticket_rows)
    return [Arrival(hour, field_id, n) for (hour, field_id), n in sorted(counts.items())]


def _hour(moment: datetime, zone: ZoneInfo) -> int:
    return moment.astimezone(zone).hour


def service_csv(report: ServiceReport, shares: ServiceShares) -> str:
    """CSV_COLUMNS, one row per key, then `total`; an absent duration, rate or share (consent
    by counter or officer) is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    keyed = [(row.key, row, shares.of(row.key)) for row in report.rows]
    for key, tally, share in [*keyed, (TOTAL_KEY, report.total, shares.total)]:
        satisfaction, consent = share.satisfaction, share.consent
        writer.writerow(
            [
                csv_cell(key),
                *service_cells(tally),
                satisfaction.ballots,
                satisfaction.satisfied,
                csv_cell(satisfaction.satisfaction_rate),
                *(
                    [None] * 3
                    if consent is None
                    else [consent.visits, consent.consented, csv_cell(consent.consent_rate)]
                ),
            ]
        )
    return out.getvalue()


def service_cells(tally: ServiceTally) -> list[str]:
    """The cells of SERVICE_COLUMNS: counts, then seconds and the rate (empty when absent)."""
    values = [
        tally.issued,
        tally.called,
        tally.served,
        tally.no_shows,
        tally.waiting_at_close,
        tally.wait.median,
        tally.wait.p90,
        tally.wait.max,
        tally.service.median,
        tally.service.p90,
        tally.service.max,
        tally.same_day_results,
        tally.same_day_rate,
    ]
    return [csv_cell(value) for value in values]


def arrivals_csv(rows: list[Arrival]) -> str:
    """`hour,field_id,tickets`, one row per hour and field with tickets."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["hour", "field_id", "tickets"])
    for arrival in rows:
        writer.writerow([arrival.hour, csv_cell(arrival.field_id), arrival.tickets])
    return out.getvalue()


def _period_rows(
    conn: Connection, office: str, first: date, last: date
) -> tuple[list[Any], list[Any]]:
    return (
        _issued_tickets(conn, office, first, last),
        _closed_sessions(conn, office, first, last),
    )


def _issued_tickets(conn: Connection, office: str, first: date, last: date) -> list[Any]:
    """The tickets whose ticket.issued has arrived (a row made by an early call is not yet)."""
    return conn.execute(
        select(
            tickets.c.day,
            tickets.c.label,
            tickets.c.field_id,
            tickets.c.issued_at,
            tickets.c.state,
            tickets.c.first_called_at,
            tickets.c.first_counter,
            tickets.c.first_officer_id,
        ).where(
            tickets.c.office == office,
            tickets.c.day >= first,
            tickets.c.day <= last,
            tickets.c.issued_at.is_not(None),
        )
    ).all()


def _closed_sessions(conn: Connection, office: str, first: date, last: date) -> list[Any]:
    return conn.execute(
        select(
            sessions.c.day,
            sessions.c.label,
            sessions.c.field_id,
            sessions.c.counter,
            sessions.c.officer_id,
            sessions.c.called_at,
            sessions.c.closed_at,
            sessions.c.same_day_result,
        ).where(sessions.c.office == office, sessions.c.day >= first, sessions.c.day <= last)
    ).all()


def _ticket_key(by: ServiceGrouping, ticket: Any, hour: int) -> Any:
    """The row of a ticket's figures; by counter or officer that of its first call (None: a
    ticket never called counts in the total only)."""
    if by == "day":
        return ticket.day
    if by == "field":
        return ticket.field_id
    if by == "hour":
        return hour
    if ticket.first_called_at is None:
        return None
    return ticket.first_counter if by == "counter" else ticket.first_officer_id


def _session_key(by: ServiceGrouping, session: Any, zone: ZoneInfo) -> Any:
    """The row of a session's figures; by hour that of its call."""
    if by == "day":
        return session.day
    if by == "field":
        return session.field_id
    if by == "hour":
        return _hour(session.called_at, zone)
    return session.counter if by == "counter" else session.officer_id


def _key_text(by: ServiceGrouping, key: Any) -> str:
    """Rows are sorted by the key itself (counter 2 before 10), then written as text."""
    if by == "day":
        return key.isoformat()
    return f"{key:02d}" if by == "hour" else str(key)


def _seconds(span: timedelta) -> float:
    """A duration in seconds; a negative one (two devices' clocks) counts as 0."""
    return max(span.total_seconds(), 0.0)


def service_tally(group: ServiceSample) -> ServiceTally:
    return ServiceTally(
        issued=group.issued,
        called=group.called,
        served=group.served,
        no_shows=group.no_shows,
        waiting_at_close=group.waiting_at_close,
        wait=durations(group.waits),
        service=durations(group.services),
        same_day_results=group.same_day_results,
        same_day_rate=percent(group.same_day_results, group.served) if group.served else None,
    )


def durations(values: list[float]) -> Durations:
    """Median (the mean of the two middle values of an even count), 90th percentile (nearest
    rank: the ⌈0.9 n⌉-th smallest) and max, in seconds with one decimal, halves up."""
    if not values:
        return Durations(0, None, None, None)
    ordered = sorted(values)
    n = len(ordered)
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    p90 = ordered[math.ceil(0.9 * n) - 1]
    return Durations(n, _tenths(median), _tenths(p90), _tenths(ordered[-1]))


def _tenths(seconds: float) -> float:
    return float(Decimal(repr(seconds)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
