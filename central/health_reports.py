"""The latest health report of each device: stored on arrival, read by the fleet view.

Reports may arrive out of order (a retry of an old one after a newer one got through): the one
observed last on the device wins, while `last_seen_at` always moves to the server's time of the
latest arrival, since any report shows the device is alive. A report observed after its arrival
(a device clock ahead of the server's) counts as observed on arrival: a clock that was wrong
once never keeps the device's later reports out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update

from central.db import Database, dialect_insert
from central.enrolment import Principal
from central.schema import device_health


@dataclass(frozen=True)
class StoredReport:
    office: str
    device_id: str
    role: str
    version: str
    observed_at: datetime
    last_seen_at: datetime
    report: dict[str, Any]

    def outbox_oldest_age(self) -> timedelta | None:
        """How old the oldest unsent event was when the device reported (both times of the
        device's clock); None when none waited."""
        oldest = self.report["outbox"].get("oldest_at")
        if oldest is None:
            return None
        observed = datetime.fromisoformat(self.report["observed_at"])
        return max(timedelta(0), observed - datetime.fromisoformat(oldest))


def store_report(
    db: Database, holder: Principal, report: dict[str, Any], observed_at: datetime, now: datetime
) -> bool:
    """Keep `report` (validated, of `holder`'s device) unless a newer one is kept; True when it
    is now the one kept. `last_seen_at` becomes `now` either way."""
    observed_at = min(observed_at, now)
    values = {
        "role": holder.role,
        "version": report["version"],
        "observed_at": observed_at,
        "last_seen_at": now,
        "report": report,
    }
    key = (device_health.c.office == holder.office, device_health.c.device_id == holder.device_id)

    def upsert(conn: Connection) -> bool:
        inserted = conn.execute(
            dialect_insert(db.kind, device_health)
            .values(office=holder.office, device_id=holder.device_id, **values)
            .on_conflict_do_nothing()
            .returning(device_health.c.device_id)
        ).first()
        if inserted is not None:
            return True
        kept = conn.execute(
            select(device_health.c.observed_at).where(*key).with_for_update()
        ).scalar_one()
        newer = observed_at > kept
        changes = values if newer else {"last_seen_at": now}
        conn.execute(update(device_health).where(*key).values(**changes))
        return newer

    return db.run(upsert)


def latest_reports(db: Database, office: str | None) -> dict[tuple[str, str], StoredReport]:
    """The kept report of every device of `office` (None: of every office), by (office, id)."""
    query = select(device_health)
    if office is not None:
        query = query.where(device_health.c.office == office)
    rows = db.read(lambda conn: conn.execute(query).all())
    return {
        (row.office, row.device_id): StoredReport(
            row.office,
            row.device_id,
            row.role,
            row.version,
            row.observed_at,
            row.last_seen_at,
            row.report,
        )
        for row in rows
    }
