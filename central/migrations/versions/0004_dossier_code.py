"""The dossier code (mã hồ sơ) of each closed session, as session.closed carries it.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None

DOSSIER_CODE = 64


def upgrade() -> None:
    column = sa.Column("dossier_code", sa.String(DOSSIER_CODE), nullable=True)
    if op.get_bind().dialect.name != "sqlite":
        op.add_column("sessions", column)
        return
    # SQLite's ALTER TABLE writes the column after the table's constraints in the table's
    # text: the table is made anew, as create_all makes it, so both paths give one schema.
    with op.batch_alter_table("sessions", recreate="always") as batch:
        batch.add_column(column)
