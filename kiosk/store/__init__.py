"""The device's local SQLite store: the one package that runs SQL on the device database.

- kiosk.store.connection: opening the file (private mode, pragmas, migrations), the read and
  write transactions, sqlite3 errors as StoreErrors, the WAL scrub;
- kiosk.store.schema: the tables' DDL in migration order, the text form of stored moments;
- kiosk.store.tickets: issued tickets and their print state (Ticket);
- kiosk.store.outbox: events waiting for the central server, personal ones, the quarantine;
- kiosk.store.sessions: counter sessions, their ratings and extra presses (SessionRow);
- kiosk.store.signin: the wrong-PIN count and lock of a PIN entry (SigninGuard).
- kiosk.store.integrity: `PRAGMA quick_check` on a read-only connection of its own.

A Store holds one connection and a table object over it for each group:
`store.tickets.issue(...)`, `store.outbox.batch(...)`, `store.sessions.latest(...)`,
`store.signin_guard(scope, ...)`. Every state change and the outbox event describing it are
committed in one transaction. Thread-safe; never to be used from the Kivy main thread.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kiosk.store.connection import (
    Database,
    SchemaTooNew,
    StorageBusy,
    StorageCorrupt,
    StorageFull,
    StorageReadOnly,
    StorageUnavailable,
    StoreError,
    WriteObserver,
)
from kiosk.store.outbox import Outbox
from kiosk.store.schema import MIGRATIONS
from kiosk.store.sessions import Sessions
from kiosk.store.signin import SigninGuard
from kiosk.store.tickets import Tickets

__all__ = [
    "MIGRATIONS",
    "SchemaTooNew",
    "StorageBusy",
    "StorageCorrupt",
    "StorageFull",
    "StorageReadOnly",
    "StorageUnavailable",
    "Store",
    "StoreError",
]


class Store:
    """The local database of tickets, counter sessions, sign-in guards and outbox events."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        """Open (and create or migrate) the database at `path`; raises StoreError.
        `durable=False` only for a benchmark's baseline (kiosk.store.connection)."""
        self.path = path
        self._db = Database(path, durable=durable)
        self.tickets = Tickets(self._db)
        self.outbox = Outbox(self._db)
        self.sessions = Sessions(self._db)

    def signin_guard(self, scope: str, *, limit: int, lock_for: timedelta) -> SigninGuard:
        """The guard of one PIN entry: the `limit`-th wrong PIN in a row locks it for
        `lock_for`."""
        return SigninGuard(self._db, scope, limit=limit, lock_for=lock_for)

    def observe_writes(self, observer: WriteObserver) -> None:
        """`observer(None)` after each committed write, `observer(error)` after a refused one
        (kiosk.store.connection); the app's storage health listens."""
        self._db.observe_writes(observer)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
