"""Baseline: the schema of the release before migrations (central/schema.py at 051533c).

Frozen: written out table by table so that later edits of central/schema.py never change what
this revision creates. A database that release made (its tables, no alembic_version) is
recognised as this revision and stamped with it (central.migrations). A database of an earlier
release has the first seven tables and some of the later ones (offices, ticket_changes,
call_sequences, calls, hall_keys: the tables were only ever added); this revision creates the
ones it lacks, as the server did at start then, and gives the tickets called or skipped before
ticket_changes existed the change their state stands for, so that the next fold of their
changes (central.ticket_state) keeps the call.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

OFFICE = 5
DEVICE_ID = 64
UUID_TEXT = 36
TEXT_ID = 64
TIMESTAMP = sa.DateTime(timezone=True)  # central.schema.UTCDateTime stores this
# What every release before migrations had (central.migrations recognises them by it).
FIRST_TABLES = frozenset(
    {"enroll_codes", "devices", "events", "tickets", "sessions", "ratings", "identities"}
)


def upgrade() -> None:
    """Create the tables a database made before migrations lacks (all of them in an empty one)."""
    present = set(sa.inspect(op.get_bind()).get_table_names())
    for name, create in TABLES.items():
        if name not in present:
            create()
    if "tickets" in present and "ticket_changes" not in present:
        _changes_of_called_tickets()


def _offices() -> None:
    op.create_table(
        "offices",
        sa.Column("office", sa.String(OFFICE), primary_key=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("day_starts_at", sa.String(5), nullable=False),
    )


def _enroll_codes() -> None:
    op.create_table(
        "enroll_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("counter", sa.Integer),
        sa.Column("device_id", sa.String(DEVICE_ID)),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP),
    )


def _devices() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("device_id", sa.String(DEVICE_ID), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("counter", sa.Integer),
        sa.Column("version", sa.String(32)),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("enrolled_at", TIMESTAMP, nullable=False),
        sa.Column("revoked_at", TIMESTAMP),
    )
    op.create_index("devices_by_office", "devices", ["office", "device_id"])


def _events() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(UUID_TEXT), primary_key=True),
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("device_id", sa.String(DEVICE_ID), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
    )


def _tickets() -> None:
    op.create_table(
        "tickets",
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("ticket_id", sa.String(UUID_TEXT), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("label", sa.String(12), nullable=False),
        sa.Column("number", sa.Integer),
        sa.Column("field_id", sa.String(TEXT_ID)),
        sa.Column("priority", sa.Boolean, nullable=False),
        sa.Column("issued_at", TIMESTAMP),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("state_at", TIMESTAMP),
        sa.Column("called_at", TIMESTAMP),
        sa.Column("counter", sa.Integer),
        sa.Column("officer_id", sa.String(TEXT_ID)),
        sa.Column("session_id", sa.String(UUID_TEXT)),
        sa.PrimaryKeyConstraint("office", "ticket_id"),
    )
    op.create_index("tickets_waiting", "tickets", ["office", "day", "state", "field_id"])


def _ticket_changes() -> None:
    op.create_table(
        "ticket_changes",
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("change_id", sa.String(TEXT_ID), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("label", sa.String(12), nullable=False),
        sa.Column("field_id", sa.String(TEXT_ID)),
        sa.Column("ticket_id", sa.String(UUID_TEXT)),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.String(TEXT_ID), nullable=False),
        sa.Column("session_id", sa.String(UUID_TEXT), nullable=False),
        sa.PrimaryKeyConstraint("office", "change_id"),
    )
    op.create_index("ticket_changes_by_label", "ticket_changes", ["office", "day", "label"])
    op.create_index("ticket_changes_by_ticket", "ticket_changes", ["office", "ticket_id"])


def _sessions() -> None:
    op.create_table(
        "sessions",
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("session_id", sa.String(UUID_TEXT), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("label", sa.String(12), nullable=False),
        sa.Column("field_id", sa.String(TEXT_ID), nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.String(TEXT_ID), nullable=False),
        sa.Column("called_at", TIMESTAMP, nullable=False),
        sa.Column("closed_at", TIMESTAMP, nullable=False),
        sa.Column("outcome", sa.String(200), nullable=False),
        sa.Column("same_day_result", sa.Boolean, nullable=False),
        sa.Column("officer_rating_scale", sa.Integer),
        sa.Column("officer_rating_level", sa.Integer),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("office", "session_id"),
    )
    op.create_index("sessions_by_field", "sessions", ["office", "field_id", "day", "closed_at"])


def _ratings() -> None:
    op.create_table(
        "ratings",
        sa.Column("event_id", sa.String(UUID_TEXT), primary_key=True),
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("session_id", sa.String(UUID_TEXT), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("officer_id", sa.String(TEXT_ID), nullable=False),
        sa.Column("field_id", sa.String(TEXT_ID), nullable=False),
        sa.Column("rated", sa.Boolean, nullable=False),
        sa.Column("scale", sa.Integer, nullable=False),
        sa.Column("level", sa.Integer),
        sa.Column("rated_at", TIMESTAMP),
        sa.Column("counted", sa.Boolean, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
    )
    op.create_index("ratings_by_day", "ratings", ["office", "day"])
    counted = sa.column("counted", sa.Boolean) == sa.true()
    op.create_index(
        "ratings_one_counted_per_session",
        "ratings",
        ["office", "session_id"],
        unique=True,
        sqlite_where=counted,
        postgresql_where=counted,
    )


def _identities() -> None:
    op.create_table(
        "identities",
        sa.Column("event_id", sa.String(UUID_TEXT), primary_key=True),
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("label", sa.String(12), nullable=False),
        sa.Column("ticket_id", sa.String(UUID_TEXT)),
        sa.Column("identity", sa.JSON, nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
    )
    op.create_index("identities_by_ticket", "identities", ["office", "day", "label"])


def _call_sequences() -> None:
    op.create_table(
        "call_sequences",
        sa.Column("office", sa.String(OFFICE), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
    )


def _calls() -> None:
    op.create_table(
        "calls",
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("key", sa.String(TEXT_ID), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("label", sa.String(12), nullable=False),
        sa.Column("field_id", sa.String(TEXT_ID)),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("office", "seq"),
        sa.UniqueConstraint("office", "key", name="calls_one_per_key"),
    )


def _hall_keys() -> None:
    op.create_table(
        "hall_keys",
        sa.Column("office", sa.String(OFFICE), primary_key=True),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
    )


def _changes_of_called_tickets() -> None:
    ticket = sa.table(
        "tickets",
        *(sa.column(name) for name in ("office", "day", "label", "field_id", "state_at")),
        *(sa.column(name) for name in ("counter", "officer_id", "session_id")),
        sa.column("ticket_id", sa.String),
        sa.column("state", sa.String),
    )
    columns = ["office", "change_id", "day", "label", "field_id", "ticket_id", "state"]
    columns += ["occurred_at", "counter", "officer_id", "session_id"]
    changes = sa.table("ticket_changes", *(sa.column(name) for name in columns))
    called = sa.select(
        ticket.c.office,
        sa.literal("before-upgrade:", sa.String) + ticket.c.ticket_id,
        ticket.c.day,
        ticket.c.label,
        ticket.c.field_id,
        ticket.c.ticket_id,
        ticket.c.state,
        ticket.c.state_at,
        ticket.c.counter,
        sa.func.coalesce(ticket.c.officer_id, ""),
        ticket.c.session_id,
    ).where(
        ticket.c.state != "waiting",
        ticket.c.state_at.is_not(None),
        ticket.c.counter.is_not(None),
        ticket.c.session_id.is_not(None),
    )
    op.execute(changes.insert().from_select(columns, called))


TABLES: dict[str, Callable[[], None]] = {
    "offices": _offices,
    "enroll_codes": _enroll_codes,
    "devices": _devices,
    "events": _events,
    "tickets": _tickets,
    "ticket_changes": _ticket_changes,
    "sessions": _sessions,
    "ratings": _ratings,
    "identities": _identities,
    "call_sequences": _call_sequences,
    "calls": _calls,
    "hall_keys": _hall_keys,
}
