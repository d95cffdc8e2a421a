"""Projections: the tables the queue and the reports read, kept from the accepted events.

Each function runs in the transaction that inserted its event. Events of one office come from
several devices and may arrive in any order (a call before its ticket's issue), so every
projection is an upsert that an older event can never undo.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, exists, select

from central import ticket_state
from central.consents import consent_answered, consent_withdrawn
from central.day_keys import DayKeys, seal
from central.db import Database, DatabaseKind, dialect_insert
from central.envelope import (
    CheckedEvent,
    CitizenIdentified,
    CitizenRating,
    SessionClosed,
    TicketCall,
    TicketIssued,
)
from central.schema import identities, ratings, sessions, tickets
from central.ticket_state import CALLED, SKIPPED, WAITING

DUPLICATE_RATING = "duplicate_rating"


@dataclass(frozen=True)
class IngestDay:
    """What projections need beyond the event: the office's today and the identity keys."""

    day: date
    keys: DayKeys


Projection = Callable[[Database, Connection, CheckedEvent, IngestDay], list[str]]


def project(db: Database, conn: Connection, event: CheckedEvent, today: IngestDay) -> list[str]:
    """Apply an accepted event; returns flags the projection adds (e.g. duplicate_rating)."""
    projection = PROJECTIONS.get(event.type)
    return [] if projection is None else projection(db, conn, event, today)


ISSUE_FACTS = ("day", "label", "number", "field_id", "priority", "issued_at")


@functools.cache
def _upsert_issued(kind: DatabaseKind) -> Any:
    """A call that arrived first made the row: the issue fills in its facts, keeps its state."""
    statement = dialect_insert(kind, tickets)
    return statement.on_conflict_do_update(
        index_elements=["office", "ticket_id"],
        set_={name: statement.excluded[name] for name in ISSUE_FACTS},
    )


@functools.cache
def _insert_new(kind: DatabaseKind, table: Table) -> Any:
    return dialect_insert(kind, table).on_conflict_do_nothing()


@functools.cache
def _insert_rating(kind: DatabaseKind) -> Any:
    return _insert_new(kind, ratings).returning(ratings.c.event_id)


def _ticket_issued(
    db: Database, conn: Connection, event: CheckedEvent, _today: IngestDay
) -> list[str]:
    """The ticket row; the calls and skips that arrived before it are applied now."""
    facts = event.facts
    assert isinstance(facts, TicketIssued)
    row = {
        "office": event.office,
        "ticket_id": str(facts.ticket_id),
        "state": WAITING,
        "day": facts.day,
        "label": facts.label,
        "number": facts.number,
        "field_id": facts.field_id,
        "priority": facts.priority,
        "issued_at": facts.issued_at,
    }
    ticket_state.serialise(conn, db.kind, event.office, facts.day, facts.label)
    conn.execute(_upsert_issued(db.kind), row)
    ticket_state.refresh(conn, event.office, row["ticket_id"])
    return []


def _ticket_call(
    db: Database, conn: Connection, event: CheckedEvent, _today: IngestDay
) -> list[str]:
    """A call, recall or skip, kept and folded into its ticket's state (ticket_state).
    Raises TicketTaken when another counter holds the ticket, UnknownTicketId when its
    ticket id is not that of the issued ticket of its day and label."""
    facts = event.facts
    assert isinstance(facts, TicketCall)
    change = ticket_state.Change(
        office=event.office,
        change_id=event.id,
        day=facts.day,
        label=facts.label,
        field_id=facts.field_id,
        ticket_id=None if facts.ticket_id is None else str(facts.ticket_id),
        state=SKIPPED if event.type == "ticket.skipped" else CALLED,
        occurred_at=event.occurred_at,
        counter=facts.counter,
        officer_id=facts.officer_id,
        session_id=str(facts.session_id),
    )
    if change.ticket_id is not None:
        ticket_state.serialise(conn, db.kind, event.office, facts.day, facts.label)
        known = conn.execute(
            select(tickets.c.ticket_id).where(
                tickets.c.office == event.office,
                tickets.c.day == facts.day,
                tickets.c.label == facts.label,
                tickets.c.issued_at.is_not(None),
            )
        ).all()
        if known and all(found.ticket_id != change.ticket_id for found in known):
            raise ticket_state.UnknownTicketId(facts.label, facts.day)
        # The ticket's issue may be late: a row with what the call knows, filled in by it.
        stand_in = {
            "office": event.office,
            "ticket_id": change.ticket_id,
            "day": facts.day,
            "label": facts.label,
            "field_id": facts.field_id,
            "priority": False,
            "state": WAITING,
        }
        conn.execute(_insert_new(db.kind, tickets), stand_in)
    ticket_state.record(conn, db.kind, change)
    return []


def _citizen_identified(
    db: Database, conn: Connection, event: CheckedEvent, today: IngestDay
) -> list[str]:
    """Keep the identity, sealed with its day's key (central.day_keys), only while its session
    is open and its day is not over."""
    facts = event.facts
    assert isinstance(facts, CitizenIdentified)
    closed = conn.execute(
        select(
            exists().where(
                sessions.c.office == event.office,
                sessions.c.day == facts.day,
                sessions.c.label == facts.label,
            )
        )
    ).scalar()
    if closed or facts.day != today.day:
        return []  # its session is over, or not of today (a past day, or a clock ahead)
    if facts.source == "counter" and not _called_at(conn, event.office, facts, facts.counter):
        return []  # an officer's scan is about the ticket that counter serves, and no other
    conn.execute(
        identities.insert().values(
            event_id=event.id,
            office=event.office,
            day=facts.day,
            label=facts.label,
            ticket_id=None if facts.ticket_id is None else str(facts.ticket_id),
            identity=seal(
                facts.identity.model_dump(),
                today.keys.key(event.office, facts.day, create=True),
                event.id,
            ),
            received_at=event.received_at,
            source=facts.source,
        )
    )
    return []


def _called_at(
    conn: Connection, office: str, facts: CitizenIdentified, counter: int | None
) -> bool:
    return bool(
        conn.execute(
            select(
                exists().where(
                    tickets.c.office == office,
                    tickets.c.day == facts.day,
                    tickets.c.label == facts.label,
                    tickets.c.state == CALLED,
                    tickets.c.counter == counter,
                )
            )
        ).scalar()
    )


def _session_closed(
    db: Database, conn: Connection, event: CheckedEvent, _today: IngestDay
) -> list[str]:
    facts = event.facts
    assert isinstance(facts, SessionClosed)
    rating = facts.officer_rating
    row = {
        "office": event.office,
        "session_id": str(facts.session_id),
        "day": facts.day,
        "label": facts.label,
        "field_id": facts.field_id,
        "counter": facts.counter,
        "officer_id": facts.officer_id,
        "called_at": facts.called_at,
        "closed_at": facts.closed_at,
        "outcome": facts.outcome,
        "same_day_result": facts.same_day_result,
        "officer_rating_scale": None if rating is None else rating.scale,
        "officer_rating_level": None if rating is None else rating.level,
        "flags": facts.flags,
        "dossier_code": facts.dossier_code,
    }
    conn.execute(_insert_new(db.kind, sessions), row)
    conn.execute(
        delete(identities).where(
            and_(
                identities.c.office == event.office,
                identities.c.day == facts.day,
                identities.c.label == facts.label,
            )
        )
    )
    return []


def _citizen_rating(
    db: Database, conn: Connection, event: CheckedEvent, _today: IngestDay
) -> list[str]:
    """The first rating of a session counts; a later one is kept, flagged and not counted."""
    facts = event.facts
    assert isinstance(facts, CitizenRating)
    row = {
        "event_id": event.id,
        "office": event.office,
        "session_id": str(facts.session_id),
        "day": facts.day,
        "counter": facts.counter,
        "officer_id": facts.officer_id,
        "field_id": facts.field_id,
        "rated": facts.rated,
        "scale": facts.scale,
        "level": facts.level,
        "rated_at": facts.rated_at,
    }
    # The only unique index a new event id can meet is "one counted rating per session".
    first = conn.execute(_insert_rating(db.kind), {**row, "counted": True, "flags": facts.flags})
    if first.first() is not None:
        return []
    flags = [*facts.flags, DUPLICATE_RATING]
    conn.execute(ratings.insert(), {**row, "counted": False, "flags": flags})
    return [DUPLICATE_RATING]


PROJECTIONS: dict[str, Projection] = {
    "ticket.issued": _ticket_issued,
    "ticket.called": _ticket_call,
    "ticket.recalled": _ticket_call,
    "ticket.skipped": _ticket_call,
    "citizen.identified": _citizen_identified,
    "session.closed": _session_closed,
    "rating.citizen": _citizen_rating,
    "consent.answered": consent_answered,
    "consent.withdrawn": consent_withdrawn,
}
