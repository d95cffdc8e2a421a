"""Across server processes, a call committed by any of them wakes the long-polls of all: each
process runs one watcher task that learns of new calls from the database.

PostgreSQL: one connection per process LISTENs on the channel every writing transaction
NOTIFYs (central.call_feed), payload the office; on a lost connection it reconnects and wakes
every long-poll, which read again whatever they missed. SQLite has no notifications: while any
long-poll waits, the task reads the waited-for offices' current seq every POLL_SECONDS (one
small indexed read) and wakes those whose seq moved.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg
from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from central.call_feed import NOTIFY_CHANNEL
from central.call_wakeups import CallWakeups
from central.db import Database, DatabaseBusy
from central.schema import call_sequences

log = logging.getLogger(__name__)

POLL_SECONDS = 0.15
RECONNECT_SECONDS = (0.5, 10.0)  # the first and the longest wait before connecting again


async def watch_calls(db: Database, wakeups: CallWakeups) -> None:
    """The watcher of `db`'s kind, until cancelled."""
    if db.kind == "postgresql":
        await listen_postgresql(db, wakeups)
    else:
        await poll_sqlite(db, wakeups)


async def listen_postgresql(db: Database, wakeups: CallWakeups) -> None:
    conninfo = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    pause = RECONNECT_SECONDS[0]
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(
                conninfo, autocommit=True, application_name="kiosk-central calls"
            ) as conn:
                await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                wakeups.wake_all()  # anything committed while this process was not listening
                pause = RECONNECT_SECONDS[0]
                async for note in conn.notifies():
                    wakeups.wake(note.payload)
        except psycopg.Error as error:
            log.warning(
                "the calls listener lost the database (%s); connecting again in %.1f s",
                type(error).__name__,
                pause,
            )
        await asyncio.sleep(pause)
        pause = min(2 * pause, RECONNECT_SECONDS[1])


async def poll_sqlite(db: Database, wakeups: CallWakeups) -> None:
    seen: dict[str, int] = {}
    failing = False
    while True:
        await asyncio.sleep(POLL_SECONDS)
        offices = wakeups.offices()
        if not offices:
            continue
        try:
            current = await asyncio.to_thread(_current_seqs, db, offices)
        except (DatabaseBusy, SQLAlchemyError) as error:
            if not failing:  # once, not every POLL_SECONDS
                log.warning("the calls poll failed (%s); trying again", type(error).__name__)
            failing = True
            continue
        failing = False
        for office in offices:
            seq = current.get(office, 0)
            if seen.get(office) != seq:
                seen[office] = seq  # an office seen for the first time wakes too: harmless
                wakeups.wake(office)


def _current_seqs(db: Database, offices: set[str]) -> dict[str, int]:
    def read(conn: Connection) -> dict[str, int]:
        rows = conn.execute(
            select(call_sequences.c.office, call_sequences.c.seq).where(
                call_sequences.c.office.in_(sorted(offices))
            )
        ).all()
        return {row.office: row.seq for row in rows}

    return db.read(read)
