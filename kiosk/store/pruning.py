"""Pruning old records: the central server is the archive, the device keeps `keep_days` days.

A ticket or a counter session (with its extra presses) is deleted once its office day is before
`keep_from` and no event of it waits in the outbox, pending or quarantined: what the server has
not acknowledged is never deleted. Outbox rows themselves leave when acknowledged
(kiosk.store.outbox). The space is then reclaimed (Database.reclaim): VACUUM rewrites the file
without its free pages, which secure_delete has already zeroed, and the WAL is emptied, so the
file shrinks and no copy of a deleted row is left in either. VACUUM waits for no reader: when
another process reads the file at that moment it fails (logged), and the next day's run
reclaims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kiosk.store.connection import Database

# A record is still owed to the server while an outbox event names it.
_OWED = "EXISTS (SELECT 1 FROM outbox o WHERE json_extract(o.body, '$.data.{key}') = {table}.id)"
_OLD_TICKETS = f"day < ? AND NOT {_OWED.format(key='ticket_id', table='tickets')}"
_OLD_SESSIONS = f"day < ? AND NOT {_OWED.format(key='session_id', table='sessions')}"


@dataclass(frozen=True)
class Pruned:
    tickets: int
    sessions: int
    size_before: int  # bytes of the database file and its WAL
    size_after: int


def prune(db: Database, *, keep_from: date) -> Pruned:
    """Delete the delivered records of office days before `keep_from`, then reclaim the space
    when the file has any free (deleted rows, acknowledged events, or a reclaim that another
    process kept from running last time). Call off the UI thread."""
    before = db.size()
    day = keep_from.isoformat()
    with db.write() as conn:
        conn.execute(
            f"DELETE FROM extra_presses WHERE session_id IN (SELECT id FROM sessions WHERE "
            f"{_OLD_SESSIONS})",
            (day,),
        )
        sessions = conn.execute(f"DELETE FROM sessions WHERE {_OLD_SESSIONS}", (day,)).rowcount
        tickets = conn.execute(f"DELETE FROM tickets WHERE {_OLD_TICKETS}", (day,)).rowcount
    if db.free_pages():
        db.reclaim()
    return Pruned(tickets, sessions, before, db.size())
