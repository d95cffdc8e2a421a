"""Outbox events: the envelope every state change travels in to the central API.

The server drops duplicates by the event id, so an event is created once, stored in the same
transaction as the change it describes, and sent as often as needed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

SCHEMA = 1

Event = dict[str, Any]

TICKET_ISSUED = "ticket.issued"
TICKET_PRINTED = "ticket.printed"
TICKET_CALLED = "ticket.called"
TICKET_RECALLED = "ticket.recalled"
TICKET_SKIPPED = "ticket.skipped"
CITIZEN_IDENTIFIED = "citizen.identified"
SESSION_CLOSED = "session.closed"
RATING_CITIZEN = "rating.citizen"
CONSENT_ANSWERED = "consent.answered"
CONSENT_WITHDRAWN = "consent.withdrawn"

EVENT_TYPES = frozenset(
    {
        TICKET_ISSUED,
        TICKET_PRINTED,
        TICKET_CALLED,
        TICKET_RECALLED,
        TICKET_SKIPPED,
        CITIZEN_IDENTIFIED,
        SESSION_CLOSED,
        RATING_CITIZEN,
        CONSENT_ANSWERED,
        CONSENT_WITHDRAWN,
    }
)


def rfc3339(moment: datetime) -> str:
    """RFC 3339 text with the UTC offset. A naive datetime is refused: its zone is a guess."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a timestamp must carry its time zone")
    return moment.isoformat(timespec="milliseconds")


def new_event(
    type: str, data: dict[str, Any], *, office: str, device_id: str, occurred_at: datetime
) -> Event:
    """Build an event envelope with a fresh UUID."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    return {
        "id": str(uuid.uuid4()),
        "type": type,
        "occurred_at": rfc3339(occurred_at),
        "office": office,
        "device_id": device_id,
        "schema": SCHEMA,
        "data": data,
    }
