"""The outbox tables: events waiting for the central server, those of them holding personal data
(outbox_personal, with the moment they are dropped unsent), and the quarantine.

Events are drained by kiosk.sync: they leave in seq order and only once the central server
acknowledged them (deleted) or rejected them (quarantined: kept, never sent again). Deleted rows
are overwritten (secure_delete) and the WAL scrubbed after personal ones, as acknowledged
personal data must not linger. The other tables put the event of a state change in the outbox
in the same transaction, with add_event().
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypedDict

from kiosk.events import CITIZEN_IDENTIFIED, Event
from kiosk.store.connection import Database
from kiosk.store.schema import utc_text


class OutboxCounts(TypedDict):
    pending: int
    quarantined: int


class OutboxSummary(TypedDict):
    pending: int
    quarantined: int
    oldest_pending: str | None  # occurred_at of the first event waiting to be sent
    personal_pending: int


class OutboxEntry(TypedDict):
    """An outbox event waiting to be sent; `body` is sealed when `personal` is true."""

    seq: int
    id: str
    type: str
    body: Event
    personal: bool


class QuarantinedEvent(TypedDict):
    id: str
    type: str
    occurred_at: str
    reason: str
    personal: bool


# The outbox with whether each event holds personal data.
_WITH_PERSONAL = (
    "FROM outbox o LEFT JOIN outbox_personal p ON p.seq = o.seq WHERE o.quarantined = ?"
    " ORDER BY o.seq"
)


def add_event(conn: sqlite3.Connection, event: Event) -> int:
    """Insert an event into the outbox within the caller's transaction; returns its seq."""
    if event["type"] == CITIZEN_IDENTIFIED and "data" in event:
        raise ValueError("personal data is never stored in clear: use kiosk.personal_data")
    return conn.execute(
        "INSERT INTO outbox (id, type, occurred_at, body) VALUES (?, ?, ?, ?) RETURNING seq",
        (
            event["id"],
            event["type"],
            event["occurred_at"],
            json.dumps(event, ensure_ascii=False, separators=(",", ":")),
        ),
    ).fetchone()[0]


def _counts(conn: sqlite3.Connection) -> OutboxCounts:
    pending, quarantined = conn.execute(
        "SELECT COUNT(*) - COALESCE(SUM(quarantined), 0), COALESCE(SUM(quarantined), 0) FROM outbox"
    ).fetchone()
    return OutboxCounts(pending=pending, quarantined=quarantined)


class Outbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, events: Iterable[Event]) -> None:
        """Put events that come with no state change of this store into the outbox, together."""
        with self._db.write() as conn:
            for event in events:
                add_event(conn, event)

    def add_personal(self, sealed: Event, *, expires_at: datetime) -> None:
        """Put an event whose personal data is already sealed into the outbox; it is dropped
        unsent by purge_expired_personal() from `expires_at` on."""
        with self._db.write() as conn:
            seq = add_event(conn, sealed)
            conn.execute(
                "INSERT INTO outbox_personal (seq, expires_at) VALUES (?, ?)",
                (seq, utc_text(expires_at)),
            )

    def batch(self, limit: int) -> list[OutboxEntry]:
        """The next events to send: not quarantined, in the order they were written."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT o.seq, o.id, o.type, o.body, p.seq IS NOT NULL AS personal"
                f" {_WITH_PERSONAL} LIMIT ?",
                (0, limit),
            ).fetchall()
        return [
            OutboxEntry(
                seq=row["seq"],
                id=row["id"],
                type=row["type"],
                body=json.loads(row["body"]),
                personal=bool(row["personal"]),
            )
            for row in rows
        ]

    def pending(self, limit: int = 500) -> list[Event]:
        """The events of the next batch (personal ones sealed), oldest first."""
        return [entry["body"] for entry in self.batch(limit)]

    def settle(self, delivered: Iterable[str], rejected: Mapping[str, str]) -> None:
        """Apply the server's answer in one transaction: delete the events it has (accepted or
        duplicate) and quarantine those it rejected, with its reason."""
        delivered_ids = json.dumps(list(delivered))
        with self._db.write() as conn:
            personal = conn.execute(
                "SELECT COUNT(*) FROM outbox o JOIN outbox_personal p ON p.seq = o.seq"
                " WHERE o.id IN (SELECT value FROM json_each(?))",
                (delivered_ids,),
            ).fetchone()[0]
            conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))",
                (delivered_ids,),
            )
            conn.executemany(
                "UPDATE outbox SET quarantined = 1, quarantine_reason = ?,"
                " attempts = attempts + 1, last_error = NULL WHERE id = ?",
                [(reason, event_id) for event_id, reason in rejected.items()],
            )
        if personal:
            self._db.scrub_wal()

    def record_send_failure(self, ids: Iterable[str], error: str) -> None:
        """Count a failed attempt to send these events (they stay in the outbox)."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (error, json.dumps(list(ids))),
            )

    def purge_expired_personal(self, now: datetime) -> int:
        """Delete personal events, sent or not, whose time is up; returns how many."""
        with self._db.write() as conn:
            dropped = conn.execute(
                "DELETE FROM outbox WHERE seq IN"
                " (SELECT seq FROM outbox_personal WHERE expires_at <= ?)",
                (utc_text(now),),
            ).rowcount
        if dropped:
            self._db.scrub_wal()
        return dropped

    def counts(self) -> OutboxCounts:
        with self._db.read() as conn:
            return _counts(conn)

    def summary(self) -> OutboxSummary:
        with self._db.read() as conn:
            counts = _counts(conn)
            oldest = conn.execute(
                "SELECT occurred_at FROM outbox WHERE quarantined = 0 ORDER BY seq LIMIT 1"
            ).fetchone()
            personal = conn.execute(
                "SELECT COUNT(*) FROM outbox_personal p JOIN outbox o ON o.seq = p.seq"
                " WHERE o.quarantined = 0"
            ).fetchone()[0]
        return OutboxSummary(
            pending=counts["pending"],
            quarantined=counts["quarantined"],
            oldest_pending=None if oldest is None else oldest[0],
            personal_pending=personal,
        )

    def quarantined(self) -> list[QuarantinedEvent]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT o.id, o.type, o.occurred_at, o.quarantine_reason,"
                f" p.seq IS NOT NULL AS personal {_WITH_PERSONAL}",
                (1,),
            ).fetchall()
        return [
            QuarantinedEvent(
                id=row["id"],
                type=row["type"],
                occurred_at=row["occurred_at"],
                reason=row["quarantine_reason"] or "",
                personal=bool(row["personal"]),
            )
            for row in rows
        ]
