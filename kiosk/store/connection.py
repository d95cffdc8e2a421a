"""The connection to the device database: opening it (private file mode, pragmas, schema
migrations), its read and write transactions (and insert_row, the tables' INSERT ... RETURNING),
the sqlite3 errors told as StoreErrors (and each write's outcome to its observers), and the WAL
scrub that leaves no copy of deleted personal data.

Durability first: WAL, synchronous=FULL, secure_delete. Writes start with BEGIN IMMEDIATE, so
what a write reads (the next ticket number) is read under the database write lock: correct with
several processes on the same file (the app and the CLI) and after a kill -9 at any moment (an
uncommitted transaction never happened).

One sqlite3 connection, guarded by a lock, so it can be shared by worker threads. It must never
be used from the Kivy main thread: a write may wait up to 5 s for the lock.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from common.private_files import private_database_file
from kiosk.store.schema import MIGRATIONS

log = logging.getLogger("kiosk.store")

BUSY_TIMEOUT_MS = 5000

# Primary SQLite result codes (extended codes carry them in the low byte).
_SQLITE_PERM = 3
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


class StoreError(Exception):
    """The local database could not do what was asked; nothing was half-written."""


class StorageFull(StoreError):
    """The disk (or the file size limit) is full."""


class StorageReadOnly(StoreError):
    """The database file or its directory cannot be written."""


class StorageBusy(StoreError):
    """Another process held the write lock for longer than the busy timeout."""


class StorageCorrupt(StoreError):
    """The file is damaged or is not a kiosk database."""


class StorageUnavailable(StoreError):
    """The file cannot be opened or read (I/O error, permissions, no WAL support)."""


class SchemaTooNew(StoreError):
    """The database was written by a newer version of this software."""


def storage_error(error: sqlite3.Error, path: Path) -> StoreError:
    """The StoreError that `error`, met on the database at `path`, is (kiosk.storage_faults
    names the full, read-only and damaged ones for the technician)."""
    code = getattr(error, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    name = getattr(error, "sqlite_errorname", type(error).__name__)
    if primary == _SQLITE_FULL:
        return StorageFull(f"{path}: the storage is full; nothing was written")
    if primary == _SQLITE_READONLY:
        return StorageReadOnly(f"{path}: the database is read-only; nothing was written")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        return StorageBusy(
            f"{path}: another process kept the database locked for over"
            f" {BUSY_TIMEOUT_MS // 1000} s ({name}); nothing was written"
        )
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StorageCorrupt(f"{path}: the file is damaged or is not a kiosk database")
    if primary == _SQLITE_IOERR:
        return StorageUnavailable(f"{path}: the storage failed to read or write ({name})")
    if primary in (_SQLITE_CANTOPEN, _SQLITE_PERM):
        return StorageUnavailable(f"{path}: the database cannot be opened ({name})")
    return StoreError(f"{path}: database error ({name}: {error})")


# Told of each write transaction's outcome (Database.observe_writes).
WriteObserver = Callable[[StoreError | None], None]


def insert_row(conn: sqlite3.Connection, table: str, values: Mapping[str, Any]) -> sqlite3.Row:
    """Insert one row of column values (names from the table module, never from input) and
    return it as stored, defaults included."""
    return conn.execute(
        f"INSERT INTO {table} ({', '.join(values)})"
        f" VALUES ({', '.join('?' * len(values))}) RETURNING *",
        tuple(values.values()),
    ).fetchone()


class Database:
    """The open database file; the table modules run their SQL through read() and write()."""

    def __init__(self, path: Path, *, durable: bool = True) -> None:
        """`durable=False` (synchronous=OFF: a commit does not wait for the disk) is only the
        baseline of a benchmark."""
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageUnavailable(f"{path.parent}: cannot create ({e.strerror})") from None
        with suppress(OSError):  # a read-only folder: sqlite3 says so plainly below
            private_database_file(path)
        try:
            self._conn = sqlite3.connect(
                path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as e:
            raise storage_error(e, path) from None
        self._conn.row_factory = sqlite3.Row
        self._scrub_pending = False
        self._write_observers: list[WriteObserver] = []
        try:
            self._configure(durable)
            self._migrate()
            # After a power cut the WAL may still hold rows deleted before it (personal data).
            self._checkpoint()
        except sqlite3.Error as e:
            self._conn.close()
            raise storage_error(e, path) from None
        except StoreError:
            self._conn.close()
            raise

    def _configure(self, durable: bool) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'OFF'}")
        conn.execute("PRAGMA secure_delete = ON")
        mode = self._set_wal()
        if mode != "wal":
            raise StorageUnavailable(
                f"{self.path}: write-ahead logging is not available here (journal mode {mode})"
            )

    def _set_wal(self) -> str:
        """Switch to WAL. Changing the journal mode does not wait on the busy handler: while
        another process creates or converts the same file it fails at once, so wait here."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                return self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as e:
                if e.sqlite_errorcode & 0xFF != _SQLITE_BUSY or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def _schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        """Bring the schema up to date; a database already current is only read."""
        if self._schema_version() == len(MIGRATIONS):
            return
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = self._schema_version()
            if version > len(MIGRATIONS):
                raise SchemaTooNew(
                    f"{self.path}: database schema version {version} is newer than this"
                    f" software understands ({len(MIGRATIONS)}); update the software"
                )
            for statements in MIGRATIONS[version:]:
                for statement in statements:
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
            conn.execute("COMMIT")
        except BaseException:
            self._rollback_quietly()
            raise

    def observe_writes(self, observer: WriteObserver) -> None:
        """Call `observer` after each write transaction: with None when it was committed, with
        its StoreError when the database refused it (full, read-only, damaged...). It runs on
        the writing thread, under the database lock: keep it short, and no SQL."""
        self._write_observers.append(observer)

    def _written(self, error: StoreError | None) -> None:
        for observer in self._write_observers:
            observer(error)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _rollback_quietly(self) -> None:
        if self._conn.in_transaction:
            # SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed entirely or not at all."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as e:
                self._rollback_quietly()
                error = storage_error(e, self.path)
                self._written(error)
                raise error from None
            except BaseException:
                self._rollback_quietly()
                raise
            self._written(None)
        if self._scrub_pending:
            self.scrub_wal()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as e:
                raise storage_error(e, self.path) from None

    def _checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it; False when a reader kept it busy."""
        return not self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]

    def scrub_wal(self) -> None:
        """Copy the WAL into the database and truncate it to nothing, so that deleted personal
        data (overwritten in the database by secure_delete) has no copy left in `kiosk.db-wal`.
        While another process reads the database it cannot: the next write tries again."""
        with self._lock:
            try:
                done = self._checkpoint()
            except sqlite3.Error as e:
                raise storage_error(e, self.path) from None
        self._scrub_pending = not done
        if not done:
            log.warning("the WAL could not be emptied now: another process reads the database")
