"""A ticket's call state, computed from every change of it, so arrival order does not matter.

Calls, recalls and skips (from devices' events and from call-next) are kept in
`ticket_changes`. A ticket's state (waiting, called, skipped; counter, officer, session; its
first call) is the fold of the changes that are its own, in `occurred_at` order (ties by change
id): those naming its ticket id, and those naming only its day and label (a number typed or
scanned at a counter while the server was unreachable), with its field when they give one. A
change whose ticket has not arrived yet waits in the table and is applied when the
`ticket.issued` arrives, so the final state is the same for every order in which the devices'
outboxes arrive.

A ticket called at one counter cannot be taken by another unless it was skipped there: such a
change has no effect in the fold, and its event is answered `rejected` with the reason.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, or_, select, text, update

from central.db import DatabaseKind, dialect_insert
from central.schema import sessions, ticket_changes, tickets

WAITING = "waiting"
CALLED = "called"
SKIPPED = "skipped"


@dataclass(frozen=True)
class Change:
    office: str
    change_id: str
    day: date
    label: str
    field_id: str | None
    ticket_id: str | None
    state: str
    occurred_at: datetime
    counter: int
    officer_id: str
    session_id: str


class TicketTaken(Exception):
    """The ticket is held by another counter; the message is the reason given to the device."""

    def __init__(self, label: str, day: date, counter: int, served: bool) -> None:
        verb = "was already served" if served else "is being served"
        super().__init__(f"ticket {label} of {day} {verb} at counter {counter}")
        self.label = label
        self.day = day
        self.counter = counter
        self.served = served


class UnknownTicketId(Exception):
    """A call names a ticket id that is not the id of the ticket with its day and label."""

    def __init__(self, label: str, day: date) -> None:
        super().__init__(f"ticket_id is not the id of ticket {label} of {day}")


def serialise(conn: Connection, kind: DatabaseKind, office: str, day: date, label: str) -> None:
    """PostgreSQL: one transaction at a time changes the tickets of one office, day and label
    (its rows locked, then a lock on the label for a ticket not there yet), so two folds, or a
    fold and call-next, never read each other's changes half-made. The rows come first, as
    call-next's UPDATE locks the row before its fold: the same order everywhere, no deadlock.
    SQLite runs one writer at a time anyway."""
    if kind != "postgresql":
        return
    conn.execute(
        select(tickets.c.ticket_id)
        .where(tickets.c.office == office, tickets.c.day == day, tickets.c.label == label)
        .with_for_update()
    ).all()
    conn.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"ticket:{office}:{day.isoformat()}:{label}"},
    )


@functools.cache
def _insert_change(kind: DatabaseKind) -> Any:
    return dialect_insert(kind, ticket_changes).on_conflict_do_nothing()


def tickets_of(conn: Connection, change: Change) -> list[Any]:
    """The ticket rows a change applies to (none while its ticket has not arrived)."""
    if change.ticket_id is not None:
        where = [tickets.c.office == change.office, tickets.c.ticket_id == change.ticket_id]
    else:
        where = [
            tickets.c.office == change.office,
            tickets.c.day == change.day,
            tickets.c.label == change.label,
        ]
        if change.field_id is not None:
            where.append(tickets.c.field_id == change.field_id)
    return conn.execute(select(tickets).where(*where)).all()


def record(conn: Connection, kind: DatabaseKind, change: Change) -> None:
    """Keep the change and recompute the state of every ticket it applies to.

    Raises TicketTaken when the change has no effect because another counter holds the ticket
    at its moment: the device is told so. The change is still kept, so that a skip by the
    holder that arrives later (after an outage) lets it apply, whatever the arrival order."""
    serialise(conn, kind, change.office, change.day, change.label)
    conn.execute(_insert_change(kind), vars(change))
    for row in tickets_of(conn, change):
        holder = refresh(conn, change.office, row.ticket_id).get(change.change_id)
        if holder is not None:
            served = conn.execute(
                select(
                    exists().where(
                        sessions.c.office == change.office,
                        sessions.c.session_id == holder[1],
                    )
                )
            ).scalar()
            raise TicketTaken(row.label, row.day, holder[0], bool(served))


def forget(conn: Connection, office: str, change_id: str) -> None:
    """Drop a change that had no effect and was answered so (the fold is unchanged by it)."""
    conn.execute(
        delete(ticket_changes).where(
            ticket_changes.c.office == office, ticket_changes.c.change_id == change_id
        )
    )


def refresh(conn: Connection, office: str, ticket_id: str) -> dict[str, tuple[int, str]]:
    """Recompute one ticket's state from all its changes; returns the changes that had no
    effect (fold)."""
    ticket = conn.execute(
        select(tickets.c.day, tickets.c.label, tickets.c.field_id).where(
            tickets.c.office == office, tickets.c.ticket_id == ticket_id
        )
    ).first()
    if ticket is None:
        return {}
    by_label = [
        ticket_changes.c.ticket_id.is_(None),
        ticket_changes.c.day == ticket.day,
        ticket_changes.c.label == ticket.label,
    ]
    if ticket.field_id is not None:
        by_label.append(
            or_(ticket_changes.c.field_id.is_(None), ticket_changes.c.field_id == ticket.field_id)
        )
    changes = conn.execute(
        select(ticket_changes)
        .where(
            ticket_changes.c.office == office,
            or_(ticket_changes.c.ticket_id == ticket_id, and_(*by_label)),
        )
        .order_by(ticket_changes.c.occurred_at, ticket_changes.c.change_id)
    ).all()
    if not changes:
        return {}  # as issued: waiting
    state, refused = fold(changes)
    conn.execute(
        update(tickets)
        .where(tickets.c.office == office, tickets.c.ticket_id == ticket_id)
        .values(**state)
    )
    return refused


def fold(changes: Iterable[Any]) -> tuple[dict[str, Any], dict[str, tuple[int, str]]]:
    """A ticket's state columns from its changes in (occurred_at, change id) order, and the
    changes that had no effect, each with the counter and session that held the ticket then.
    The first call (`first_…`) is the earliest call or recall: nothing holds a ticket before
    it, so it always has its effect.

    A change by another counter than the one whose call holds the ticket has no effect (a
    typed mistake, or a takeover); a skip frees the ticket for any counter."""
    state: dict[str, Any] = {
        "state": WAITING,
        "state_at": None,
        "called_at": None,
        "counter": None,
        "officer_id": None,
        "session_id": None,
        "first_called_at": None,
        "first_counter": None,
        "first_officer_id": None,
    }
    refused: dict[str, tuple[int, str]] = {}
    for change in changes:
        if state["state"] == CALLED and state["counter"] != change.counter:
            refused[change.change_id] = (state["counter"], state["session_id"])
            continue
        state.update(
            state=change.state,
            state_at=change.occurred_at,
            counter=change.counter,
            officer_id=change.officer_id,
            session_id=change.session_id,
        )
        if change.state == CALLED:
            state["called_at"] = change.occurred_at
            if state["first_called_at"] is None:
                state.update(
                    first_called_at=change.occurred_at,
                    first_counter=change.counter,
                    first_officer_id=change.officer_id,
                )
    return state, refused
