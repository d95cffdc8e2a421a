"""The device database's schema: its migrations, and the text form of the moments it stores.

The tables' queries are in their modules (kiosk.store.tickets, .outbox, .sessions, .signin);
their DDL is here, in the order it was released, because a migration is one step of the whole
file's history: PRAGMA user_version counts how many have run. Never edit a released step:
append a new one.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
        # dual rating. Times are UTC text of fixed width (utc_text), so text order is time
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
        # Wrong PINs in a row and the sign-in lock, kept across restarts (kiosk.store.signin).
        """
        CREATE TABLE signin_guard (
            scope TEXT PRIMARY KEY,
            failures INTEGER NOT NULL CHECK (failures >= 0),
            locked_until TEXT
        ) STRICT
        """,
    ),
    (
        # Where a ticket's "people waiting ahead" came from (kiosk.queue_snapshot): the central
        # server's queue, or this device's own count of the tickets it issued.
        "ALTER TABLE tickets ADD COLUMN waiting_source TEXT NOT NULL DEFAULT 'local'"
        " CHECK (waiting_source IN ('local', 'server'))",
    ),
    (
        # Two print states (kiosk.printing): "printing", the job is being handed to the printer;
        # "unknown", it was and nobody knows whether the paper came out (the kiosk died during
        # it, or the printer failed after taking it). SQLite cannot change a CHECK: the table is
        # rebuilt with the same columns in the same order.
        """
        CREATE TABLE tickets_v5 (
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
                CHECK (print_status IN ('pending', 'printing', 'printed', 'failed', 'unknown')),
            print_error TEXT,
            print_attempts INTEGER NOT NULL DEFAULT 0,
            printed_at TEXT,
            waiting_source TEXT NOT NULL DEFAULT 'local'
                CHECK (waiting_source IN ('local', 'server')),
            UNIQUE (office, day, field_id, number)
        ) STRICT
        """,
        "INSERT INTO tickets_v5 SELECT * FROM tickets",
        "DROP TABLE tickets",
        "ALTER TABLE tickets_v5 RENAME TO tickets",
        "CREATE INDEX tickets_by_day_status ON tickets (day, print_status)",
    ),
)


def utc_text(moment: datetime) -> str:
    """A moment as UTC text of fixed width, so that text order is time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a moment must carry its time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def utc_moment(text: str | None) -> datetime | None:
    """A moment stored by utc_text (aware, in UTC), or None for NULL."""
    return None if text is None else datetime.fromisoformat(text)
