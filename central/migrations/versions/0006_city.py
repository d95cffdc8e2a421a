"""Offices get a name and a city, and a token a city (the city scope of the reports).

The day-rule columns become nullable: an office given only a name or a city keeps the server's
defaults (both null), as an office with no row does, instead of a copy of today's defaults.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OFFICE_NAME = 120
CITY = 64


def upgrade() -> None:
    # On SQLite both tables are made anew (as in 0004), so their text is the one create_all
    # writes; PostgreSQL alters them in place.
    with op.batch_alter_table("offices", recreate="auto") as batch:
        batch.alter_column("timezone", existing_type=sa.String(64), nullable=True)
        batch.alter_column("day_starts_at", existing_type=sa.String(5), nullable=True)
        batch.add_column(sa.Column("name", sa.String(OFFICE_NAME), nullable=True))
        batch.add_column(sa.Column("city", sa.String(CITY), nullable=True))
    city = sa.Column("city", sa.String(CITY), nullable=True)
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("devices", city)
        return
    with op.batch_alter_table("devices", recreate="always") as batch:
        batch.add_column(city)
