"""Each office's hall key: the secret its counters sign the calls they send the hall display
over the office network with, so that a laptop on that network cannot show or announce a
forged call. Made once per office on its first request; read by the office's counters and
displays only (central.routes).

Creation is race-safe across server processes: an INSERT that does nothing when another
process's row is already there, then the row that won is read back.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from central.db import Database, dialect_insert
from central.schema import hall_keys

KEY_BYTES = 32
KEY_ID_BYTES = 6


@dataclass(frozen=True)
class HallKey:
    key_id: str
    key: bytes

    @property
    def key_text(self) -> str:
        """base64url without padding."""
        return base64.urlsafe_b64encode(self.key).rstrip(b"=").decode("ascii")


def _read(conn: Connection, office: str) -> HallKey | None:
    row = conn.execute(
        select(hall_keys.c.key_id, hall_keys.c.secret).where(hall_keys.c.office == office)
    ).first()
    if row is None:
        return None
    return HallKey(row.key_id, base64.urlsafe_b64decode(row.secret + "=" * (-len(row.secret) % 4)))


def hall_key(db: Database, office: str, now: datetime) -> HallKey:
    """The office's hall key, made now if it has none."""
    found = db.read(lambda conn: _read(conn, office))
    if found is not None:
        return found
    made = HallKey(secrets.token_hex(KEY_ID_BYTES), secrets.token_bytes(KEY_BYTES))

    def create(conn: Connection) -> HallKey:
        row = {"office": office, "key_id": made.key_id, "secret": made.key_text, "created_at": now}
        conn.execute(dialect_insert(db.kind, hall_keys).on_conflict_do_nothing(), row)
        winner = _read(conn, office)
        assert winner is not None
        return winner

    return db.run(create)
