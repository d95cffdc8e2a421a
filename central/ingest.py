"""Event ingest: check each event of a batch, store the new ones once, apply their projections.

The event insert is `INSERT … ON CONFLICT DO NOTHING` on the event id, so concurrent identical
batches store each event exactly once: the loser of the race sees no row inserted and answers
`duplicate`. The projections run in the same transaction as the inserts.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from central.db import Database, DatabaseKind, dialect_insert
from central.enrolment import Principal
from central.envelope import CheckedEvent, Rejection, check_event, echo_id
from central.errors import describe
from central.projections import IngestDay, project
from central.schema import events
from central.ticket_state import TicketTaken, UnknownTicketId

log = logging.getLogger(__name__)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass(frozen=True)
class EventResult:
    id: str | None
    status: str
    reason: str | None = None
    flags: list[str] | None = None


def ingest(
    db: Database, principal: Principal, batch: list[Any], now: datetime, today: IngestDay
) -> list[EventResult]:
    """Results in the order of `batch`."""
    checked = [(echo_id(raw), check_event(raw, principal, now)) for raw in batch]
    if not any(isinstance(item, CheckedEvent) for _, item in checked):
        return [_rejected(echo, item) for echo, item in checked if isinstance(item, Rejection)]

    def store(conn: Connection) -> list[EventResult]:
        return [
            _store(db, conn, echo, item, today)
            if isinstance(item, CheckedEvent)
            else _rejected(echo, item)
            for echo, item in checked
        ]

    try:
        return db.run(store)
    except SQLAlchemyError as error:
        # Not a busy database (that is DatabaseBusy, a 503 the device retries): something in
        # this batch cannot be stored. Store the events one by one, so that the one that fails
        # is rejected (and quarantined by its device) and the batch never fails again.
        log.error(
            "a batch of %d events failed (%s); storing one by one", len(batch), describe(error)
        )
        return [
            _store_alone(db, echo, item, today)
            if isinstance(item, CheckedEvent)
            else _rejected(echo, item)
            for echo, item in checked
        ]


def _store_alone(
    db: Database, echo: str | None, event: CheckedEvent, today: IngestDay
) -> EventResult:
    try:
        return db.run(lambda conn: _store(db, conn, echo, event, today))
    except SQLAlchemyError as error:
        log.error("event %s cannot be stored: %s", event.id, describe(error))
        return EventResult(echo, REJECTED, reason="the server cannot store this event")


@functools.cache
def _insert_event(kind: DatabaseKind) -> Any:
    """Built once: a statement with parameters is far cheaper to run than one with values."""
    return dialect_insert(kind, events).on_conflict_do_nothing().returning(events.c.id)


def _rejected(echo: str | None, rejection: Rejection) -> EventResult:
    return EventResult(echo, REJECTED, reason=rejection.reason)


def _store(
    db: Database, conn: Connection, echo: str | None, event: CheckedEvent, today: IngestDay
) -> EventResult:
    row = {
        "id": event.id,
        "office": event.office,
        "device_id": event.device_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "received_at": event.received_at,
        "data": event.stored_data,
        "flags": event.flags,
    }
    inserted = conn.execute(_insert_event(db.kind), row).first()
    if inserted is None:
        owner = conn.execute(
            select(events.c.office, events.c.device_id).where(events.c.id == event.id)
        ).one()
        if (owner.office, owner.device_id) != (event.office, event.device_id):
            return EventResult(echo, REJECTED, reason="this event id was used by another device")
        return EventResult(echo, DUPLICATE)
    try:
        flags = event.flags + project(db, conn, event, today)
    except (TicketTaken, UnknownTicketId) as refused:
        conn.execute(delete(events).where(events.c.id == event.id))
        return EventResult(echo, REJECTED, reason=str(refused))
    if flags != event.flags:
        conn.execute(update(events).where(events.c.id == event.id).values(flags=flags))
    return EventResult(echo, ACCEPTED, flags=flags or None)
