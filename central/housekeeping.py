"""Forgetting personal data: identities whose office day is over are deleted, and the keys
of those days destroyed (central.day_keys).

An identity is also deleted as soon as its session closes (see projections); this sweep catches
the citizens who never reached a counter. On SQLite each sweep also empties the WAL, so a
deleted identity leaves the files within SWEEP_INTERVAL_SECONDS (PostgreSQL keeps dead rows
and WAL segments: there the day key's destruction is what makes them unreadable).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Connection, delete, select
from sqlalchemy.exc import OperationalError

from central.context import Central
from central.db import DatabaseBusy
from central.desk_access import forget_old_access
from central.schema import identities

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 300


def forget_past_identities(central: Central) -> int:
    """Delete identities of office days that are over, by each office's own day rule, and
    destroy those days' keys (so that no copy left in a WAL, heap or backup can be opened);
    returns how many identities were deleted."""
    now = central.now()
    held = central.db.read(
        lambda conn: [row.office for row in conn.execute(select(identities.c.office).distinct())]
    )
    offices = sorted(set(held) | set(central.keys.offices()))
    todays = {office: central.office_day(office, now) for office in offices}
    for office, today in todays.items():
        central.keys.destroy_days_before(office, today)

    def sweep(conn: Connection) -> int:
        return sum(
            conn.execute(
                delete(identities).where(identities.c.office == office, identities.c.day < today)
            ).rowcount
            for office, today in todays.items()
        )

    return central.db.run(sweep)


async def sweep_forever(central: Central) -> None:
    while True:
        try:
            await asyncio.to_thread(forget_past_identities, central)
            await asyncio.to_thread(forget_old_access, central)
            await asyncio.to_thread(central.db.scrub)
        except (DatabaseBusy, OperationalError):
            log.warning("identity sweep postponed: the database is busy")
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
