"""The database watchers that wake a process's long-polls when another process commits a call:
PostgreSQL's LISTEN/NOTIFY and SQLite's poll of the current seq. Each runs here on its own loop;
the call is committed through a second Database (as another server process would)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from sqlalchemy import Connection

from central import call_feed
from central.call_feed import NewCall
from central.call_wakeups import CallWakeups
from central.call_watch import listen_postgresql, poll_sqlite
from central.db import Database
from tests.support.api import now, today

DELIVERY_S = 1.0
READY_S = 5.0  # generous: the watcher's first connection or first poll


def a_call(office: str, key: str, moment: datetime, day: date) -> NewCall:
    return NewCall(office, key, "call", day, "1001", "ho-tich", 2, moment)


Watcher = Callable[[Database, CallWakeups], Awaitable[None]]


async def woken_after_commit(database_url: str, watcher: Watcher, office: str) -> float:
    """Start the watcher, wait on `office`, commit a call from another Database; returns the
    seconds from that commit to the wake-up."""
    db = Database(database_url)
    db.create_schema()
    other = Database(database_url)
    wakeups = CallWakeups()
    wakeups.bind(asyncio.get_running_loop())
    task = asyncio.create_task(watcher(db, wakeups))
    loop = asyncio.get_running_loop()
    try:
        with wakeups.watch(office) as woken:
            # The first wake-up is the watcher starting (it wakes every waiter once: anything
            # committed before it watched); the next is the commit's.
            await asyncio.wait_for(woken.wait(), READY_S)
        with wakeups.watch(office) as woken:

            def commit(conn: Connection) -> int:
                return call_feed.record(
                    conn, other.kind, [a_call(office, "k1", now(), today())], now()
                )

            assert await asyncio.to_thread(other.run, commit) == 1
            committed = loop.time()
            await asyncio.wait_for(woken.wait(), READY_S)
            return loop.time() - committed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        db.dispose()
        other.dispose()


def test_postgresql_listen_wakes_on_another_connections_commit(
    postgresql_url: str, office: str
) -> None:
    assert asyncio.run(woken_after_commit(postgresql_url, listen_postgresql, office)) < DELIVERY_S


def test_sqlite_poll_wakes_on_another_connections_commit(sqlite_url: str, office: str) -> None:
    assert asyncio.run(woken_after_commit(sqlite_url, poll_sqlite, office)) < DELIVERY_S


def test_a_duplicate_key_takes_no_number(database_url: str, office: str) -> None:
    db = Database(database_url)
    db.create_schema()
    try:
        moment, day = now(), today()

        def record(*keys: str) -> int:
            calls = [a_call(office, key, moment, day) for key in keys]
            return db.run(lambda conn: call_feed.record(conn, db.kind, calls, moment))

        assert record("a", "b", "a") == 2
        assert record("b", "c") == 1
        assert record("a") == 0
        feed = db.read(lambda conn: call_feed.after(conn, office, 0))
        assert [(c.seq, c.key) for c in feed.calls] == [(1, "a"), (2, "b"), (3, "c")]
        assert feed.last_seq == 3
    finally:
        db.dispose()


def test_closing_releases_every_waiter_at_once() -> None:
    async def scenario() -> tuple[bool, bool]:
        wakeups = CallWakeups()
        wakeups.bind(asyncio.get_running_loop())
        with wakeups.watch("00637") as woken:
            asyncio.get_running_loop().call_later(0.05, wakeups.close)
            await asyncio.wait_for(woken.wait(), READY_S)
        with wakeups.watch("00637") as later:
            return later.is_set(), wakeups.closed

    assert asyncio.run(scenario()) == (True, True)
