"""The counter tables: sessions (one row per called ticket, with both halves of the dual rating)
and extra_presses (citizen presses after the counted one: kept and flagged, never counted).

A session is `called`, then `serving`, then `closed` with the officer's half; its citizen half
is then `due`, and becomes `rated` or `not_rated` (`none` after a no-show). The rules read off a
row (is the rating still open, when is the citizen's time up) are SessionRow's; the counter's
workflow around them is kiosk.counter's. Moments are stored as UTC text (utc_text) and read back
as aware datetimes in UTC; no personal data ever goes here.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.events import Event
from kiosk.store.connection import Database, insert_row
from kiosk.store.outbox import add_event
from kiosk.store.schema import utc_moment, utc_text

CALLED = "called"
SERVING = "serving"
CLOSED = "closed"

RATING_DUE = "due"
RATED = "rated"
NOT_RATED = "not_rated"
NO_RATING = "none"

Columns = Mapping[str, Any]  # column name → value, as Sessions.update expects and changes them


@dataclass(frozen=True)
class NewSession:
    """A session as it is called: the columns it is inserted with."""

    id: str
    office: str
    day: date
    label: str
    ticket_id: str | None  # None when the ticket was entered at the counter, offline
    field_id: str
    priority: bool
    counter: int
    officer_id: str
    entry: str  # "call_next", "qr" or "typed"
    state: str
    called_at: datetime


@dataclass(frozen=True)
class SessionRow(NewSession):
    """A stored session: what happened since the call, and its rating."""

    recalls: int
    started_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    same_day_result: bool | None
    officer_rating: dict[str, Any] | None
    session_flags: list[str]
    rating: str | None
    rating_opened_at: datetime | None  # when the citizen's rating screen appeared
    rating_ended_at: datetime | None  # when the rating window ended: no press counts after
    citizen_scale: int | None
    citizen_level: int | None
    citizen_reasons: list[str] | None
    rated_at: datetime | None
    rating_flags: list[str] | None

    @property
    def rating_open(self) -> bool:
        """The citizen's rating is due or given, and its window has not ended: a (further)
        press is taken, and the next ticket waits."""
        return self.rating in (RATING_DUE, RATED) and self.rating_ended_at is None

    @property
    def rated(self) -> bool:
        return self.rating == RATED

    def rating_deadline(self, rating_seconds: float) -> datetime:
        """When the citizen's time is up: `rating_seconds` after the rating screen appeared,
        or after the close while it has not."""
        start = self.rating_opened_at or self.closed_at
        if start is None:
            raise ValueError(f"session {self.id} is not closed: no rating is due")
        return start + timedelta(seconds=rating_seconds)

    def served(self, no_show: str) -> bool:
        """Closed with an outcome other than the no-show (`no_show`: its outcome id)."""
        return self.state == CLOSED and self.outcome != no_show


@dataclass(frozen=True)
class ExtraPress:
    seq: int
    session_id: str
    level: int
    reasons: list[str]
    pressed_at: datetime
    flags: list[str]


_COLUMNS = frozenset(field.name for field in fields(SessionRow))
_INSERTED = tuple(field.name for field in fields(NewSession))
_MOMENTS = frozenset(
    ("called_at", "started_at", "closed_at", "rating_opened_at", "rating_ended_at", "rated_at")
)
_JSON = frozenset(("officer_rating", "session_flags", "citizen_reasons", "rating_flags"))
_BOOLEANS = frozenset(("priority", "same_day_result"))


def _stored(values: Columns) -> dict[str, Any]:
    """Column values as SQLite stores them: moments as UTC text, days as ISO text, lists and
    objects as JSON, booleans as 0/1. Column names are checked: they are written into the SQL."""
    unknown = set(values) - _COLUMNS
    if unknown:
        raise ValueError(f"not session columns: {', '.join(sorted(unknown))}")
    out = {}
    for column, value in values.items():
        if isinstance(value, datetime):
            value = utc_text(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            value = int(value)
        out[column] = value
    return out


def _session(row: sqlite3.Row) -> SessionRow:
    values: dict[str, Any] = dict(row)
    for column, value in values.items():
        if value is None:
            continue
        if column in _MOMENTS:
            values[column] = utc_moment(value)
        elif column in _JSON:
            values[column] = json.loads(value)
        elif column in _BOOLEANS:
            values[column] = bool(value)
    values["day"] = date.fromisoformat(values["day"])
    return SessionRow(**values)


class Sessions:
    def __init__(self, db: Database) -> None:
        self._db = db

    def insert(self, session: NewSession, event: Event) -> SessionRow:
        """Insert a new session and the event of its call, together."""
        values = _stored({name: getattr(session, name) for name in _INSERTED})
        with self._db.write() as conn:
            created = insert_row(conn, "sessions", values)
            add_event(conn, event)
            return _session(created)

    def update(
        self,
        session_id: str,
        *,
        expect: Columns,
        changes: Columns,
        events: Iterable[Event] = (),
    ) -> SessionRow | None:
        """Change a session and add its events in one transaction, only if its columns still
        hold the `expect`ed values (None: NULL). Returns the updated row, or None (nothing
        written) when the session is unknown or has moved on."""
        wanted = _stored(expect)
        updates = _stored(changes)
        conditions = " AND ".join(
            f"{column} IS ?" if value is None else f"{column} = ?"
            for column, value in wanted.items()
        )
        with self._db.write() as conn:
            row = conn.execute(
                f"UPDATE sessions SET {', '.join(f'{column} = ?' for column in updates)}"
                f" WHERE id = ?{' AND ' + conditions if conditions else ''} RETURNING *",
                (*updates.values(), session_id, *wanted.values()),
            ).fetchone()
            if row is None:
                return None
            for event in events:
                add_event(conn, event)
            return _session(row)

    def add_extra_press(
        self,
        session_id: str,
        *,
        level: int,
        reasons: list[str],
        pressed_at: datetime,
        flags: list[str],
        event: Event,
    ) -> None:
        """Keep a citizen press that came after the counted one, with its event."""
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO extra_presses (session_id, level, reasons, pressed_at, flags)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, level, json.dumps(reasons), utc_text(pressed_at), json.dumps(flags)),
            )
            add_event(conn, event)

    def get(self, session_id: str) -> SessionRow | None:
        return self._one("WHERE id = ?", session_id)

    def latest(self, counter: int) -> SessionRow | None:
        """The session last called at a counter (by insertion: a clock set back does not
        change which one it is)."""
        return self._one("WHERE counter = ? ORDER BY rowid DESC LIMIT 1", counter)

    def _one(self, where: str, value: object) -> SessionRow | None:
        with self._db.read() as conn:
            row = conn.execute(f"SELECT * FROM sessions {where}", (value,)).fetchone()
        return None if row is None else _session(row)

    def of_day(self, day: date, *, label: str | None = None) -> list[SessionRow]:
        """Sessions of an office day (of one ticket label if given), in call order."""
        sql = "SELECT * FROM sessions WHERE day = ?"
        params: tuple[Any, ...] = (day.isoformat(),)
        if label is not None:
            sql += " AND label = ?"
            params += (label,)
        with self._db.read() as conn:
            rows = conn.execute(f"{sql} ORDER BY called_at, rowid", params).fetchall()
        return [_session(row) for row in rows]

    def extra_presses(self, session_id: str) -> list[ExtraPress]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT * FROM extra_presses WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
        return [
            ExtraPress(
                seq=row["seq"],
                session_id=row["session_id"],
                level=row["level"],
                reasons=json.loads(row["reasons"]),
                pressed_at=datetime.fromisoformat(row["pressed_at"]),
                flags=json.loads(row["flags"]),
            )
            for row in rows
        ]

    def count_rated(self, *, counter: int, level: int, since: datetime) -> int:
        """Counted citizen ratings of `level` at a counter rated at `since` or later."""
        with self._db.read() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM sessions WHERE counter = ? AND citizen_level = ?"
                " AND rated_at >= ?",
                (counter, level, utc_text(since)),
            ).fetchone()[0]
