"""Consents: each consent answer at a lobby, the proof shown to an inspector (central.consents).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

OFFICE = 5
DEVICE_ID = 64
UUID_TEXT = 36
TEXT_ID = 64
TIMESTAMP = sa.DateTime(timezone=True)  # central.schema.UTCDateTime stores this


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("consent_id", sa.String(UUID_TEXT), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("device_id", sa.String(DEVICE_ID), nullable=False),
        sa.Column("ticket_id", sa.String(UUID_TEXT)),
        sa.Column("label", sa.String(12)),
        sa.Column("field_id", sa.String(TEXT_ID)),
        sa.Column("answer", sa.String(3)),
        sa.Column("answered_at", TIMESTAMP),
        sa.Column("language", sa.String(2)),
        sa.Column("text_version", sa.String(64)),
        sa.Column("answer_event_id", sa.String(UUID_TEXT)),
        sa.Column("withdrawn_at", TIMESTAMP),
        sa.Column("withdrawal_event_id", sa.String(UUID_TEXT)),
        sa.PrimaryKeyConstraint("office", "consent_id"),
    )
    op.create_index("consents_by_day", "consents", ["office", "day"])
