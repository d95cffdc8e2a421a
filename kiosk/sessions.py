"""The counter session: its states, the officer's view of it, the officer's half of the dual
rating, and the data of its events (docs/central-api.md, keys exactly as the contract names).

A session is `called` (the ticket's number is shown and announced), then `serving` (the citizen
is at the desk), then `closed` with the officer's half: outcome, same-day result, the officer's
own rating. Its citizen half (kiosk.ratings) is then `due`, and becomes `rated` or `not_rated`;
a session closed with the no-show outcome has `none`. The stored session, its states and what
they say are kiosk.store.sessions' (SessionRow).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.config import Outcome, RatingConfig
from kiosk.events import rfc3339
from kiosk.store.sessions import NewSession, SessionRow

CALL_NEXT = (
    "call_next"  # entry: from the central server's call-next (qr, typed: kiosk.ticket_entry)
)

SHORT_SESSION = "short_session"


class InvalidOfficerHalf(ValueError):
    """The outcome or the officer's rating given at closing is not one the config allows."""


@dataclass(frozen=True)
class CounterSession:
    """A session as the officer's screen sees it: never the citizen's half."""

    id: str
    day: date
    label: str
    field_id: str
    ticket_id: str | None  # None when the ticket was entered at the counter
    priority: bool
    entry: str  # "call_next", "qr" or "typed"
    state: str  # "called", "serving" or "closed"
    counter: int
    officer_id: str
    called_at: datetime
    started_at: datetime | None
    closed_at: datetime | None
    recalls: int

    @classmethod
    def from_row(cls, row: SessionRow, zone: ZoneInfo) -> CounterSession:
        """The officer's view of a stored session, its times on the office clock."""
        shown = {field.name: getattr(row, field.name) for field in fields(cls)}
        shown.update(
            called_at=row.called_at.astimezone(zone),
            started_at=_in_zone(row.started_at, zone),
            closed_at=_in_zone(row.closed_at, zone),
        )
        return cls(**shown)


@dataclass(frozen=True)
class OfficerHalf:
    outcome: Outcome
    same_day_result: bool
    stored_rating: dict[str, Any] | None  # with each criterion's level
    event_rating: dict[str, int] | None  # {"scale", "level"}: the contract's officer_rating


def officer_half(
    rating: RatingConfig, outcome_id: str, same_day_result: bool, levels: dict[str, int]
) -> OfficerHalf:
    """Check the officer's half. Every criterion is rated on the officer scale, except for a
    no-show, which may be left unrated. The contract's single level is the criteria's mean,
    halves rounded toward the worse level."""
    outcome = rating.outcome(outcome_id)
    if outcome is None:
        raise InvalidOfficerHalf(f"no outcome {outcome_id!r} in rating.toml")
    scale = rating.officer_scale.levels
    criteria = [c.id for c in rating.officer_criteria]
    if outcome.no_show and not levels:
        return OfficerHalf(outcome, same_day_result, None, None)
    if sorted(levels) != sorted(criteria):
        raise InvalidOfficerHalf(f"the officer rates every criterion: {', '.join(criteria)}")
    for criterion, level in levels.items():
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= scale:
            raise InvalidOfficerHalf(f"{criterion}: a level from 1 to {scale}")
    total, count = sum(levels.values()), len(levels)
    level = (2 * total + count) // (2 * count)
    stored = {"scale": scale, "level": level, "criteria": dict(levels)}
    return OfficerHalf(outcome, same_day_result, stored, {"scale": scale, "level": level})


def call_data(session: NewSession) -> dict[str, Any]:
    """`ticket.called`, `ticket.recalled` and `ticket.skipped`."""
    return {
        "day": session.day.isoformat(),
        "label": session.label,
        "counter": session.counter,
        "officer_id": session.officer_id,
        "session_id": session.id,
        "ticket_id": session.ticket_id,
        "field_id": session.field_id,
    }


def closed_data(
    row: SessionRow,
    half: OfficerHalf,
    *,
    closed_at: datetime,
    flags: list[str],
    zone: ZoneInfo,
    dossier_code: str | None = None,
) -> dict[str, Any]:
    """`session.closed` of a session row being closed with the officer's half, and the
    dossier code the officer gave (kiosk.dossier_codes), if any."""
    return {
        "session_id": row.id,
        "day": row.day.isoformat(),
        "label": row.label,
        "field_id": row.field_id,
        "counter": row.counter,
        "officer_id": row.officer_id,
        "called_at": rfc3339(row.called_at.astimezone(zone)),
        "closed_at": rfc3339(closed_at.astimezone(zone)),
        "outcome": half.outcome.id,
        "same_day_result": half.same_day_result,
        "officer_rating": half.event_rating,
        "flags": flags,
        "dossier_code": dossier_code,
    }


def _in_zone(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone)
