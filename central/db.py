"""The database: engine set-up for SQLite (default) or PostgreSQL, and transactions that retry.

SQLite: a write transaction starts with BEGIN IMMEDIATE, so two writers never both read and then
fail to upgrade their lock; and the server's writers queue on a Python lock before that, because
SQLite's busy handler polls with sleeps of up to 100 ms and dozens of threads polling it waste
most of the time. PostgreSQL: the default READ COMMITTED, with row locks where a choice must be
atomic (call-next).

A transaction that meets a lock timeout, a deadlock or a lost connection is retried whole a few
times, then reported as `DatabaseBusy` (503 with Retry-After).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal, TypeVar

from sqlalchemy import Connection, Engine, Table, create_engine, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url

from central import migrations
from common.private_files import private_database_file

log = logging.getLogger(__name__)

T = TypeVar("T")
DatabaseKind = Literal["sqlite", "postgresql"]

ATTEMPTS = 4
# Connections one server process keeps open (plus POOL_OVERFLOW while busy). Event batches are
# bounded by the admission limit (central.admission), which defaults to the pool size, so a
# few connections serve a busy office city; several processes share one PostgreSQL cluster
# when processes × (pool + overflow) stays under its max_connections (docs/central-api.md).
POOL_SIZE = 8
POOL_OVERFLOW = 4
SQLITE_BUSY_TIMEOUT_MS = 10_000


class DatabaseUrlError(ValueError):
    """A database URL this server cannot use."""


class DatabaseBusy(Exception):
    """The database did not complete a transaction after retries (or is unreachable)."""


def parse_database_url(text: str) -> URL:
    """Check a URL and pick the psycopg 3 driver for PostgreSQL."""
    try:
        url = make_url(text)
    except exc.ArgumentError:
        raise DatabaseUrlError(
            f"{text!r} is not a database URL; use sqlite:///central.db or "
            "postgresql+psycopg://user:password@host/dbname"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            raise DatabaseUrlError(
                "an SQLite database needs a file path, e.g. sqlite:///central.db"
            )
        return url.set(drivername="sqlite+pysqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    raise DatabaseUrlError(f"database {backend!r} is not supported; use sqlite or postgresql")


class Database:
    """One engine and the transaction helpers every module uses."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE) -> None:
        if pool_size < 1:
            raise DatabaseUrlError("the connection pool needs at least 1 connection")
        parsed = parse_database_url(url)
        self.kind: DatabaseKind = (
            "sqlite" if parsed.get_backend_name() == "sqlite" else "postgresql"
        )
        # hide_parameters: an error message must never carry event data (personal data).
        # The pool keeps a connection for each of the server's worker threads: a connection
        # opened and closed per request costs more than the request.
        options: dict[str, Any] = {
            "hide_parameters": True,
            "pool_size": pool_size,
            "max_overflow": min(POOL_OVERFLOW, pool_size),
            "pool_timeout": 10,
        }
        if self.kind == "sqlite":
            if parsed.database:
                with contextlib.suppress(OSError):  # unwritable: the first connection says so
                    private_database_file(Path(parsed.database))
            self.engine: Engine = create_engine(parsed, **options)
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(parsed, pool_pre_ping=True, **options)
        self._writer: AbstractContextManager[Any] = (
            threading.Lock() if self.kind == "sqlite" else nullcontext()
        )

    def create_schema(self) -> None:
        """Give a brand-new database the schema; refuse one not at the newest revision
        (central.migrations.SchemaError: run kiosk-central migrate)."""
        self.run(migrations.check)

    def migrate(self) -> migrations.Upgrade:
        """Upgrade the database to the newest revision (central.migrations.migrate)."""
        return self.run(migrations.migrate)

    def dispose(self) -> None:
        self.engine.dispose()

    def scrub(self) -> None:
        """SQLite: copy the WAL into the database and truncate it, so rows deleted since (and
        overwritten there by secure_delete) leave no copy in `-wal`. No-op on PostgreSQL."""
        if self.kind != "sqlite":
            return
        with self._writer:
            raw = self.engine.raw_connection()
            try:
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            finally:
                raw.close()

    def run(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a write transaction, retried whole when the database is busy."""
        with self._writer:
            return self._retrying(work, immediate=True)

    def read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in a read transaction."""
        return self._retrying(work, immediate=False)

    def _retrying(self, work: Callable[[Connection], T], *, immediate: bool) -> T:
        attempt = 1
        while True:
            try:
                with self._transaction(immediate=immediate) as conn:
                    return work(conn)
            except (exc.OperationalError, exc.TimeoutError) as error:
                if attempt >= ATTEMPTS:
                    log.warning(
                        "database busy after %d attempts: %s", attempt, type(error).__name__
                    )
                    raise DatabaseBusy from error
                time.sleep(0.01 * 2**attempt)
                attempt += 1

    @contextmanager
    def _transaction(self, *, immediate: bool) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            conn.execution_options(sqlite_immediate=immediate)
            with conn.begin():
                yield conn


def dialect_insert(kind: DatabaseKind, table: Table) -> Any:
    """An INSERT of `kind`'s dialect: the one with ON CONFLICT DO NOTHING / DO UPDATE."""
    return (sqlite if kind == "sqlite" else postgresql).insert(table)


def _configure_sqlite(engine: Engine) -> None:
    """WAL, full sync (acknowledged events must survive a power cut), and our own BEGIN."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver must not BEGIN by itself
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA secure_delete = ON")  # deleted identities are overwritten
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
