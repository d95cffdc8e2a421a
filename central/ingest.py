"""Event ingest: check each event of a batch, store the new ones once, apply their projections.

The event insert is `INSERT … ON CONFLICT DO NOTHING` on the event id, so concurrent identical
batches store each event exactly once: the loser of the race sees no row inserted and answers
`duplicate`. The projections run in the same transaction as the inserts, and so does the hall
feed's entry of each accepted call and recall (central.call_feed).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from central import call_feed
from central.call_feed import call_of_event
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
    db: Database,
    principal: Principal,
    batch: list[Any],
    now: datetime,
    today: IngestDay,
    on_calls: Callable[[str], None] = lambda _office: None,
) -> list[EventResult]:
    """Results in the order of `batch`. The accepted calls and recalls go to the hall feed in
    the same transaction (central.call_feed); `on_calls(office)` runs once they are committed."""
    checked = [(echo_id(raw), check_event(raw, principal, now)) for raw in batch]
    if not any(isinstance(item, CheckedEvent) for _, item in checked):
        return [_rejected(echo, item) for echo, item in checked if isinstance(item, Rejection)]

    def store(conn: Connection) -> tuple[list[EventResult], int]:
        return _store_all(db, conn, checked, now, today)

    try:
        results, called = db.run(store)
    except SQLAlchemyError as error:
        # Not a busy database (that is DatabaseBusy, a 503 the device retries): something in
        # this batch cannot be stored. Store the events one by one, so that the one that fails
        # is rejected (and quarantined by its device) and the batch never fails again.
        log.error(
            "a batch of %d events failed (%s); storing one by one", len(batch), describe(error)
        )
        stored = [_store_alone(db, echo, item, now, today) for echo, item in checked]
        results, called = [result for result, _ in stored], sum(n for _, n in stored)
    if called:
        on_calls(principal.office)
    return results


def _store_all(
    db: Database,
    conn: Connection,
    checked: list[tuple[str | None, CheckedEvent | Rejection]],
    now: datetime,
    today: IngestDay,
) -> tuple[list[EventResult], int]:
    """Store the checked events, then their calls (last: it locks the office's feed);
    returns the results and how many calls the feed gained."""
    results = []
    calls = []
    for echo, item in checked:
        if isinstance(item, Rejection):
            results.append(_rejected(echo, item))
            continue
        result = _store(db, conn, echo, item, today)
        results.append(result)
        call = call_of_event(item) if result.status == ACCEPTED else None
        if call is not None:
            calls.append(call)
    return results, call_feed.record(conn, db.kind, calls, now)


def _store_alone(
    db: Database,
    echo: str | None,
    item: CheckedEvent | Rejection,
    now: datetime,
    today: IngestDay,
) -> tuple[EventResult, int]:
    if isinstance(item, Rejection):
        return _rejected(echo, item), 0
    try:
        results, called = db.run(lambda conn: _store_all(db, conn, [(echo, item)], now, today))
    except SQLAlchemyError as error:
        log.error("event %s cannot be stored: %s", item.id, describe(error))
        return EventResult(echo, REJECTED, reason="the server cannot store this event"), 0
    return results[0], called


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
