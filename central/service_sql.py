"""The service figures computed by PostgreSQL: the counts, the medians, 90th percentiles and
maxima of each group and of the period, without a row per ticket reaching Python.

central.service_report computes the same figures in Python (on SQLite, and as their
definition); these statements give identical numbers, by doing the same arithmetic on the same
values:
- a duration is the exact interval in seconds (numeric) made the nearest double, as Python's
  `timedelta.total_seconds()` is, and 0 when negative;
- the values of a group are sorted (`array_agg … ORDER BY`); the median is the middle one, or
  the two middle ones added and halved in double precision (not percentile_cont, which
  interpolates differently); the 90th percentile is the ⌈0.9 n⌉-th (0.9 × n in double, as
  Python's `math.ceil(0.9 * n)`);
- a figure is rounded to one decimal, halves up, from its shortest decimal text (PostgreSQL's
  float output with extra_float_digits 1, Python's repr), as central.service_report._tenths.
An hour of the day is read in the office's zone by PostgreSQL's time zone data.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, text

SqlKey = Literal["day", "field", "counter", "officer", "hour", "office"]

TICKET_KEYS: dict[str, str] = {
    "day": "t.day",
    "field": "t.field_id",
    "counter": "t.first_counter",
    "officer": "t.first_officer_id",
    "hour": "extract(hour FROM t.issued_at AT TIME ZONE :zone)::int",
    "office": "t.office",
}
SESSION_KEYS: dict[str, str] = {
    "day": "s.day",
    "field": "s.field_id",
    "counter": "s.counter",
    "officer": "s.officer_id",
    "hour": "extract(hour FROM s.called_at AT TIME ZONE :zone)::int",
    "office": "s.office",
}


def _figures(values: str) -> str:
    """count, median, p90 and max of a sorted float8[] column, each to one decimal."""
    n = f"coalesce(cardinality({values}), 0)"

    def tenths(expression: str) -> str:
        return f"round(({expression})::text::numeric, 1)::float8"

    median = (
        f"CASE WHEN {n} % 2 = 1 THEN {values}[{n} / 2 + 1]"
        f" ELSE ({values}[{n} / 2] + {values}[{n} / 2 + 1]) / 2 END"
    )
    p90 = f"{values}[ceil(0.9::float8 * {n})::int]"
    return (
        f"{n} AS {values}_n, {tenths(median)} AS {values}_median,"
        f" {tenths(p90)} AS {values}_p90, {tenths(f'{values}[{n}]')} AS {values}_max"
    )


def _seconds(later: str, earlier: str) -> str:
    """Under a day, date_part's double (the interval's microseconds / 1e6, one rounding) is that
    nearest double, and cheaper than the exact numeric of extract, used beyond."""
    span = f"({later} - {earlier})"
    return (
        f"greatest(CASE WHEN {span} < interval '1 day' THEN date_part('epoch', {span})"
        f" ELSE extract(epoch FROM {span})::float8 END, 0)"
    )


TICKETS = """
WITH t AS (
    SELECT {key} AS key, t.state,
           CASE WHEN t.first_called_at IS NOT NULL
                THEN {wait} END AS wait,
           t.state = 'skipped' AND NOT EXISTS (
               SELECT 1 FROM sessions AS s
               WHERE s.office = t.office AND s.day = t.day AND s.label = t.label
                 AND s.field_id = t.field_id) AS no_show
    FROM tickets AS t
    WHERE t.office = ANY(:offices) AND t.day >= :first AND t.day <= :last
      AND t.issued_at IS NOT NULL
), g AS (
    SELECT GROUPING(key) = 1 AS everything, key, count(*) AS issued, count(wait) AS called,
           count(*) FILTER (WHERE no_show) AS no_shows,
           count(*) FILTER (WHERE state = 'waiting') AS waiting_at_close,
           array_agg(wait ORDER BY wait) FILTER (WHERE wait IS NOT NULL) AS waits
    FROM t GROUP BY GROUPING SETS ((key), ())
)
SELECT everything, key, issued, called, no_shows, waiting_at_close, {figures} FROM g
"""

SESSIONS = """
WITH s AS (
    SELECT {key} AS key, s.same_day_result, {service} AS service
    FROM sessions AS s
    WHERE s.office = ANY(:offices) AND s.day >= :first AND s.day <= :last
), g AS (
    SELECT GROUPING(key) = 1 AS everything, key, count(*) AS served,
           count(*) FILTER (WHERE same_day_result) AS same_day_results,
           array_agg(service ORDER BY service) AS services
    FROM s GROUP BY GROUPING SETS ((key), ())
)
SELECT everything, key, served, same_day_results, {figures} FROM g
"""

ARRIVALS = """
SELECT extract(hour FROM issued_at AT TIME ZONE :zone)::int AS hour, field_id, count(*) AS n
FROM tickets
WHERE office = :office AND day >= :first AND day <= :last AND issued_at IS NOT NULL
GROUP BY 1, 2
"""


class Figures(NamedTuple):
    count: int
    median: float | None
    p90: float | None
    max: float | None


class Group(NamedTuple):
    """One group's figures (a key's, or the period's: `key` None and `everything`)."""

    issued: int
    called: int
    no_shows: int
    waiting_at_close: int
    wait: Figures
    served: int
    same_day_results: int
    service: Figures


NO_FIGURES = Figures(0, None, None, None)


def groups(
    conn: Connection, *, offices: list[str], first: date, last: date, key: SqlKey, zone: str
) -> tuple[dict[Any, Group], Group]:
    """The figures of each key of the offices' period (a ticket never called has no counter or
    officer: in the total only), and of the whole period."""
    period = Period(offices, first, last, key, zone)
    return combined(ticket_figures(conn, period), session_figures(conn, period))


class Period(NamedTuple):
    offices: list[str]
    first: date
    last: date
    key: SqlKey
    zone: str


def ticket_figures(conn: Connection, period: Period) -> list[Any]:
    """The tickets' rows of `combined`: one per key (none for tickets never called, by counter
    or officer) and the total."""
    sql = TICKETS.format(
        key=TICKET_KEYS[period.key], wait=_seconds("t.first_called_at", "t.issued_at"),
        figures=_figures("waits"),
    )  # fmt: skip
    rows = _run(conn, sql, period)
    return [row for row in rows if row["everything"] or row["key"] is not None]


def session_figures(conn: Connection, period: Period) -> list[Any]:
    """The sessions' rows of `combined`: one per key and the total."""
    sql = SESSIONS.format(
        key=SESSION_KEYS[period.key], service=_seconds("s.closed_at", "s.called_at"),
        figures=_figures("services"),
    )  # fmt: skip
    return _run(conn, sql, period)


def _run(conn: Connection, sql: str, period: Period) -> list[Any]:
    conn.execute(text("SET LOCAL extra_float_digits = 1"))
    # A city's month sorts a million durations: in memory, not in temporary files.
    conn.execute(text("SET LOCAL work_mem = '64MB'"))
    return list(conn.execute(text(sql), period._asdict()).mappings())


def combined(ticket_rows: list[Any], session_rows: list[Any]) -> tuple[dict[Any, Group], Group]:
    """The groups by key, and the total."""
    found: dict[Any, dict[str, Any]] = {}
    for row in [*ticket_rows, *session_rows]:
        found.setdefault(_slot(row), {}).update(row)
    total = found.pop(_TOTAL, {})
    return {key: _group(row) for key, row in found.items()}, _group(total)


_TOTAL = ("total",)


def _slot(row: Any) -> Any:
    return _TOTAL if row["everything"] else row["key"]


def _group(row: dict[str, Any]) -> Group:
    def figures(name: str) -> Figures:
        if not row.get(f"{name}_n"):
            return NO_FIGURES
        return Figures(
            row[f"{name}_n"], row[f"{name}_median"], row[f"{name}_p90"], row[f"{name}_max"]
        )

    return Group(
        issued=row.get("issued", 0),
        called=row.get("called", 0),
        no_shows=row.get("no_shows", 0),
        waiting_at_close=row.get("waiting_at_close", 0),
        wait=figures("waits"),
        served=row.get("served", 0),
        same_day_results=row.get("same_day_results", 0),
        service=figures("services"),
    )


def arrivals(
    conn: Connection, *, office: str, first: date, last: date, zone: str
) -> list[tuple[int, str, int]]:
    """(hour, field, tickets) of the period, in no particular order."""
    params = {"office": office, "first": first, "last": last, "zone": zone}
    return [(row.hour, row.field_id, row.n) for row in conn.execute(text(ARRIVALS), params)]
