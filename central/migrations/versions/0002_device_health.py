"""Device health: the latest health report of each device (central.health_reports).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OFFICE = 5
DEVICE_ID = 64
TIMESTAMP = sa.DateTime(timezone=True)  # central.schema.UTCDateTime stores this


def upgrade() -> None:
    op.create_table(
        "device_health",
        sa.Column("office", sa.String(OFFICE), nullable=False),
        sa.Column("device_id", sa.String(DEVICE_ID), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("observed_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("office", "device_id"),
    )
