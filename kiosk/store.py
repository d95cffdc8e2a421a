"""The device's local SQLite store: the one module that owns SQL.

Durability first: WAL, synchronous=FULL, every state change and the outbox event describing it
committed in one transaction. Writes start with BEGIN IMMEDIATE, so the next ticket number is
read and used under the database write lock: correct with several processes on the same file
(the app and the CLI) and after a kill -9 at any moment (an uncommitted ticket never existed).

One connection per Store, guarded by a lock, so a Store can be shared by worker threads.
It must never be used from the Kivy main thread: a write may wait up to 5 s for the lock.
Rows are returned as plain dicts keyed by column name; the domain modules give them meaning.

The outbox is drained by kiosk.sync: events leave it in seq order and only once the central
server acknowledged them (deleted) or rejected them (quarantined: kept, never sent again).
Deleted rows are overwritten (secure_delete), as acknowledged personal data must not linger.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypedDict

from common.private_files import private_database_file
from kiosk.events import CITIZEN_IDENTIFIED, Event

log = logging.getLogger(__name__)

Row = dict[str, Any]

BUSY_TIMEOUT_MS = 5000

PRINT_PENDING = "pending"
PRINT_PRINTED = "printed"
PRINT_FAILED = "failed"

# The columns a new ticket is inserted with; the print columns start at their defaults.
TICKET_COLUMNS = (
    "id",
    "request_id",
    "office",
    "day",
    "field_id",
    "number",
    "label",
    "priority",
    "issued_at",
    "waiting_ahead",
    "qr_payload",
)

# Schema migrations, applied in order; PRAGMA user_version counts how many have run.
# Never edit a released step: append a new one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE tickets (
            id TEXT PRIMARY KEY,
            request_id TEXT NOT NULL UNIQUE,
            office TEXT NOT NULL,
            day TEXT NOT NULL,
            field_id TEXT NOT NULL,
            number INTEGER NOT NULL CHECK (number >= 0),
            label TEXT NOT NULL,
            priority INTEGER NOT NULL CHECK (priority IN (0, 1)),
            issued_at TEXT NOT NULL,
            waiting_ahead INTEGER NOT NULL CHECK (waiting_ahead >= 0),
            qr_payload TEXT NOT NULL,
            print_status TEXT NOT NULL DEFAULT 'pending'
                CHECK (print_status IN ('pending', 'printed', 'failed')),
            print_error TEXT,
            print_attempts INTEGER NOT NULL DEFAULT 0,
            printed_at TEXT,
            UNIQUE (office, day, field_id, number)
        ) STRICT
        """,
        "CREATE INDEX tickets_by_day_status ON tickets (day, print_status)",
        """
        CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            occurred_at TEXT NOT NULL,
            body TEXT NOT NULL CHECK (json_valid(body)),
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            quarantined INTEGER NOT NULL DEFAULT 0 CHECK (quarantined IN (0, 1)),
            quarantine_reason TEXT
        ) STRICT
        """,
        "CREATE INDEX outbox_to_send ON outbox (quarantined, seq)",
    ),
    (
        # Outbox events holding personal data (their body is sealed by kiosk.personal_data),
        # with the moment they are dropped if still unsent.
        """
        CREATE TABLE outbox_personal (
            seq INTEGER PRIMARY KEY REFERENCES outbox (seq) ON DELETE CASCADE,
            expires_at TEXT NOT NULL
        ) STRICT
        """,
        "CREATE INDEX outbox_personal_expiry ON outbox_personal (expires_at)",
    ),
    (
        # Counter sessions (kiosk.counter): one row per called ticket with both halves of the
        # dual rating. Times are UTC text of fixed width (_utc_text), so text order is time
        # order; JSON columns hold lists and objects. No personal data ever goes here.
        """
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            office TEXT NOT NULL,
            day TEXT NOT NULL,
            label TEXT NOT NULL,
            ticket_id TEXT,
            field_id TEXT NOT NULL,
            priority INTEGER NOT NULL CHECK (priority IN (0, 1)),
            counter INTEGER NOT NULL CHECK (counter BETWEEN 1 AND 999),
            officer_id TEXT NOT NULL,
            entry TEXT NOT NULL CHECK (entry IN ('call_next', 'qr', 'typed')),
            state TEXT NOT NULL CHECK (state IN ('called', 'serving', 'closed')),
            called_at TEXT NOT NULL,
            recalls INTEGER NOT NULL DEFAULT 0,
            started_at TEXT,
            closed_at TEXT,
            outcome TEXT,
            same_day_result INTEGER CHECK (same_day_result IN (0, 1)),
            officer_rating TEXT CHECK (officer_rating IS NULL OR json_valid(officer_rating)),
            session_flags TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(session_flags)),
            rating TEXT CHECK (rating IN ('due', 'rated', 'not_rated', 'none')),
            rating_opened_at TEXT,
            rating_ended_at TEXT,
            citizen_scale INTEGER CHECK (citizen_scale IN (3, 5)),
            citizen_level INTEGER CHECK (citizen_level BETWEEN 1 AND citizen_scale),
            citizen_reasons TEXT CHECK (citizen_reasons IS NULL OR json_valid(citizen_reasons)),
            rated_at TEXT,
            rating_flags TEXT CHECK (rating_flags IS NULL OR json_valid(rating_flags))
        ) STRICT
        """,
        "CREATE INDEX sessions_by_counter ON sessions (counter)",
        "CREATE INDEX sessions_by_day ON sessions (day, label)",
        "CREATE INDEX sessions_top_ratings ON sessions (counter, citizen_level, rated_at)",
        # Citizen presses after the counted one: kept and flagged, never counted.
        """
        CREATE TABLE extra_presses (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id TEXT NOT NULL REFERENCES sessions (id),
            level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
            reasons TEXT NOT NULL CHECK (json_valid(reasons)),
            pressed_at TEXT NOT NULL,
            flags TEXT NOT NULL CHECK (json_valid(flags))
        ) STRICT
        """,
        # Wrong PINs in a row and the sign-in lock, kept across restarts (kiosk.officers).
        """
        CREATE TABLE signin_guard (
            scope TEXT PRIMARY KEY,
            failures INTEGER NOT NULL CHECK (failures >= 0),
            locked_until TEXT
        ) STRICT
        """,
    ),
)

SESSION_COLUMNS = frozenset(
    {
        "id",
        "office",
        "day",
        "label",
        "ticket_id",
        "field_id",
        "priority",
        "counter",
        "officer_id",
        "entry",
        "state",
        "called_at",
        "recalls",
        "started_at",
        "closed_at",
        "outcome",
        "same_day_result",
        "officer_rating",
        "session_flags",
        "rating",
        "rating_opened_at",
        "rating_ended_at",
        "citizen_scale",
        "citizen_level",
        "citizen_reasons",
        "rated_at",
        "rating_flags",
    }
)
_SESSION_JSON = ("officer_rating", "session_flags", "citizen_reasons", "rating_flags")

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


class RangeExhausted(Exception):
    """Every number of a field's range has been used today."""

    def __init__(self, field_id: str) -> None:
        super().__init__(field_id)
        self.field_id = field_id


class OutboxCounts(TypedDict):
    pending: int
    quarantined: int


class OutboxSummary(TypedDict):
    pending: int
    quarantined: int
    oldest_pending: str | None  # occurred_at of the first event waiting to be sent
    personal_pending: int


class OutboxEntry(TypedDict):
    """An outbox event waiting to be sent; `body` is sealed when `personal` is true."""

    seq: int
    id: str
    type: str
    body: Event
    personal: bool


class QuarantinedEvent(TypedDict):
    id: str
    type: str
    occurred_at: str
    reason: str
    personal: bool


class TicketCounts(TypedDict):
    issued: int
    pending: int
    printed: int
    failed: int


def _storage_error(error: sqlite3.Error, path: Path) -> StoreError:
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


class Store:
    """The local database of tickets, counter sessions and outbox events."""

    def __init__(self, path: Path) -> None:
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
            raise _storage_error(e, path) from None
        self._conn.row_factory = sqlite3.Row
        self._scrub_pending = False
        try:
            self._configure()
            self._migrate()
            # After a power cut the WAL may still hold rows deleted before it (personal data).
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as e:
            self._conn.close()
            raise _storage_error(e, path) from None
        except StoreError:
            self._conn.close()
            raise

    def _configure(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
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

    def _migrate(self) -> None:
        """Bring the schema up to date; a database already current is only read."""
        conn = self._conn
        if conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS):
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
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

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _rollback_quietly(self) -> None:
        if self._conn.in_transaction:
            # SQLite may already have rolled back by itself (e.g. after SQLITE_FULL).
            with suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed entirely or not at all."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                yield self._conn
                self._conn.execute("COMMIT")
            except sqlite3.Error as e:
                self._rollback_quietly()
                raise _storage_error(e, self.path) from None
            except BaseException:
                self._rollback_quietly()
                raise
        if self._scrub_pending:
            self.scrub_wal()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as e:
                raise _storage_error(e, self.path) from None

    @staticmethod
    def _add_event(conn: sqlite3.Connection, event: Event) -> int:
        """Insert an event into the outbox; returns its seq."""
        if event["type"] == CITIZEN_IDENTIFIED and "data" in event:
            raise ValueError("personal data is never stored in clear: use kiosk.personal_data")
        return conn.execute(
            "INSERT INTO outbox (id, type, occurred_at, body) VALUES (?, ?, ?, ?) RETURNING seq",
            (
                event["id"],
                event["type"],
                event["occurred_at"],
                json.dumps(event, ensure_ascii=False, separators=(",", ":")),
            ),
        ).fetchone()[0]

    @staticmethod
    def _count_issued(conn: sqlite3.Connection, office: str, day: date, field_id: str) -> int:
        return conn.execute(
            "SELECT COUNT(*) FROM tickets WHERE office = ? AND day = ? AND field_id = ?",
            (office, day.isoformat(), field_id),
        ).fetchone()[0]

    @staticmethod
    def _ticket(conn: sqlite3.Connection, ticket_id: str) -> Row | None:
        row = conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        return None if row is None else dict(row)

    def issue_ticket(
        self,
        *,
        request_id: str,
        office: str,
        day: date,
        field_id: str,
        first: int,
        last: int,
        compose: Callable[[int, int], tuple[Row, Event]],
    ) -> tuple[Row, bool]:
        """Issue the next ticket of a field for an office day, with its event, atomically.

        If a ticket with `request_id` exists it is returned unchanged (a repeated tap).
        Otherwise the next unused number in first..last is taken and
        `compose(number, issued_before)` builds the ticket row (TICKET_COLUMNS) and its
        `ticket.issued` event; `issued_before` counts the tickets of this field already issued
        that day in this store. Returns (row, created). Raises RangeExhausted.
        """
        with self._write() as conn:
            existing = conn.execute(
                "SELECT * FROM tickets WHERE request_id = ?", (request_id,)
            ).fetchone()
            if existing is not None:
                return dict(existing), False
            top = conn.execute(
                "SELECT MAX(number) FROM tickets"
                " WHERE office = ? AND day = ? AND field_id = ? AND number BETWEEN ? AND ?",
                (office, day.isoformat(), field_id, first, last),
            ).fetchone()[0]
            number = first if top is None else top + 1
            if number > last:
                raise RangeExhausted(field_id)
            row, event = compose(number, self._count_issued(conn, office, day, field_id))
            created = conn.execute(
                f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(TICKET_COLUMNS))}) RETURNING *",
                tuple(row[column] for column in TICKET_COLUMNS),
            ).fetchone()
            self._add_event(conn, event)
            return dict(created), True

    def latest_ticket_day(self, office: str) -> date | None:
        """The latest office day this store issued a ticket on."""
        with self._read() as conn:
            day = conn.execute(
                "SELECT MAX(day) FROM tickets WHERE office = ?", (office,)
            ).fetchone()[0]
        return None if day is None else date.fromisoformat(day)

    def ticket(self, ticket_id: str) -> Row | None:
        with self._read() as conn:
            return self._ticket(conn, ticket_id)

    def tickets(self, *, day: date, print_statuses: Iterable[str] = ()) -> list[Row]:
        """Tickets of an office day in issue order, optionally only those in some print states."""
        statuses = tuple(print_statuses)
        sql = "SELECT * FROM tickets WHERE day = ?"
        if statuses:
            sql += f" AND print_status IN ({', '.join('?' * len(statuses))})"
        with self._read() as conn:
            rows = conn.execute(
                f"{sql} ORDER BY issued_at, field_id, number", (day.isoformat(), *statuses)
            )
            return [dict(row) for row in rows]

    def count_issued(self, *, office: str, day: date, field_id: str) -> int:
        """Tickets of a field issued on an office day by this store (not a live queue length)."""
        with self._read() as conn:
            return self._count_issued(conn, office, day, field_id)

    def ticket_counts(self, office: str, day: date) -> TicketCounts:
        """How many tickets an office day has, in total and by print state."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT print_status, COUNT(*) FROM tickets WHERE office = ? AND day = ?"
                " GROUP BY print_status",
                (office, day.isoformat()),
            )
            by_status = {status: count for status, count in rows}
        return TicketCounts(
            issued=sum(by_status.values()),
            pending=by_status.get(PRINT_PENDING, 0),
            printed=by_status.get(PRINT_PRINTED, 0),
            failed=by_status.get(PRINT_FAILED, 0),
        )

    def mark_ticket_printed(
        self, ticket_id: str, *, printed_at: str, compose: Callable[[Row], Event]
    ) -> Row | None:
        """Record a successful print and its event (built by `compose` from the updated row).

        A ticket already marked printed is returned unchanged, with no second event.
        Returns None for an unknown ticket.
        """
        with self._write() as conn:
            row = self._ticket(conn, ticket_id)
            if row is None or row["print_status"] == PRINT_PRINTED:
                return row
            updated = dict(
                conn.execute(
                    "UPDATE tickets SET print_status = 'printed', printed_at = ?,"
                    " print_error = NULL, print_attempts = print_attempts + 1"
                    " WHERE id = ? RETURNING *",
                    (printed_at, ticket_id),
                ).fetchone()
            )
            self._add_event(conn, compose(updated))
            return updated

    def mark_ticket_print_failed(self, ticket_id: str, *, error: str) -> Row | None:
        """Record a failed print attempt; the ticket keeps its number. A printed ticket stays so."""
        with self._write() as conn:
            conn.execute(
                "UPDATE tickets SET print_status = 'failed', print_error = ?,"
                " print_attempts = print_attempts + 1 WHERE id = ? AND print_status != 'printed'",
                (error, ticket_id),
            )
            return self._ticket(conn, ticket_id)

    def pending_events(self, limit: int = 500) -> list[Event]:
        """Events not yet acknowledged and not quarantined, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT body FROM outbox WHERE quarantined = 0 ORDER BY seq LIMIT ?", (limit,)
            )
            return [json.loads(row["body"]) for row in rows]

    def outbox_counts(self) -> OutboxCounts:
        with self._read() as conn:
            pending, quarantined = conn.execute(
                "SELECT COUNT(*) - COALESCE(SUM(quarantined), 0), COALESCE(SUM(quarantined), 0)"
                " FROM outbox"
            ).fetchone()
            return OutboxCounts(pending=pending, quarantined=quarantined)

    def add_events(self, events: Iterable[Event]) -> None:
        """Put events that come with no state change of this store into the outbox, together."""
        with self._write() as conn:
            for event in events:
                self._add_event(conn, event)

    def add_personal_event(self, sealed: Event, *, expires_at: datetime) -> None:
        """Put an event whose personal data is already sealed into the outbox; it is dropped
        unsent by purge_expired_personal() from `expires_at` on."""
        with self._write() as conn:
            seq = self._add_event(conn, sealed)
            conn.execute(
                "INSERT INTO outbox_personal (seq, expires_at) VALUES (?, ?)",
                (seq, _utc_text(expires_at)),
            )

    def outbox_batch(self, limit: int) -> list[OutboxEntry]:
        """The next events to send: not quarantined, in the order they were written."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT o.seq, o.id, o.type, o.body, p.seq IS NOT NULL AS personal"
                " FROM outbox o LEFT JOIN outbox_personal p ON p.seq = o.seq"
                " WHERE o.quarantined = 0 ORDER BY o.seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            OutboxEntry(
                seq=row["seq"],
                id=row["id"],
                type=row["type"],
                body=json.loads(row["body"]),
                personal=bool(row["personal"]),
            )
            for row in rows
        ]

    def settle_outbox(self, delivered: Iterable[str], rejected: Mapping[str, str]) -> None:
        """Apply the server's answer in one transaction: delete the events it has (accepted or
        duplicate) and quarantine those it rejected, with its reason."""
        delivered_ids = json.dumps(list(delivered))
        with self._write() as conn:
            personal = conn.execute(
                "SELECT COUNT(*) FROM outbox o JOIN outbox_personal p ON p.seq = o.seq"
                " WHERE o.id IN (SELECT value FROM json_each(?))",
                (delivered_ids,),
            ).fetchone()[0]
            conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))",
                (delivered_ids,),
            )
            conn.executemany(
                "UPDATE outbox SET quarantined = 1, quarantine_reason = ?,"
                " attempts = attempts + 1, last_error = NULL WHERE id = ?",
                [(reason, event_id) for event_id, reason in rejected.items()],
            )
        if personal:
            self.scrub_wal()

    def record_send_failure(self, ids: Iterable[str], error: str) -> None:
        """Count a failed attempt to send these events (they stay in the outbox)."""
        with self._write() as conn:
            conn.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (error, json.dumps(list(ids))),
            )

    def purge_expired_personal(self, now: datetime) -> int:
        """Delete personal events, sent or not, whose time is up; returns how many."""
        with self._write() as conn:
            dropped = conn.execute(
                "DELETE FROM outbox WHERE seq IN"
                " (SELECT seq FROM outbox_personal WHERE expires_at <= ?)",
                (_utc_text(now),),
            ).rowcount
        if dropped:
            self.scrub_wal()
        return dropped

    def scrub_wal(self) -> bool:
        """Copy the WAL into the database and truncate it to nothing, so that deleted personal
        data (overwritten in the database by secure_delete) has no copy left in `kiosk.db-wal`.
        False when another process is reading the database: the next deletion tries again."""
        with self._lock:
            try:
                busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            except sqlite3.Error as e:
                raise _storage_error(e, self.path) from None
        self._scrub_pending = bool(busy)
        if busy:
            log.warning("the WAL could not be emptied now: another process reads the database")
        return not busy

    def outbox_summary(self) -> OutboxSummary:
        with self._read() as conn:
            pending, quarantined = conn.execute(
                "SELECT COUNT(*) - COALESCE(SUM(quarantined), 0), COALESCE(SUM(quarantined), 0)"
                " FROM outbox"
            ).fetchone()
            oldest = conn.execute(
                "SELECT occurred_at FROM outbox WHERE quarantined = 0 ORDER BY seq LIMIT 1"
            ).fetchone()
            personal = conn.execute(
                "SELECT COUNT(*) FROM outbox_personal p JOIN outbox o ON o.seq = p.seq"
                " WHERE o.quarantined = 0"
            ).fetchone()[0]
        return OutboxSummary(
            pending=pending,
            quarantined=quarantined,
            oldest_pending=None if oldest is None else oldest[0],
            personal_pending=personal,
        )

    def quarantined_events(self) -> list[QuarantinedEvent]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT o.id, o.type, o.occurred_at, o.quarantine_reason,"
                " p.seq IS NOT NULL AS personal"
                " FROM outbox o LEFT JOIN outbox_personal p ON p.seq = o.seq"
                " WHERE o.quarantined = 1 ORDER BY o.seq"
            ).fetchall()
        return [
            QuarantinedEvent(
                id=row["id"],
                type=row["type"],
                occurred_at=row["occurred_at"],
                reason=row["quarantine_reason"] or "",
                personal=bool(row["personal"]),
            )
            for row in rows
        ]

    # ------------------------------------------------------------------ counter sessions

    def insert_session(self, row: Mapping[str, Any], event: Event) -> Row:
        """Insert a new session and the event of its call, together."""
        values = _session_values(row)
        with self._write() as conn:
            created = conn.execute(
                f"INSERT INTO sessions ({', '.join(values)})"
                f" VALUES ({', '.join('?' * len(values))}) RETURNING *",
                tuple(values.values()),
            ).fetchone()
            self._add_event(conn, event)
            return _session_row(created)

    def update_session(
        self,
        session_id: str,
        *,
        expect: Mapping[str, Any],
        changes: Mapping[str, Any],
        events: Iterable[Event] = (),
    ) -> Row | None:
        """Change a session and add its events in one transaction, only if its columns still
        hold the `expect`ed values (None: NULL). Returns the updated row, or None (nothing
        written) when the session is unknown or has moved on."""
        wanted = _session_values(expect)
        updates = _session_values(changes)
        conditions = " AND ".join(
            f"{column} IS ?" if value is None else f"{column} = ?"
            for column, value in wanted.items()
        )
        with self._write() as conn:
            row = conn.execute(
                f"UPDATE sessions SET {', '.join(f'{column} = ?' for column in updates)}"
                f" WHERE id = ?{' AND ' + conditions if conditions else ''} RETURNING *",
                (*updates.values(), session_id, *wanted.values()),
            ).fetchone()
            if row is None:
                return None
            for event in events:
                self._add_event(conn, event)
            return _session_row(row)

    def add_extra_press(
        self,
        session_id: str,
        *,
        level: int,
        reasons: list[str],
        pressed_at: datetime,
        flags: list[str],
        event: Event,
    ) -> None:
        """Keep a citizen press that came after the counted one, with its event."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO extra_presses (session_id, level, reasons, pressed_at, flags)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, level, json.dumps(reasons), _utc_text(pressed_at), json.dumps(flags)),
            )
            self._add_event(conn, event)

    def session(self, session_id: str) -> Row | None:
        with self._read() as conn:
            row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None else _session_row(row)

    def latest_session(self, counter: int) -> Row | None:
        """The session last called at a counter (by insertion: a clock set back does not
        change which one it is)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT * FROM sessions WHERE counter = ? ORDER BY rowid DESC LIMIT 1",
                (counter,),
            ).fetchone()
        return None if row is None else _session_row(row)

    def sessions(self, *, day: date, label: str | None = None) -> list[Row]:
        """Sessions of an office day (of one ticket label if given), in call order."""
        sql = "SELECT * FROM sessions WHERE day = ?"
        params: tuple[Any, ...] = (day.isoformat(),)
        if label is not None:
            sql += " AND label = ?"
            params += (label,)
        with self._read() as conn:
            rows = conn.execute(f"{sql} ORDER BY called_at, rowid", params).fetchall()
        return [_session_row(row) for row in rows]

    def extra_presses(self, session_id: str) -> list[Row]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT * FROM extra_presses WHERE session_id = ? ORDER BY seq", (session_id,)
            ).fetchall()
        return [
            {**dict(row), "reasons": json.loads(row["reasons"]), "flags": json.loads(row["flags"])}
            for row in rows
        ]

    def count_rated(self, *, counter: int, level: int, since: datetime) -> int:
        """Counted citizen ratings of `level` at a counter rated at `since` or later."""
        with self._read() as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM sessions WHERE counter = ? AND citizen_level = ?"
                " AND rated_at >= ?",
                (counter, level, _utc_text(since)),
            ).fetchone()[0]

    # ------------------------------------------------------------------ sign-in guard

    def signin_guard(self, scope: str) -> Row | None:
        """Wrong PINs in a row and the lock (`locked_until`, UTC text or None) of a scope."""
        with self._read() as conn:
            row = conn.execute("SELECT * FROM signin_guard WHERE scope = ?", (scope,)).fetchone()
        return None if row is None else dict(row)

    def record_signin_failure(self, scope: str, *, limit: int, lock_until: datetime) -> Row:
        """Count a wrong PIN; the `limit`-th in a row locks the scope until `lock_until` and
        starts the count again."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO signin_guard (scope, failures) VALUES (?, 1)"
                " ON CONFLICT (scope) DO UPDATE SET failures = failures + 1",
                (scope,),
            )
            conn.execute(
                "UPDATE signin_guard SET failures = 0, locked_until = ?"
                " WHERE scope = ? AND failures >= ?",
                (_utc_text(lock_until), scope, limit),
            )
            return dict(
                conn.execute("SELECT * FROM signin_guard WHERE scope = ?", (scope,)).fetchone()
            )

    def clear_signin_guard(self, scope: str) -> None:
        """A right PIN: no failures, no lock."""
        with self._write() as conn:
            conn.execute("DELETE FROM signin_guard WHERE scope = ?", (scope,))


def _session_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values as SQLite stores them: moments as UTC text, lists and objects as JSON,
    booleans as 0/1. Column names are checked: they are written into the SQL."""
    unknown = set(values) - SESSION_COLUMNS
    if unknown:
        raise ValueError(f"not session columns: {', '.join(sorted(unknown))}")
    out = {}
    for column, value in values.items():
        if isinstance(value, datetime):
            value = _utc_text(value)
        elif isinstance(value, list | dict):
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, bool):
            value = int(value)
        out[column] = value
    return out


def _session_row(row: sqlite3.Row) -> Row:
    out = dict(row)
    for column in _SESSION_JSON:
        if out[column] is not None:
            out[column] = json.loads(out[column])
    return out


def _utc_text(moment: datetime) -> str:
    """A moment as UTC text of fixed width, so that text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment must carry its time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
