"""The per-session export: one row per closed session of a period, with the officer's half,
the citizen's counted rating and the dossier code (mã hồ sơ), so that a ward can join its
ratings with the dossiers of its provincial one-stop software. CSV as the satisfaction
report's (central.reports): a header row, UTF-8 without a byte-order mark, CRLF."""

from __future__ import annotations

import csv
import io
from dataclasses import astuple, dataclass, fields
from datetime import date, datetime

from sqlalchemy import Connection, and_, select

from central.csv_cells import csv_cell
from central.db import Database
from central.schema import ratings, sessions


@dataclass(frozen=True)
class SessionRecord:
    """The export's columns, in order (docs/central-api.md)."""

    day: date
    label: str
    field_id: str
    counter: int
    officer_id: str
    called_at: datetime
    closed_at: datetime
    outcome: str
    same_day_result: bool
    officer_rating_scale: int | None
    officer_rating_level: int | None
    citizen_rated: bool | None  # None: no counted rating.citizen (yet, or a no-show)
    citizen_rating_scale: int | None
    citizen_rating_level: int | None
    dossier_code: str | None


COLUMNS = tuple(field.name for field in fields(SessionRecord))


def session_records(db: Database, *, office: str, first: date, last: date) -> list[SessionRecord]:
    """The sessions closed on the office days `first`..`last` (both included), by day, then
    close time, then label."""
    rated = ratings.c

    def read(conn: Connection) -> list[SessionRecord]:
        query = (
            select(
                sessions.c.day,
                sessions.c.label,
                sessions.c.field_id,
                sessions.c.counter,
                sessions.c.officer_id,
                sessions.c.called_at,
                sessions.c.closed_at,
                sessions.c.outcome,
                sessions.c.same_day_result,
                sessions.c.officer_rating_scale,
                sessions.c.officer_rating_level,
                rated.rated,
                rated.scale,
                rated.level,
                sessions.c.dossier_code,
            )
            .outerjoin(
                ratings,
                and_(
                    rated.office == sessions.c.office,
                    rated.session_id == sessions.c.session_id,
                    rated.counted.is_(True),
                ),
            )
            .where(sessions.c.office == office, sessions.c.day >= first, sessions.c.day <= last)
            .order_by(sessions.c.day, sessions.c.closed_at, sessions.c.label)
        )
        return [SessionRecord(*row) for row in conn.execute(query)]

    return db.read(read)


def sessions_csv(records: list[SessionRecord]) -> str:
    """The records under a header of COLUMNS; times in RFC 3339, booleans true/false, an
    absent value empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for record in records:
        writer.writerow([csv_cell(value) for value in astuple(record)])
    return out.getvalue()
