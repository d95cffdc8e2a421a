"""The live queue of an office day: its state, and calling the next ticket atomically.

call-next must never give one ticket to two counters: it is one UPDATE of the next waiting
ticket, RETURNING it, in a write transaction. On PostgreSQL the UPDATE's subquery picks the
candidate with FOR UPDATE SKIP LOCKED (a concurrent caller takes the next row instead of waiting
for this one); on SQLite the transaction starts with BEGIN IMMEDIATE, so callers run one at a
time. The same transaction puts the call in the hall displays' feed (central.call_feed).
"""

from __future__ import annotations

import statistics
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Select, func, select, update

from central import call_feed, ticket_state
from central.db import Database
from central.schema import sessions, tickets
from central.ticket_state import CALLED, WAITING
from common.call_keys import call_key

RECENTLY_CALLED = 10
SERVICE_SAMPLE = 20


@dataclass(frozen=True)
class CalledTicket:
    ticket_id: str
    label: str
    field_id: str
    priority: bool
    issued_at: datetime
    day: date
    session_id: str


@dataclass(frozen=True)
class FieldQueue:
    field_id: str
    waiting: int
    priority_waiting: int
    estimated_wait_minutes: float | None
    next_label: str | None


@dataclass(frozen=True)
class RecentCall:
    label: str
    field_id: str | None
    counter: int | None
    called_at: datetime


@dataclass(frozen=True)
class QueueState:
    office: str
    generated_at: datetime
    fields: list[FieldQueue]
    recently_called: list[RecentCall]


def _next_waiting(office: str, day: date, fields: list[str]) -> Select[Any]:
    """The ticket a counter serving `fields` gets next: priority first, then issue time, then
    number."""
    return (
        select(tickets.c.ticket_id, tickets.c.label)
        .where(
            tickets.c.office == office,
            tickets.c.day == day,
            tickets.c.state == WAITING,
            tickets.c.field_id.in_(fields),
        )
        # Tickets issued within the same millisecond (the events' precision) go by number.
        .order_by(
            tickets.c.priority.desc(), tickets.c.issued_at, tickets.c.number, tickets.c.ticket_id
        )
        .limit(1)
    )


def call_next(
    db: Database,
    *,
    office: str,
    counter: int,
    officer_id: str,
    fields: list[str],
    day: date,
    now: datetime,
) -> CalledTicket | None:
    """Mark the next waiting ticket called at `counter` and open its session; None if none wait."""
    # correlate(None): the subquery reads tickets on its own, not the row being updated.
    candidate = _next_waiting(office, day, fields).with_only_columns(tickets.c.ticket_id)
    candidate = candidate.correlate(None)
    if db.kind == "postgresql":
        candidate = candidate.with_for_update(skip_locked=True)
    session_id = str(uuid.uuid4())
    statement = (
        update(tickets)
        .where(
            tickets.c.office == office,
            tickets.c.ticket_id == candidate.scalar_subquery(),
            tickets.c.state == WAITING,
        )
        .values(
            state=CALLED,
            state_at=now,
            called_at=now,
            counter=counter,
            officer_id=officer_id,
            session_id=session_id,
        )
        .returning(
            tickets.c.ticket_id,
            tickets.c.label,
            tickets.c.field_id,
            tickets.c.priority,
            tickets.c.issued_at,
            tickets.c.day,
        )
    )

    def take(conn: Connection) -> CalledTicket | None:
        row = conn.execute(statement).first()
        if row is None:
            return None
        change = ticket_state.Change(
            office=office,
            change_id=f"call-next:{session_id}",
            day=row.day,
            label=row.label,
            field_id=row.field_id,
            ticket_id=row.ticket_id,
            state=CALLED,
            occurred_at=now,
            counter=counter,
            officer_id=officer_id,
            session_id=session_id,
        )
        ticket_state.record(conn, db.kind, change)
        call_feed.record(conn, db.kind, [_hall_call(change, row.field_id)], now)
        return CalledTicket(
            row.ticket_id, row.label, row.field_id, row.priority, row.issued_at, row.day, session_id
        )

    return db.run(take)


def _hall_call(change: ticket_state.Change, field_id: str | None) -> call_feed.NewCall:
    """The call the hall display shows for a call made here (call-next, take)."""
    return call_feed.NewCall(
        office=change.office,
        key=call_key(change.session_id),
        kind="call",
        day=change.day,
        label=change.label,
        field_id=field_id,
        counter=change.counter,
        occurred_at=change.occurred_at,
    )


@dataclass(frozen=True)
class HeldElsewhere:
    """The ticket is called at another counter (`served`: and its session is closed there)."""

    label: str
    day: date
    counter: int
    served: bool


def take_ticket(
    db: Database,
    *,
    office: str,
    counter: int,
    officer_id: str,
    day: date,
    label: str,
    field_id: str | None,
    now: datetime,
) -> CalledTicket | HeldElsewhere | None:
    """Call the ticket an officer typed or scanned (day and label) to `counter`: the ticket
    called, HeldElsewhere when another counter holds it (nothing changes), or None when the
    server has no such ticket (the counter takes it offline; the call waits for the ticket)."""
    session_id = str(uuid.uuid4())
    probe = ticket_state.Change(
        office=office,
        change_id=f"take:{session_id}",
        day=day,
        label=label,
        field_id=field_id,
        ticket_id=None,
        state=CALLED,
        occurred_at=now,
        counter=counter,
        officer_id=officer_id,
        session_id=session_id,
    )

    def take(conn: Connection) -> CalledTicket | HeldElsewhere | None:
        ticket_state.serialise(conn, db.kind, office, day, label)
        rows = ticket_state.tickets_of(conn, probe)
        if len(rows) != 1:
            return None
        row = rows[0]
        if row.state == CALLED and row.counter != counter:
            served = conn.execute(
                select(func.count())
                .select_from(sessions)
                .where(sessions.c.office == office, sessions.c.session_id == row.session_id)
            ).scalar()
            return HeldElsewhere(row.label, row.day, row.counter, bool(served))
        if row.issued_at is None:
            return None  # only a call of it arrived so far: taken offline, like an unknown one
        change = ticket_state.Change(**{**vars(probe), "ticket_id": row.ticket_id})
        try:
            ticket_state.record(conn, db.kind, change)
        except ticket_state.TicketTaken as taken:  # held at the take's moment by a later fold
            ticket_state.forget(conn, office, change.change_id)  # refused here and now
            return HeldElsewhere(taken.label, taken.day, taken.counter, taken.served)
        call_feed.record(conn, db.kind, [_hall_call(change, row.field_id)], now)
        return CalledTicket(
            row.ticket_id,
            row.label,
            row.field_id,
            row.priority,
            row.issued_at,
            row.day,
            session_id,
        )

    return db.run(take)


def queue_state(db: Database, *, office: str, day: date, now: datetime) -> QueueState:
    def read(conn: Connection) -> QueueState:
        counts = conn.execute(
            select(
                tickets.c.field_id,
                tickets.c.state,
                tickets.c.priority,
                func.count().label("n"),
            )
            .where(
                tickets.c.office == office, tickets.c.day == day, tickets.c.field_id.is_not(None)
            )
            .group_by(tickets.c.field_id, tickets.c.state, tickets.c.priority)
        ).all()
        waiting: dict[str, int] = {}
        priority_waiting: dict[str, int] = {}
        for row in counts:
            waiting.setdefault(row.field_id, 0)
            priority_waiting.setdefault(row.field_id, 0)
            if row.state == WAITING:
                waiting[row.field_id] += row.n
                if row.priority:
                    priority_waiting[row.field_id] += row.n
        fields = [
            _field_queue(conn, office, day, field_id, waiting[field_id], priority_waiting[field_id])
            for field_id in sorted(waiting)
        ]
        return QueueState(office, now, fields, _recently_called(conn, office, day))

    return db.read(read)


def _field_queue(
    conn: Connection, office: str, day: date, field_id: str, waiting: int, priority_waiting: int
) -> FieldQueue:
    service = _median_service_minutes(conn, office, day, field_id)
    first = conn.execute(_next_waiting(office, day, [field_id])).first()
    return FieldQueue(
        field_id=field_id,
        waiting=waiting,
        priority_waiting=priority_waiting,
        estimated_wait_minutes=None if service is None else round(waiting * service, 1),
        next_label=None if first is None else first.label,
    )


def _median_service_minutes(
    conn: Connection, office: str, day: date, field_id: str
) -> float | None:
    """Median call-to-close time of the field's last 20 sessions of the day."""
    rows = conn.execute(
        select(sessions.c.called_at, sessions.c.closed_at)
        .where(sessions.c.office == office, sessions.c.day == day, sessions.c.field_id == field_id)
        .order_by(sessions.c.closed_at.desc())
        .limit(SERVICE_SAMPLE)
    ).all()
    minutes = [
        (row.closed_at - row.called_at).total_seconds() / 60
        for row in rows
        if row.closed_at >= row.called_at
    ]
    return statistics.median(minutes) if minutes else None


def _recently_called(conn: Connection, office: str, day: date) -> list[RecentCall]:
    rows = conn.execute(
        select(tickets.c.label, tickets.c.field_id, tickets.c.counter, tickets.c.called_at)
        .where(tickets.c.office == office, tickets.c.day == day, tickets.c.called_at.is_not(None))
        .order_by(tickets.c.called_at.desc(), tickets.c.label)
        .limit(RECENTLY_CALLED)
    ).all()
    return [RecentCall(row.label, row.field_id, row.counter, row.called_at) for row in rows]
