"""The server's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

Timestamps are stored in UTC. The projections (tickets, sessions, ratings, identities) are
derived from the events table in the same transaction as the event insert.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    true,
)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; SQLite keeps no zone, so it is stored naive in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a stored timestamp must carry its time zone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


OFFICE = 5
OFFICE_NAME = 120
CITY = 64
DEVICE_ID = 64  # device ids are at most 32 characters; viewer ids and foreign ids fit too
UUID_TEXT = 36
TEXT_ID = 64
DOSSIER_CODE = 64

metadata = MetaData()

offices = Table(
    "offices",
    metadata,
    Column("office", String(OFFICE), primary_key=True),
    # Both null: the server's defaults apply (`serve --timezone --day-starts-at`), so an office
    # given only a name or a city follows a later change of the defaults.
    Column("timezone", String(64)),
    Column("day_starts_at", String(5)),
    Column("name", String(OFFICE_NAME)),  # e.g. "Phường Đại Mỗ" (NFC)
    Column("city", String(CITY)),  # e.g. "Hà Nội" (NFC): the offices a city token reads
)

enroll_codes = Table(
    "enroll_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("office", String(OFFICE), nullable=False),
    Column("role", String(16), nullable=False),
    Column("counter", Integer),
    Column("device_id", String(DEVICE_ID)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
)

devices = Table(
    "devices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office", String(OFFICE), nullable=False),
    Column("device_id", String(DEVICE_ID), nullable=False),
    Column("role", String(16), nullable=False),
    Column("counter", Integer),
    Column("version", String(32)),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("enrolled_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("city", String(CITY)),  # the city of a city token (office ALL_OFFICES), else null
    Index("devices_by_office", "office", "device_id"),
)

events = Table(
    "events",
    metadata,
    Column("id", String(UUID_TEXT), primary_key=True),
    Column("office", String(OFFICE), nullable=False),
    Column("device_id", String(DEVICE_ID), nullable=False),
    Column("type", String(32), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("data", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
)

tickets = Table(
    "tickets",
    metadata,
    Column("office", String(OFFICE), nullable=False),
    Column("ticket_id", String(UUID_TEXT), nullable=False),
    Column("day", Date, nullable=False),
    Column("label", String(12), nullable=False),
    Column("number", Integer),
    Column("field_id", String(TEXT_ID)),
    Column("priority", Boolean, nullable=False),
    # Null while only a call or skip of the ticket has arrived (its issue event is late).
    Column("issued_at", UTCDateTime),
    Column("state", String(8), nullable=False),
    # When the state last changed by a call or skip: an older event never undoes a newer one.
    Column("state_at", UTCDateTime),
    Column("called_at", UTCDateTime),
    Column("counter", Integer),
    Column("officer_id", String(TEXT_ID)),
    Column("session_id", String(UUID_TEXT)),
    # The ticket's first call (the earliest call or recall that is its own, central.ticket_state):
    # its waiting time ends there. Kept by the fold, so the reports need not read the changes.
    Column("first_called_at", UTCDateTime),
    Column("first_counter", Integer),
    Column("first_officer_id", String(TEXT_ID)),
    PrimaryKeyConstraint("office", "ticket_id"),
    Index("tickets_waiting", "office", "day", "state", "field_id"),
    # The reports' indexes carry the columns they read (PostgreSQL: an index-only scan, not one
    # heap page per row of an office's month, whose rows lie among every other office's).
    Index(
        "tickets_by_day",
        "office",
        "day",
        postgresql_include=[
            "issued_at",
            "state",
            "label",
            "field_id",
            "first_called_at",
            "first_counter",
            "first_officer_id",
        ],
    ),
)

# Every call, recall and skip as it arrived (and every call-next), kept so that a ticket's state
# is computed from all of them in occurred_at order, whatever order they reached the server in;
# one whose ticket has not arrived yet waits here (ticket_id null: a number typed at a counter).
ticket_changes = Table(
    "ticket_changes",
    metadata,
    Column("office", String(OFFICE), nullable=False),
    Column("change_id", String(TEXT_ID), nullable=False),
    Column("day", Date, nullable=False),
    Column("label", String(12), nullable=False),
    Column("field_id", String(TEXT_ID)),
    Column("ticket_id", String(UUID_TEXT)),
    Column("state", String(8), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("counter", Integer, nullable=False),
    Column("officer_id", String(TEXT_ID), nullable=False),
    Column("session_id", String(UUID_TEXT), nullable=False),
    PrimaryKeyConstraint("office", "change_id"),
    Index("ticket_changes_by_label", "office", "day", "label"),
    Index("ticket_changes_by_ticket", "office", "ticket_id"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("office", String(OFFICE), nullable=False),
    Column("session_id", String(UUID_TEXT), nullable=False),
    Column("day", Date, nullable=False),
    Column("label", String(12), nullable=False),
    Column("field_id", String(TEXT_ID), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("officer_id", String(TEXT_ID), nullable=False),
    Column("called_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime, nullable=False),
    Column("outcome", String(200), nullable=False),
    Column("same_day_result", Boolean, nullable=False),
    Column("officer_rating_scale", Integer),
    Column("officer_rating_level", Integer),
    Column("flags", JSON, nullable=False),
    Column("dossier_code", String(DOSSIER_CODE)),  # mã hồ sơ of the visit, if the officer gave it
    PrimaryKeyConstraint("office", "session_id"),
    Index("sessions_by_field", "office", "field_id", "day", "closed_at"),
    Index(
        "sessions_by_day",
        "office",
        "day",
        "label",  # also a ticket's session: a skipped ticket served later is no no-show
        postgresql_include=[
            "field_id",
            "counter",
            "officer_id",
            "called_at",
            "closed_at",
            "same_day_result",
        ],
    ),
)

ratings = Table(
    "ratings",
    metadata,
    Column("event_id", String(UUID_TEXT), primary_key=True),
    Column("office", String(OFFICE), nullable=False),
    Column("session_id", String(UUID_TEXT), nullable=False),
    Column("day", Date, nullable=False),
    Column("counter", Integer, nullable=False),
    Column("officer_id", String(TEXT_ID), nullable=False),
    Column("field_id", String(TEXT_ID), nullable=False),
    Column("rated", Boolean, nullable=False),
    Column("scale", Integer, nullable=False),
    Column("level", Integer),
    Column("rated_at", UTCDateTime),
    # False for a second rating of a session: kept and flagged, never counted.
    Column("counted", Boolean, nullable=False),
    Column("flags", JSON, nullable=False),
    Index("ratings_by_day", "office", "day"),
    Index(
        "ratings_counted_by_day",
        "office",
        "day",
        postgresql_include=["counted", "scale", "level", "field_id", "counter", "officer_id"],
    ),
)
Index(
    "ratings_one_counted_per_session",
    ratings.c.office,
    ratings.c.session_id,
    unique=True,
    sqlite_where=ratings.c.counted == true(),
    postgresql_where=ratings.c.counted == true(),
)

identities = Table(
    "identities",
    metadata,
    Column("event_id", String(UUID_TEXT), primary_key=True),
    Column("office", String(OFFICE), nullable=False),
    Column("day", Date, nullable=False),
    Column("label", String(12), nullable=False),
    Column("ticket_id", String(UUID_TEXT)),
    Column("identity", JSON, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    # Where it was read: "lobby" (the citizen at the kiosk) or "counter" (the officer's scan).
    Column("source", String(8)),
    Index("identities_by_ticket", "office", "day", "label"),
)

# Each consent answer at a lobby (central.consents): the proof a ward shows an inspector, with no
# card data. One row per answer, made by its consent.answered or consent.withdrawn event,
# whichever arrives first; `answer` is null while only the withdrawal has arrived.
consents = Table(
    "consents",
    metadata,
    Column("office", String(OFFICE), nullable=False),
    Column("consent_id", String(UUID_TEXT), nullable=False),
    Column("day", Date, nullable=False),
    Column("device_id", String(DEVICE_ID), nullable=False),
    Column("ticket_id", String(UUID_TEXT)),
    Column("label", String(12)),
    Column("field_id", String(TEXT_ID)),
    Column("answer", String(3)),
    Column("answered_at", UTCDateTime),
    Column("language", String(2)),
    Column("text_version", String(64)),
    Column("answer_event_id", String(UUID_TEXT)),
    Column("withdrawn_at", UTCDateTime),
    Column("withdrawal_event_id", String(UUID_TEXT)),
    PrimaryKeyConstraint("office", "consent_id"),
    Index("consents_by_day", "office", "day"),
    Index(
        "consents_answered_by_day",
        "office",
        "day",
        postgresql_include=["answer", "ticket_id", "withdrawn_at", "field_id"],
    ),
)

# The calls feed of the hall displays (central.call_feed): every call and recall once, numbered
# per office in commit order by the office's row in call_sequences (its `seq` is the last number
# given), so a reader that asks for "after N" never misses a row committed later with a lower
# number.
call_sequences = Table(
    "call_sequences",
    metadata,
    Column("office", String(OFFICE), primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

calls = Table(
    "calls",
    metadata,
    Column("office", String(OFFICE), nullable=False),
    Column("seq", BigInteger, nullable=False),
    # call:<session id> or recall:<event id>: the same call by every path (kiosk.hall_calls).
    Column("key", String(TEXT_ID), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("day", Date, nullable=False),
    Column("label", String(12), nullable=False),
    Column("field_id", String(TEXT_ID)),
    Column("counter", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("office", "seq"),
    UniqueConstraint("office", "key", name="calls_one_per_key"),
)

# The key each office's counters sign the calls they send the hall display with (central.hall_keys).
hall_keys = Table(
    "hall_keys",
    metadata,
    Column("office", String(OFFICE), primary_key=True),
    Column("key_id", String(32), nullable=False),
    Column("secret", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# The latest health report of each device (central.health_reports): `report` as the device sent
# it (validated), `observed_at` its time on the device's clock (an older report never replaces
# a newer one), `last_seen_at` when the server last heard from it (its own clock).
device_health = Table(
    "device_health",
    metadata,
    Column("office", String(OFFICE), nullable=False),
    Column("device_id", String(DEVICE_ID), nullable=False),
    Column("role", String(16), nullable=False),
    Column("version", String(32), nullable=False),
    Column("observed_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("report", JSON, nullable=False),
    PrimaryKeyConstraint("office", "device_id"),
)


# The officer's desk page (central.desk): one-time pairing codes a counter shows (hashed, 5 min)
# and the browser sessions they open for that counter (hashed cookie token, until the office day
# ends); `ended_at` set when signed out or replaced.
desk_pairings = Table(
    "desk_pairings",
    metadata,
    Column("office", String(OFFICE), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("used_at", UTCDateTime),
    PrimaryKeyConstraint("office", "counter"),
)

desk_sessions = Table(
    "desk_sessions",
    metadata,
    Column("session_id", String(16), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("office", String(OFFICE), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
    Index("desk_sessions_by_counter", "office", "counter"),
)

# Who read what on the desk (central.desk_access): never the card data itself. Repeated polls of
# one reader that see the same ticket and state are one row (`reads`, `last_at`).
desk_access = Table(
    "desk_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("office", String(OFFICE), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("reader", String(DEVICE_ID), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("day", Date),
    Column("label", String(12)),
    Column("first_at", UTCDateTime, nullable=False),
    Column("last_at", UTCDateTime, nullable=False),
    Column("reads", Integer, nullable=False),
    Index("desk_access_by_office", "office", "first_at"),
)
