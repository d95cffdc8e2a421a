"""Each office's day rule as the server keeps it: its time zone and `day_starts_at`.

The devices of an office read the same two settings from `[office]` in kiosk.toml; the server
must be told them (`kiosk-central office`) when an office differs from the server's defaults.
"""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, select

from central.db import Database, dialect_insert
from central.schema import offices
from common.office_clock import OfficeDayRule


class OfficeRuleError(ValueError):
    """A time zone or time of day the server cannot use."""


def parse_rule(timezone: str, day_starts_at: str) -> OfficeDayRule:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise OfficeRuleError(f"{timezone!r} is not a known time zone") from None
    try:
        start = time.fromisoformat(day_starts_at)
    except ValueError:
        raise OfficeRuleError(f"{day_starts_at!r} is not a time of day like 04:00") from None
    if len(day_starts_at) != 5 or start.second or start.microsecond:
        raise OfficeRuleError(f"{day_starts_at!r} is not a time of day like 04:00")
    return OfficeDayRule(zone, start)


def office_rule(db: Database, office: str) -> OfficeDayRule | None:
    """The rule stored for `office`, or None when the server's defaults apply."""

    def read(conn: Connection) -> OfficeDayRule | None:
        row = conn.execute(
            select(offices.c.timezone, offices.c.day_starts_at).where(offices.c.office == office)
        ).first()
        return None if row is None else parse_rule(row.timezone, row.day_starts_at)

    return db.read(read)


def set_office_rule(db: Database, office: str, rule: OfficeDayRule) -> None:
    statement = dialect_insert(db.kind, offices)
    row = {
        "office": office,
        "timezone": rule.timezone.key,
        "day_starts_at": rule.day_starts_at.strftime("%H:%M"),
    }
    upsert = statement.values(**row).on_conflict_do_update(
        index_elements=["office"],
        set_={"timezone": row["timezone"], "day_starts_at": row["day_starts_at"]},
    )
    db.run(lambda conn: conn.execute(upsert))
