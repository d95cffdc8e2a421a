"""Forgetting personal data: identities whose office day is over are deleted.

An identity is also deleted as soon as its session closes (see projections); this sweep catches
the citizens who never reached a counter.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import Connection, delete

from central.context import Central
from central.db import DatabaseBusy
from central.schema import identities

log = logging.getLogger(__name__)

SWEEP_INTERVAL_SECONDS = 300


def forget_past_identities(central: Central) -> int:
    """Delete identities of days before today (office time); returns how many."""
    today = central.office_day(central.now())

    def sweep(conn: Connection) -> int:
        return conn.execute(delete(identities).where(identities.c.day < today)).rowcount

    return central.db.run(sweep)


async def sweep_forever(central: Central) -> None:
    while True:
        try:
            await asyncio.to_thread(forget_past_identities, central)
        except DatabaseBusy:
            log.warning("identity sweep postponed: the database is busy")
        await asyncio.sleep(SWEEP_INTERVAL_SECONDS)
