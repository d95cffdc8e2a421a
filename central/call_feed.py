"""The calls feed of the hall displays: every call and recall of an office once, numbered.

A call is recorded in the transaction of the state change it announces (call-next, take, an
accepted `ticket.called` / `ticket.recalled`), under the key every path names it by
(kiosk.hall_calls): `call:<session id>`, `recall:<event id>`. A key already in the feed is
ignored, so the counter's own `ticket.called` after a call-next is the same call, not a second.

Sequence numbers are given per office, in commit order: the office's row in `call_sequences` is
incremented in the writing transaction, which locks it until commit on PostgreSQL (so writers of
one office take turns for that last moment of their transaction; SQLite has one writer anyway).
A reader that has seen N therefore never finds a number below N committed later: `seq > N` reads
every call exactly once. The row is taken last in every transaction (after the tickets' locks),
so it adds no lock cycle. On PostgreSQL the transaction also sends `NOTIFY` with the office, which
wakes the long-polls of every server process (central.call_watch).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Connection, select, text, update

from central.db import DatabaseKind, dialect_insert
from central.envelope import CheckedEvent, TicketCall
from central.schema import call_sequences, calls
from common.call_keys import call_key, recall_key

CallKind = Literal["call", "recall"]
NOTIFY_CHANNEL = "kiosk_calls"
STARTUP_CALLS = 20  # what a display starting up is given: the newest calls of the day
MAX_CALLS = 100  # at most this many per answer; the reader asks again after the last one
EVENT_KINDS: dict[str, CallKind] = {"ticket.called": "call", "ticket.recalled": "recall"}
NOTIFY = text("SELECT pg_notify(:channel, :office)")  # delivered when the transaction commits


@dataclass(frozen=True)
class NewCall:
    """A call to record: its seq is given when it is recorded."""

    office: str
    key: str
    kind: CallKind
    day: date
    label: str
    field_id: str | None
    counter: int
    occurred_at: datetime


@dataclass(frozen=True)
class FeedCall:
    seq: int
    key: str
    kind: str
    day: date
    label: str
    counter: int
    field_id: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class Feed:
    """An answer of the feed: calls in seq order, and the seq to ask after next time."""

    calls: list[FeedCall]
    last_seq: int


def call_of_event(event: CheckedEvent) -> NewCall | None:
    """The feed entry of an accepted event: its call or recall; None for any other type."""
    kind = EVENT_KINDS.get(event.type)
    if kind is None:
        return None
    facts = event.facts
    assert isinstance(facts, TicketCall)
    key = call_key(str(facts.session_id)) if kind == "call" else recall_key(event.id)
    return NewCall(
        office=event.office,
        key=key,
        kind=kind,
        day=facts.day,
        label=facts.label,
        field_id=facts.field_id,
        counter=facts.counter,
        occurred_at=event.occurred_at,
    )


@functools.cache
def _advance(kind: DatabaseKind) -> Any:
    """office's seq += :n (a new office starts at :n), returning it; locks the row (PostgreSQL)."""
    statement = dialect_insert(kind, call_sequences)
    return statement.on_conflict_do_update(
        index_elements=["office"], set_={"seq": call_sequences.c.seq + statement.excluded.seq}
    ).returning(call_sequences.c.seq)


@functools.cache
def _insert_call(kind: DatabaseKind) -> Any:
    return (
        dialect_insert(kind, calls)
        .on_conflict_do_nothing(index_elements=["office", "key"])
        .returning(calls.c.seq)
    )


def record(conn: Connection, kind: DatabaseKind, new: list[NewCall], recorded_at: datetime) -> int:
    """Add the calls whose key is not in the feed yet (in the order given), all of one office;
    returns how many were added. Call it last in the transaction: it locks the office's
    sequence until commit."""
    if not new:
        return 0
    office = new[0].office
    unique: dict[str, NewCall] = {}
    for call in new:
        assert call.office == office
        unique.setdefault(call.key, call)
    known = set(
        conn.scalars(
            select(calls.c.key).where(calls.c.office == office, calls.c.key.in_(list(unique)))
        )
    )
    fresh = [call for key, call in unique.items() if key not in known]
    if not fresh:
        return 0  # the common case of a counter's ticket.called after its call-next: no lock
    last = conn.execute(_advance(kind), {"office": office, "seq": len(fresh)}).scalar_one()
    first = last - len(fresh) + 1
    added = 0
    for call in fresh:
        # A concurrent writer may have added the same key between the check and the lock:
        # then it is skipped here and its number not used.
        row = {**vars(call), "seq": first + added, "recorded_at": recorded_at}
        if conn.execute(_insert_call(kind), row).first() is not None:
            added += 1
    if added < len(fresh):
        conn.execute(
            update(call_sequences)
            .where(call_sequences.c.office == office)
            .values(seq=first + added - 1)
        )
    if added and kind == "postgresql":
        conn.execute(NOTIFY, {"channel": NOTIFY_CHANNEL, "office": office})
    return added


def _current_seq(conn: Connection, office: str) -> int:
    found = conn.execute(
        select(call_sequences.c.seq).where(call_sequences.c.office == office)
    ).scalar()
    return found or 0


def _feed_call(row: Any) -> FeedCall:
    return FeedCall(
        row.seq, row.key, row.kind, row.day, row.label, row.counter, row.field_id, row.occurred_at
    )


_COLUMNS = (
    calls.c.seq,
    calls.c.key,
    calls.c.kind,
    calls.c.day,
    calls.c.label,
    calls.c.counter,
    calls.c.field_id,
    calls.c.occurred_at,
)


def latest(conn: Connection, office: str, day: date) -> Feed:
    """What a display starting up is given: the last STARTUP_CALLS calls of `day`, oldest
    first, and the office's current seq."""
    # The seq first: a call committed after it is not in the answer but after its last_seq.
    current = _current_seq(conn, office)
    rows = conn.execute(
        select(*_COLUMNS)
        .where(calls.c.office == office, calls.c.day == day, calls.c.seq <= current)
        .order_by(calls.c.seq.desc())
        .limit(STARTUP_CALLS)
    ).all()
    return Feed([_feed_call(row) for row in reversed(rows)], current)


def after(conn: Connection, office: str, seq: int) -> Feed:
    """The calls after `seq` (at most MAX_CALLS). Without any, last_seq is the office's current
    seq: `seq` itself, or lower when the feed was reset (the reader goes on from it)."""
    current = _current_seq(conn, office)
    rows = conn.execute(
        select(*_COLUMNS)
        .where(calls.c.office == office, calls.c.seq > seq)
        .order_by(calls.c.seq)
        .limit(MAX_CALLS)
    ).all()
    found = [_feed_call(row) for row in rows]
    return Feed(found, found[-1].seq if found else min(current, seq))
