"""The satisfaction report (per officer, field, counter or day) and its CSV form.

Ballots are the counted, rated `rating.citizen` events; "not rated" sessions are counted apart
and never given a level. One scale is used for the whole report so every row has the same
columns: scale 5 as soon as one scale-5 rating is in the period, where a scale-3 "Không hài
lòng" (level 3) counts as scale-5 level 4 of the same name.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Connection, func, select

from central.csv_cells import csv_cell
from central.db import Database
from central.schema import ratings

if TYPE_CHECKING:
    from central.consents import ConsentFigures, ConsentTally

Grouping = Literal["officer", "field", "counter", "day"]

GROUP_COLUMNS = {
    "officer": ratings.c.officer_id,
    "field": ratings.c.field_id,
    "counter": ratings.c.counter,
    "day": ratings.c.day,
}
LEVEL_LABELS = {
    3: ("Rất hài lòng", "Hài lòng", "Không hài lòng"),
    5: ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng"),
}
SCALE_3_ON_5 = {1: 1, 2: 2, 3: 4}
SATISFIED = (1, 2)
TOTAL_KEY = "total"


@dataclass(frozen=True)
class LevelCount:
    level: int
    label: str
    count: int
    percent: float


@dataclass(frozen=True)
class Tally:
    ballots: int
    not_rated: int
    levels: list[LevelCount]
    satisfaction_rate: float | None


@dataclass(frozen=True)
class ReportRow(Tally):
    key: str


@dataclass(frozen=True)
class Report:
    office: str
    first: date
    last: date
    by: Grouping
    rows: list[ReportRow]
    total: Tally


def satisfaction_report(
    db: Database, *, office: str, first: date, last: date, by: Grouping
) -> Report:
    """The report of the office days `first`..`last` (both included)."""
    key = GROUP_COLUMNS[by]

    def read(conn: Connection) -> list[Any]:
        return conn.execute(
            select(key.label("key"), ratings.c.scale, ratings.c.level, func.count().label("n"))
            .where(
                ratings.c.office == office,
                ratings.c.day >= first,
                ratings.c.day <= last,
                ratings.c.counted.is_(True),
            )
            .group_by(key, ratings.c.scale, ratings.c.level)
        ).all()

    counts = db.read(read)
    scale = 5 if any(row.scale == 5 for row in counts) else 3
    per_key: dict[Any, Counter[int | None]] = {}
    everything: Counter[int | None] = Counter()
    for row in counts:
        level = row.level
        if level is not None and row.scale != scale:
            level = SCALE_3_ON_5[level]
        per_key.setdefault(row.key, Counter())[level] += row.n
        everything[level] += row.n
    rows = [
        ReportRow(key=_key_text(raw_key), **vars(_tally(tally, scale)))
        for raw_key, tally in sorted(per_key.items())
    ]
    return Report(office, first, last, by, rows, _tally(everything, scale))


def satisfaction_totals(
    db: Database, *, offices: list[str], first: date, last: date
) -> dict[str, Tally]:
    """Each office's satisfaction total over the period (its report's `total`, under its own
    one-scale rule), read in one statement for all of them."""

    def read(conn: Connection) -> list[Any]:
        return conn.execute(
            select(ratings.c.office, ratings.c.scale, ratings.c.level, func.count().label("n"))
            .where(
                ratings.c.office.in_(offices),
                ratings.c.day >= first,
                ratings.c.day <= last,
                ratings.c.counted.is_(True),
            )
            .group_by(ratings.c.office, ratings.c.scale, ratings.c.level)
        ).all()

    per_office: dict[str, list[Any]] = {office: [] for office in offices}
    for row in db.read(read):
        per_office[row.office].append(row)
    totals = {}
    for office, counts in per_office.items():
        scale = 5 if any(row.scale == 5 for row in counts) else 3
        everything: Counter[int | None] = Counter()
        for row in counts:
            level = row.level
            if level is not None and row.scale != scale:
                level = SCALE_3_ON_5[level]
            everything[level] += row.n
        totals[office] = _tally(everything, scale)
    return totals


CONSENT_COLUMNS = ("visits_asked", "consent_yes", "consent_no", "consent_withdrawn", "consented")


def report_csv(report: Report, consent: ConsentFigures | None = None) -> str:
    """`key,ballots,not_rated,level_1,…,satisfaction_rate`, one row per key, then `total`;
    with `consent`, its columns after those (central.consents: a key with consent answers and
    no ratings gets a row of its own; by counter or officer only `total` has them)."""
    scale = len(report.total.levels)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["key", "ballots", "not_rated"]
        + [f"level_{level}" for level in range(1, scale + 1)]
        + ["satisfaction_rate"]
        + ([] if consent is None else [*CONSENT_COLUMNS, "consent_rate"])
    )
    keyed: dict[str, Tally] = {row.key: row for row in report.rows}
    consents: dict[str, ConsentTally] = {}
    if consent is not None:
        consents = {row.key: row for row in consent.rows}
        consents[TOTAL_KEY] = consent.total
    if consents.keys() - keyed.keys() - {TOTAL_KEY}:
        no_ballots = _tally(Counter(), scale)
        keyed = {key: keyed.get(key, no_ballots) for key in sorted(keyed.keys() | consents.keys())}
        keyed.pop(TOTAL_KEY, None)
    for key, tally in [*keyed.items(), (TOTAL_KEY, report.total)]:
        rate = "" if tally.satisfaction_rate is None else f"{tally.satisfaction_rate:.1f}"
        row = [csv_cell(key), tally.ballots, tally.not_rated] + [
            level.count for level in tally.levels
        ]
        row.append(rate)
        if consent is not None:
            row += _consent_cells(consents.get(key))
        writer.writerow(row)
    return out.getvalue()


def _consent_cells(tally: ConsentTally | None) -> list[str | int]:
    if tally is None:
        return [""] * (len(CONSENT_COLUMNS) + 1)
    rate = "" if tally.consent_rate is None else f"{tally.consent_rate:.1f}"
    return [tally.visits, tally.yes, tally.no, tally.withdrawn, tally.consented, rate]


def _tally(counts: Counter[int | None], scale: int) -> Tally:
    ballots = sum(n for level, n in counts.items() if level is not None)
    levels = [
        LevelCount(level, label, counts[level], percent(counts[level], ballots))
        for level, label in enumerate(LEVEL_LABELS[scale], start=1)
    ]
    satisfied = sum(counts[level] for level in SATISFIED)
    return Tally(
        ballots=ballots,
        not_rated=counts[None],
        levels=levels,
        satisfaction_rate=percent(satisfied, ballots) if ballots else None,
    )


def pooled_tally(tallies: list[Tally]) -> Tally:
    """Several offices' totals as the total of all their ballots, under the one-scale rule of a
    report: scale 5 as soon as one of them is."""
    scale = 5 if any(len(tally.levels) == 5 for tally in tallies) else 3
    counts: Counter[int | None] = Counter()
    for tally in tallies:
        counts[None] += tally.not_rated
        for found in tally.levels:
            same = len(tally.levels) == scale
            counts[found.level if same else SCALE_3_ON_5[found.level]] += found.count
    return _tally(counts, scale)


def percent(part: int, whole: int) -> float:
    """part / whole × 100 with one decimal, halves rounded up (0.0 when there is no whole)."""
    if whole == 0:
        return 0.0
    exact = Decimal(part * 100) / Decimal(whole)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _key_text(key: Any) -> str:
    return key.isoformat() if isinstance(key, date) else str(key)
