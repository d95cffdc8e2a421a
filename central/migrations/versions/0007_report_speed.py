"""Report speed: each ticket's first call kept on its row, and the reports' indexes carrying
the columns they read (docs/central-api.md, "How the reports stay fast").

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TEXT_ID = 64
TIMESTAMP = sa.DateTime(timezone=True)  # central.schema.UTCDateTime stores this

# A ticket's own calls and recalls, as central.ticket_state.refresh matches changes to a
# ticket: by its id, or typed by its day and label (and field, when both give one).
OWN_CALLS = """
    FROM ticket_changes AS c
    WHERE c.office = tickets.office AND c.state = 'called'
      AND (c.ticket_id = tickets.ticket_id
           OR (c.ticket_id IS NULL AND c.day = tickets.day AND c.label = tickets.label
               AND (tickets.field_id IS NULL OR c.field_id IS NULL
                    OR c.field_id = tickets.field_id)))
    ORDER BY c.occurred_at, c.change_id
    LIMIT 1
"""


def upgrade() -> None:
    columns = [
        sa.Column("first_called_at", TIMESTAMP),
        sa.Column("first_counter", sa.Integer()),
        sa.Column("first_officer_id", sa.String(TEXT_ID)),
    ]
    if op.get_bind().dialect.name == "sqlite":
        # SQLite's ALTER TABLE writes a column after the table's constraints in the table's
        # text: the table is made anew, as create_all makes it, so both paths give one schema.
        with op.batch_alter_table("tickets", recreate="always") as batch:
            for column in columns:
                batch.add_column(column)
    else:
        for column in columns:
            op.add_column("tickets", column)
    # The first call is always one the fold applied (nothing holds a ticket before it), so the
    # earliest own call is the fold's; a ticket still waiting has had none of its own.
    op.execute(
        "UPDATE tickets SET"
        f" first_called_at = (SELECT c.occurred_at {OWN_CALLS}),"
        f" first_counter = (SELECT c.counter {OWN_CALLS}),"
        f" first_officer_id = (SELECT c.officer_id {OWN_CALLS})"
        " WHERE state <> 'waiting'"
    )
    op.create_index(
        "tickets_by_day",
        "tickets",
        ["office", "day"],
        postgresql_include=[
            "issued_at",
            "state",
            "label",
            "field_id",
            "first_called_at",
            "first_counter",
            "first_officer_id",
        ],
    )
    op.create_index(
        "sessions_by_day",
        "sessions",
        ["office", "day", "label"],
        postgresql_include=[
            "field_id",
            "counter",
            "officer_id",
            "called_at",
            "closed_at",
            "same_day_result",
        ],
    )
    op.create_index(
        "ratings_counted_by_day",
        "ratings",
        ["office", "day"],
        postgresql_include=["counted", "scale", "level", "field_id", "counter", "officer_id"],
    )
    op.create_index(
        "consents_answered_by_day",
        "consents",
        ["office", "day"],
        postgresql_include=["answer", "ticket_id", "withdrawn_at", "field_id"],
    )
