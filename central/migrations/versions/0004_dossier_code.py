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
    op.add_column("sessions", sa.Column("dossier_code", sa.String(DOSSIER_CODE), nullable=True))
