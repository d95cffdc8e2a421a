"""Events of the device tests: valid events the central server accepts, a busy office day
written as the lobby writes it, and what waits in an outbox."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk import events
from kiosk.config import Config
from kiosk.store import Store
from kiosk.tickets import TicketService
from tests.support.clocks import Clock
from tests.support.device import DEVICE, OFFICE


def ticket_events(count: int, *, office: str = OFFICE, device_id: str = DEVICE) -> list[dict]:
    """`ticket.issued` events the central server accepts, numbered 1..count."""
    now = datetime.now(UTC)
    day = now.date().isoformat()
    return [
        events.new_event(
            events.TICKET_ISSUED,
            {
                "ticket_id": str(uuid.uuid4()),
                "day": day,
                "field_id": "ho-tich",
                "number": number,
                "label": str(1000 + number),
                "priority": False,
                "waiting_ahead": 0,
                "issued_at": events.rfc3339(now),
            },
            office=office,
            device_id=device_id,
            occurred_at=now,
        )
        for number in range(1, count + 1)
    ]


def simulate_day(store: Store, config: Config, tickets: int) -> list[str]:
    """A busy office day, yesterday: `tickets` tickets issued and printed from opening time on,
    one transaction each, as the lobby writes them. Returns the ids of the events written."""
    zone = config.office.timezone
    day = datetime.now(zone).date() - timedelta(days=1)
    clock = Clock(datetime.combine(day, config.office.opens_at, zone))
    service = TicketService(store, config, bytes(32), clock)
    fields = [field.id for field in config.catalogue.fields]
    step = (
        datetime.combine(day, config.office.closes_at)
        - datetime.combine(day, config.office.opens_at)
    ) / tickets
    for number in range(tickets):
        ticket = service.issue(fields[number % len(fields)], priority=False, request_id=str(number))
        service.mark_printed(ticket.id)
        clock.now += step
    return [event["id"] for event in store.outbox.pending(limit=2 * tickets + 1)]


def identified_event(name: str, id_number: str, *, device_id: str = DEVICE) -> dict:
    now = datetime.now(UTC)
    return events.new_event(
        events.CITIZEN_IDENTIFIED,
        {
            "day": now.date().isoformat(),
            "label": "1001",
            "ticket_id": str(uuid.uuid4()),
            "identity": {"id": id_number, "name": name, "birth": "1990-02-03"},
        },
        office=OFFICE,
        device_id=device_id,
        occurred_at=now,
    )


def once_each(ids: list[str]) -> Counter[str]:
    return Counter(dict.fromkeys(ids, 1))


def events_of(store: Store, type_: str | None = None) -> list[dict[str, Any]]:
    """The events waiting in a store's outbox, of one type if given."""
    return [e for e in store.outbox.pending(limit=100_000) if type_ in (None, e["type"])]
