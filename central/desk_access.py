"""The desk's access log: every read of a counter's card data, pairing and sign-out, with who,
when, which counter and ticket, and never the data itself. A ward leader reads it (viewer token).

A desk page polls every few seconds: a reader's read that sees the same ticket and state as its
previous entry adds to that entry (`reads`, `last_at`) instead of adding a row, so a day of polling
is a few rows per citizen served, and the log still shows each citizen's data was read, by whom,
from when to when.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update

from central.context import Central
from central.schema import desk_access

READ_CARD = "read_card"
READ_NO_CARD = "read_no_card"
PAIRED = "paired"
SIGNED_OUT = "signed_out"
KEEP = timedelta(days=90)


def record_access(
    central: Central,
    *,
    office: str,
    counter: int,
    reader: str,
    kind: str,
    day: date | None = None,
    label: str | None = None,
) -> None:
    now = central.now()

    def write(conn: Connection) -> None:
        last = conn.execute(
            select(desk_access.c.id, desk_access.c.kind, desk_access.c.day, desk_access.c.label)
            .where(
                desk_access.c.office == office,
                desk_access.c.counter == counter,
                desk_access.c.reader == reader,
            )
            .order_by(desk_access.c.id.desc())
            .limit(1)
        ).first()
        repeated = last is not None and (last.kind, last.day, last.label) == (kind, day, label)
        if repeated and kind in (READ_CARD, READ_NO_CARD):
            conn.execute(
                update(desk_access)
                .where(desk_access.c.id == last.id)
                .values(reads=desk_access.c.reads + 1, last_at=now)
            )
            return
        conn.execute(
            desk_access.insert().values(
                office=office,
                counter=counter,
                reader=reader,
                kind=kind,
                day=day,
                label=label,
                first_at=now,
                last_at=now,
                reads=1,
            )
        )

    central.db.run(write)


def access_log(central: Central, *, office: str, first: datetime, last: datetime) -> list[dict]:
    """The entries of `office` begun in [first, last), oldest first."""

    def read(conn: Connection) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(desk_access)
            .where(
                desk_access.c.office == office,
                desk_access.c.first_at >= first,
                desk_access.c.first_at < last,
            )
            .order_by(desk_access.c.first_at, desk_access.c.id)
        ).all()
        return [
            {
                "counter": row.counter,
                "reader": row.reader,
                "kind": row.kind,
                "day": row.day,
                "label": row.label,
                "first_at": row.first_at,
                "last_at": row.last_at,
                "reads": row.reads,
            }
            for row in rows
        ]

    return central.db.read(read)


def forget_old_access(central: Central) -> int:
    """Entries older than KEEP go (the log holds no personal data; it need not grow forever)."""
    cutoff = central.now() - KEEP
    old = delete(desk_access).where(desk_access.c.last_at < cutoff)
    return central.db.run(lambda conn: conn.execute(old).rowcount)
