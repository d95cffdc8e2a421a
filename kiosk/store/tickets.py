"""The tickets table: issuing the next number of a field for an office day, and the print state
of a ticket. Its rows are Tickets; the numbering rules around them are in kiosk.tickets.

A ticket is issued once its row and its `ticket.issued` event are committed, in one
transaction under the write lock (the next number is read there); printing comes after and
has its own state, so a failed print keeps the number and can be printed again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypedDict

from kiosk.events import TICKET_ISSUED, Event, rfc3339
from kiosk.store.connection import Database, insert_row
from kiosk.store.outbox import add_event

PRINT_PENDING = "pending"  # issued, never handed to the printer
PRINT_PRINTING = "printing"  # being handed to the printer now
PRINT_PRINTED = "printed"
PRINT_FAILED = "failed"  # the printer refused it: nothing was printed
PRINT_UNKNOWN = "unknown"  # handed to the printer, and whether the paper came out is not known

# Where a ticket's waiting_ahead came from: this store's own count, or the server's queue.
WAITING_LOCAL = "local"
WAITING_SERVER = "server"


class RangeExhausted(Exception):
    """Every number of a field's range has been used today."""

    def __init__(self, field_id: str) -> None:
        super().__init__(field_id)
        self.field_id = field_id


class TicketCounts(TypedDict):
    issued: int
    pending: int
    printed: int
    failed: int
    unknown: int  # includes those being printed now


@dataclass(frozen=True)
class NewTicket:
    """A ticket as it is issued: the columns it is inserted with.

    `waiting_ahead` is what this device knew at issue time, as `waiting_source` says: "server",
    the central server's queue (tickets not yet called) plus this device's tickets it did not
    know yet; "local", the tickets of the same field issued earlier that office day here, served
    or not. For a priority ticket either way only the priority ones: it is called before the
    others.
    """

    id: str
    request_id: str
    office: str
    day: date
    field_id: str
    number: int
    label: str
    priority: bool
    issued_at: datetime
    waiting_ahead: int
    waiting_source: str
    qr_payload: str


@dataclass(frozen=True)
class SeenMark:
    """Which of this store's tickets the central server may know at one moment (just before
    its queue was asked for): every ticket up to rowid `last_rowid`, but for `unsent`, those
    whose `ticket.issued` event was still in the outbox (quarantined ones included: they never
    reach it)."""

    last_rowid: int
    unsent: frozenset[str]


@dataclass(frozen=True)
class Ticket(NewTicket):
    """An issued ticket, with its print state."""

    print_status: str
    print_error: str | None
    print_attempts: int
    printed_at: datetime | None

    @property
    def printed(self) -> bool:
        return self.print_status == PRINT_PRINTED


_INSERTED = tuple(field.name for field in fields(NewTicket))


def _stored(ticket: NewTicket) -> dict[str, Any]:
    """The inserted columns as stored: the day as ISO text, the issue time as RFC 3339 text."""
    values = {name: getattr(ticket, name) for name in _INSERTED}
    return {
        **values,
        "day": ticket.day.isoformat(),
        "priority": int(ticket.priority),
        "issued_at": rfc3339(ticket.issued_at),
    }


def _ticket(row: sqlite3.Row) -> Ticket:
    printed_at = row["printed_at"]
    return Ticket(
        id=row["id"],
        request_id=row["request_id"],
        office=row["office"],
        day=date.fromisoformat(row["day"]),
        field_id=row["field_id"],
        number=row["number"],
        label=row["label"],
        priority=bool(row["priority"]),
        issued_at=datetime.fromisoformat(row["issued_at"]),
        waiting_ahead=row["waiting_ahead"],
        waiting_source=row["waiting_source"],
        qr_payload=row["qr_payload"],
        print_status=row["print_status"],
        print_error=row["print_error"],
        print_attempts=row["print_attempts"],
        printed_at=None if printed_at is None else datetime.fromisoformat(printed_at),
    )


def _find(conn: sqlite3.Connection, column: str, value: str) -> Ticket | None:
    """The ticket of an id or a request id."""
    row = conn.execute(f"SELECT * FROM tickets WHERE {column} = ?", (value,)).fetchone()
    return None if row is None else _ticket(row)


def _count_issued(
    conn: sqlite3.Connection,
    office: str,
    day: date,
    field_id: str,
    *,
    priority: bool = False,
    unseen_since: SeenMark | None = None,
) -> int:
    """The tickets of a field issued that day here; `priority`: only the priority ones;
    `unseen_since`: only those the server did not know at that mark."""
    sql = "SELECT COUNT(*) FROM tickets WHERE office = ? AND day = ? AND field_id = ?"
    params: tuple[object, ...] = (office, day.isoformat(), field_id)
    if priority:
        sql += " AND priority = 1"
    if unseen_since is not None:
        sql += " AND (rowid > ? OR id IN (SELECT value FROM json_each(?)))"
        params += (unseen_since.last_rowid, json.dumps(sorted(unseen_since.unsent)))
    return conn.execute(sql, params).fetchone()[0]


class Tickets:
    def __init__(self, db: Database) -> None:
        self._db = db

    def issue(
        self,
        *,
        request_id: str,
        office: str,
        day: date,
        field_id: str,
        first: int,
        last: int,
        compose: Callable[[int, int, int | None], tuple[NewTicket, Event]],
        priority: bool = False,
        unseen_since: SeenMark | None = None,
    ) -> tuple[Ticket, bool]:
        """Issue the next ticket of a field for an office day, with its event, atomically.

        If a ticket with `request_id` exists it is returned unchanged (a repeated tap).
        Otherwise the next unused number in first..last is taken and
        `compose(number, issued_before, unseen)` builds the new ticket and its `ticket.issued`
        event; `issued_before` counts the tickets of this field already issued that day in this
        store (with `priority`, only the priority ones: a priority ticket is called before the
        rest), and `unseen` those of them the server did not know at `unseen_since` (None
        without a mark). Returns (ticket, created). Raises RangeExhausted.
        """
        with self._db.write() as conn:
            existing = _find(conn, "request_id", request_id)
            if existing is not None:
                return existing, False
            top = conn.execute(
                "SELECT MAX(number) FROM tickets"
                " WHERE office = ? AND day = ? AND field_id = ? AND number BETWEEN ? AND ?",
                (office, day.isoformat(), field_id, first, last),
            ).fetchone()[0]
            number = first if top is None else top + 1
            if number > last:
                raise RangeExhausted(field_id)
            ahead = _count_issued(conn, office, day, field_id, priority=priority)
            unseen = None
            if unseen_since is not None:
                unseen = _count_issued(
                    conn, office, day, field_id, priority=priority, unseen_since=unseen_since
                )
            new, event = compose(number, ahead, unseen)
            created = insert_row(conn, "tickets", _stored(new))
            add_event(conn, event)
            return _ticket(created), True

    def seen_mark(self) -> SeenMark:
        """The mark of what the server may know of this store's tickets now: take it just
        before asking for the server's queue."""
        with self._db.read() as conn:
            last = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM tickets").fetchone()[0]
            rows = conn.execute(
                "SELECT json_extract(body, '$.data.ticket_id') FROM outbox WHERE type = ?",
                (TICKET_ISSUED,),
            )
            unsent = frozenset(ticket_id for (ticket_id,) in rows if ticket_id)
        return SeenMark(last, unsent)

    def latest_day(self, office: str) -> date | None:
        """The latest office day this store issued a ticket on."""
        with self._db.read() as conn:
            day = conn.execute(
                "SELECT MAX(day) FROM tickets WHERE office = ?", (office,)
            ).fetchone()[0]
        return None if day is None else date.fromisoformat(day)

    def get(self, ticket_id: str) -> Ticket | None:
        with self._db.read() as conn:
            return _find(conn, "id", ticket_id)

    def of_day(self, day: date, *, statuses: tuple[str, ...] = ()) -> list[Ticket]:
        """Tickets of an office day in issue order; only those in `statuses` if any are given."""
        sql = "SELECT * FROM tickets WHERE day = ?"
        params: tuple[str, ...] = (day.isoformat(),)
        if statuses:
            sql += f" AND print_status IN ({', '.join('?' * len(statuses))})"
            params += statuses
        with self._db.read() as conn:
            rows = conn.execute(f"{sql} ORDER BY issued_at, field_id, number", params)
            return [_ticket(row) for row in rows]

    def count_issued(self, *, office: str, day: date, field_id: str) -> int:
        """Tickets of a field issued on an office day by this store (not a live queue length)."""
        with self._db.read() as conn:
            return _count_issued(conn, office, day, field_id)

    def counts(self, office: str, day: date) -> TicketCounts:
        """How many tickets an office day has, in total and by print state."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT print_status, COUNT(*) FROM tickets WHERE office = ? AND day = ?"
                " GROUP BY print_status",
                (office, day.isoformat()),
            )
            by_status = {status: count for status, count in rows}
        return TicketCounts(
            issued=sum(by_status.values()),
            pending=by_status.get(PRINT_PENDING, 0),
            printed=by_status.get(PRINT_PRINTED, 0),
            failed=by_status.get(PRINT_FAILED, 0),
            unknown=by_status.get(PRINT_UNKNOWN, 0) + by_status.get(PRINT_PRINTING, 0),
        )

    def mark_printing(self, ticket_id: str, *, unknown_too: bool) -> Ticket | None:
        """Record that the ticket's job is about to go to the printer, before it does: if the
        process dies during the print, the ticket is found "printing" (see mark_interrupted).

        Only a ticket never printed or failed is claimed, and one of unknown outcome with
        `unknown_too` (a technician's explicit reprint); otherwise None is returned and the
        ticket must not be printed.
        """
        allowed = (PRINT_PENDING, PRINT_FAILED) + ((PRINT_UNKNOWN,) if unknown_too else ())
        with self._db.write() as conn:
            row = conn.execute(
                "UPDATE tickets SET print_status = ? WHERE id = ?"
                f" AND print_status IN ({', '.join('?' * len(allowed))}) RETURNING *",
                (PRINT_PRINTING, ticket_id, *allowed),
            ).fetchone()
            return None if row is None else _ticket(row)

    def mark_print_unknown(self, ticket_id: str, *, error: str) -> Ticket | None:
        """Record an attempt whose job went (wholly or partly) to the printer, after which the
        printer failed: the paper may hold the ticket or not. A printed ticket stays so."""
        return self._record_attempt(ticket_id, PRINT_UNKNOWN, error)

    def mark_interrupted(self, error: str) -> list[Ticket]:
        """Tickets still "printing" become "unknown": the process that printed them is gone.
        Only the process that prints may call this, before it prints anything."""
        with self._db.write() as conn:
            rows = conn.execute(
                "UPDATE tickets SET print_status = ?, print_error = ?,"
                " print_attempts = print_attempts + 1 WHERE print_status = ? RETURNING *",
                (PRINT_UNKNOWN, error, PRINT_PRINTING),
            )
            return [_ticket(row) for row in rows]

    def mark_printed(
        self, ticket_id: str, *, printed_at: datetime, compose: Callable[[Ticket], Event]
    ) -> Ticket | None:
        """Record a successful print and its event (built by `compose` from the updated ticket).

        A ticket already marked printed is returned unchanged, with no second event.
        Returns None for an unknown ticket.
        """
        with self._db.write() as conn:
            ticket = _find(conn, "id", ticket_id)
            if ticket is None or ticket.printed:
                return ticket
            updated = _ticket(
                conn.execute(
                    "UPDATE tickets SET print_status = ?, printed_at = ?,"
                    " print_error = NULL, print_attempts = print_attempts + 1"
                    " WHERE id = ? RETURNING *",
                    (PRINT_PRINTED, rfc3339(printed_at), ticket_id),
                ).fetchone()
            )
            add_event(conn, compose(updated))
            return updated

    def mark_print_failed(self, ticket_id: str, *, error: str) -> Ticket | None:
        """Record a failed print attempt; the ticket keeps its number. A printed ticket stays so."""
        return self._record_attempt(ticket_id, PRINT_FAILED, error)

    def _record_attempt(self, ticket_id: str, status: str, error: str) -> Ticket | None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE tickets SET print_status = ?, print_error = ?,"
                " print_attempts = print_attempts + 1 WHERE id = ? AND print_status != ?",
                (status, error, ticket_id, PRINT_PRINTED),
            )
            return _find(conn, "id", ticket_id)
