"""When the lobby issues tickets: from `opens_at` minus `tickets_before_opening` until
`closes_at`, in the office's time zone (off for a 24-hour site: `closed_outside_hours = false`).

Outside those hours a ticket would never be called; the lobby says when the office opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from kiosk.config import OfficeConfig

BEFORE_OPENING = "before_opening"
AFTER_CLOSING = "after_closing"


@dataclass(frozen=True)
class Closed:
    """Tickets are not issued now. `why`: BEFORE_OPENING (later today) or AFTER_CLOSING
    (tomorrow); `opens` and `first_ticket` are local times of day."""

    why: str
    opens: time
    first_ticket: time


def first_ticket_time(office: OfficeConfig) -> time:
    start = datetime.combine(datetime(2000, 1, 1), office.opens_at)
    return (start - timedelta(minutes=office.tickets_before_opening)).time()


def closed_now(office: OfficeConfig, now: datetime) -> Closed | None:
    """None while tickets may be issued at `now` (aware)."""
    if not office.closed_outside_hours:
        return None
    local = now.astimezone(office.timezone).time()
    first = first_ticket_time(office)
    if local < first:
        return Closed(BEFORE_OPENING, office.opens_at, first)
    if local >= office.closes_at:
        return Closed(AFTER_CLOSING, office.opens_at, first)
    return None
