"""What the server keeps of each office: its day rule (time zone and `day_starts_at`), its name
and its city.

The devices of an office read the same two day settings from `[office]` in kiosk.toml; the server
must be told them (`kiosk-central office`) when an office differs from the server's defaults. A row
with no rule (only a name or a city) keeps the defaults. The city is the scope of a city token
(central.city_report): the offices whose `city` is the token's.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
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
        if row is None or row.timezone is None:
            return None
        return parse_rule(row.timezone, row.day_starts_at)

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


@dataclass(frozen=True)
class OfficeLabels:
    name: str | None
    city: str | None


def clean_label(text: str) -> str:
    """A name or city as stored: NFC, trimmed (empty text clears it: set_office_labels)."""
    return unicodedata.normalize("NFC", text).strip()


def office_labels(db: Database, office: str) -> OfficeLabels:
    """The office's name and city (None where not set)."""
    row = db.read(
        lambda conn: conn.execute(
            select(offices.c.name, offices.c.city).where(offices.c.office == office)
        ).first()
    )
    return OfficeLabels(None, None) if row is None else OfficeLabels(row.name, row.city)


def set_office_labels(
    db: Database, office: str, *, name: str | None = None, city: str | None = None
) -> OfficeLabels:
    """Set the name and/or city given (already cleaned by clean_label; `""` clears one), keeping
    the other and the day rule; returns what is stored."""
    given = {
        key: value or None for key, value in (("name", name), ("city", city)) if value is not None
    }
    if given:
        statement = dialect_insert(db.kind, offices).values(office=office, **given)
        upsert = statement.on_conflict_do_update(index_elements=["office"], set_=given)
        db.run(lambda conn: conn.execute(upsert))
    return office_labels(db, office)


def office_names(db: Database) -> dict[str, str]:
    """Office → name, for the offices that have one."""
    rows = db.read(
        lambda conn: conn.execute(
            select(offices.c.office, offices.c.name).where(offices.c.name.is_not(None))
        ).all()
    )
    return {row.office: row.name for row in rows}


def offices_of_city(db: Database, city: str) -> list[str]:
    """The offices whose city is `city` (compared NFC), in code order."""
    wanted = unicodedata.normalize("NFC", city)
    rows = db.read(
        lambda conn: conn.execute(
            select(offices.c.office).where(offices.c.city == wanted).order_by(offices.c.office)
        ).all()
    )
    return [row.office for row in rows]
