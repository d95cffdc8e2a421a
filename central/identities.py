"""The citizen's identity for the counter that called their ticket, and for no one else.

An identity (from `citizen.identified`) is kept only while its ticket's session is open and its
office day lasts (projections and housekeeping delete it), sealed under its day's key, which
housekeeping destroys when the day is over; it is served only while the ticket is called at the
asking counter.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, or_, select

from central.day_keys import DayKeys, unseal
from central.db import Database
from central.schema import identities, tickets
from central.ticket_state import CALLED


def identity_for_counter(
    db: Database, keys: DayKeys, *, office: str, counter: int, day: date, label: str
) -> dict[str, Any] | None:
    """The identity given for ticket `label` of `day`, if that ticket is now called at
    `counter`; None otherwise (not called there, no identity, or already forgotten)."""

    def read(conn: Connection) -> tuple[str, Any] | None:
        called_here = conn.execute(
            select(tickets.c.ticket_id).where(
                and_(
                    tickets.c.office == office,
                    tickets.c.day == day,
                    tickets.c.label == label,
                    tickets.c.state == CALLED,
                    tickets.c.counter == counter,
                    tickets.c.issued_at.is_not(None),  # the issued ticket, not a call's stand-in
                )
            )
        ).first()
        if called_here is None:
            return None
        row = conn.execute(
            select(identities.c.event_id, identities.c.identity)
            .where(
                and_(
                    identities.c.office == office,
                    identities.c.day == day,
                    identities.c.label == label,
                    or_(
                        identities.c.ticket_id.is_(None),
                        identities.c.ticket_id == called_here.ticket_id,
                    ),
                )
            )
            .order_by(identities.c.received_at.desc())
            .limit(1)
        ).first()
        return None if row is None else (row.event_id, row.identity)

    found = db.run(read)
    if found is None:
        return None
    key = keys.key(office, day, create=False)
    return None if key is None else unseal(found[1], key, found[0])
