"""Pruning (kiosk.store.pruning) on real SQLite files, with an injected clock: delivered records
of days before the kept ones go, with no copy left in the file; undelivered ones never do."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from kiosk import events
from kiosk.store import Store
from kiosk.store.sessions import NewSession
from kiosk.tickets import Ticket, TicketService
from tests.support.clocks import HCM, Clock
from tests.support.device import small_config

TODAY = date(2026, 6, 3)
KEEP_DAYS = 30
KEEP_FROM = TODAY - timedelta(days=KEEP_DAYS)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "kiosk.db") as opened:
        yield opened


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime.combine(TODAY, time(9), HCM))


@pytest.fixture
def tickets(store: Store, tmp_path: Path, clock: Clock) -> TicketService:
    return TicketService(store, small_config(tmp_path), bytes(32), clock)


def issue_on(tickets: TicketService, clock: Clock, day: date) -> Ticket:
    clock.now = datetime.combine(day, time(9), HCM)
    return tickets.issue("beta", priority=False, request_id=str(uuid.uuid4()))


def deliver_all(store: Store) -> None:
    """As kiosk.sync does once the server acknowledged every event waiting."""
    while batch := store.outbox.pending():
        store.outbox.settle([event["id"] for event in batch], {})


def session_on(store: Store, day: date) -> str:
    called_at = datetime.combine(day, time(10), HCM)
    session_id = str(uuid.uuid4())
    data = {"session_id": session_id, "label": "B001"}
    event = events.new_event(
        events.TICKET_CALLED, data, office="00637", device_id="counter-01", occurred_at=called_at
    )
    new = NewSession(
        session_id, "00637", day, "B001", None, "beta", False, 1, "cb01", "typed", "called",
        called_at,
    )  # fmt: skip
    store.sessions.insert(new, event)
    return session_id


def test_delivered_records_before_the_kept_days_go_and_undelivered_ones_stay(
    store: Store, tickets: TicketService, clock: Clock
) -> None:
    gone = issue_on(tickets, clock, KEEP_FROM - timedelta(days=1))
    kept = issue_on(tickets, clock, KEEP_FROM)
    old_session = session_on(store, KEEP_FROM - timedelta(days=1))
    kept_session = session_on(store, KEEP_FROM)
    deliver_all(store)
    unsent = issue_on(tickets, clock, KEEP_FROM - timedelta(days=5))  # the server lacks it
    rejected = issue_on(tickets, clock, KEEP_FROM - timedelta(days=5))
    waiting = store.outbox.pending()  # the two ticket.issued events: one is rejected
    store.outbox.settle([], {waiting[-1]["id"]: "refused by the server"})
    today = issue_on(tickets, clock, TODAY)

    pruned = store.prune(KEEP_FROM)

    assert (pruned.tickets, pruned.sessions) == (1, 1)
    assert store.tickets.get(gone.id) is None
    for ticket in (kept, unsent, rejected, today):
        assert store.tickets.get(ticket.id) is not None
    assert store.sessions.get(old_session) is None
    assert store.sessions.get(kept_session) is not None
    # The deleted ticket's signed QR payload is nowhere in the file or its WAL.
    files = [store.path, store.path.with_name(store.path.name + "-wal")]
    on_disk = b"".join(path.read_bytes() for path in files if path.exists())
    assert gone.qr_payload.encode() not in on_disk
    assert kept.qr_payload.encode() in on_disk


def test_pruning_keeps_the_file_bounded_by_the_kept_days(
    store: Store, tickets: TicketService, clock: Clock
) -> None:
    def fill(days: range) -> None:
        for back in days:
            for _ in range(25):
                issue_on(tickets, clock, TODAY - timedelta(days=back))
        deliver_all(store)

    fill(range(KEEP_DAYS + 10, KEEP_DAYS, -1))  # ten days that will be pruned
    fill(range(3, -1, -1))  # four kept
    unpruned = store.path.stat().st_size
    pruned = store.prune(KEEP_FROM)
    assert pruned.tickets == 250
    assert pruned.size_after < pruned.size_before
    assert store.path.stat().st_size < unpruned * 0.6
    assert pruned.size_after == store.path.stat().st_size  # the WAL is empty
    again = store.prune(KEEP_FROM)
    assert (again.tickets, again.size_after) == (0, pruned.size_after)  # nothing more to free
