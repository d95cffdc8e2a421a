"""The officer's desk page: pairing codes, browser sessions, the access log; and where each
identity was read (lobby or counter).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

OFFICE = 5
DEVICE_ID = 64
TIMESTAMP = sa.DateTime(timezone=True)  # central.schema.UTCDateTime stores this


def upgrade() -> None:
    source = sa.Column("source", sa.String(8), nullable=True)
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("identities", source)
    else:
        # As in 0004: made anew so that the table's text is the one create_all writes.
        with op.batch_alter_table("identities", recreate="always") as batch:
            batch.add_column(source)
    op.create_table(
        "desk_pairings",
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("office", "counter"),
    )
    op.create_table(
        "desk_sessions",
        sa.Column("session_id", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("ended_at", TIMESTAMP),
        sa.PrimaryKeyConstraint("session_id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("desk_sessions_by_counter", "desk_sessions", ["office", "counter"])
    op.create_table(
        "desk_access",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False),
        sa.Column("reader", sa.String(DEVICE_ID), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("day", sa.Date()),
        sa.Column("label", sa.String(12)),
        sa.Column("first_at", TIMESTAMP, nullable=False),
        sa.Column("last_at", TIMESTAMP, nullable=False),
        sa.Column("reads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("desk_access_by_office", "desk_access", ["office", "first_at"])
