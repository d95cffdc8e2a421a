"""The citizen's half of the dual rating: the rating window, the checks of a press, its flags
and the data of its `rating.citizen` event.

Integrity rules: one counted rating per session. A later press is kept and flagged
"second_press" (the server also marks it duplicate_rating and does not count it); a press
sooner than `instant_press_ms` after the rating screen appeared is flagged "instant_press"; a
top rating that makes `top_burst_count` top ratings at this counter within `top_burst_minutes`
is flagged "top_burst" (so is each further one); the session's "short_session" flag is repeated.
Flags mark, they never drop or change a rating. A citizen who does not rate in time is
"not rated", never given a level.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.config import Choice, CounterConfig, RatingConfig, Scale
from kiosk.events import rfc3339
from kiosk.sessions import SHORT_SESSION
from kiosk.store.sessions import SessionRow

INSTANT_PRESS = "instant_press"
SECOND_PRESS = "second_press"
TOP_BURST = "top_burst"
TOP_LEVEL = 1


class InvalidRating(ValueError):
    """A level or reasons the rating screen should never have offered."""


@dataclass(frozen=True)
class RatingWindow:
    """What the citizen's rating screen needs, and nothing of the officer's half.

    `opened_at` is when the rating screen appeared; `deadline` when the citizen's time is up
    (then call rating_timed_out()).
    """

    session_id: str
    counter: int
    opened_at: datetime
    deadline: datetime
    scale: Scale
    question_vi: str
    question_en: str
    reasons: tuple[Choice, ...]

    def question(self, language: str) -> str:
        return self.question_en if language == "en" else self.question_vi

    def is_negative(self, level: int) -> bool:
        """Whether this level asks for reasons."""
        return level in self.scale.negative


@dataclass(frozen=True)
class RatingRecorded:
    counted: bool  # False for a second press: kept and flagged, not counted
    level: int
    flags: tuple[str, ...]


def window_of(
    row: SessionRow, opened_at: datetime, rating: RatingConfig, counter: CounterConfig
) -> RatingWindow:
    return RatingWindow(
        session_id=row.id,
        counter=row.counter,
        opened_at=opened_at,
        deadline=opened_at + timedelta(seconds=counter.rating_seconds),
        scale=rating.citizen_scale,
        question_vi=rating.question_vi,
        question_en=rating.question_en,
        reasons=rating.reasons,
    )


def check_press(level: int, reasons: list[str], rating: RatingConfig) -> None:
    """A level of the scale in use; reasons (configured, each once) only for a negative level."""
    scale = rating.citizen_scale
    if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= scale.levels:
        raise InvalidRating(f"a level from 1 to {scale.levels}, not {level!r}")
    known = {reason.id for reason in rating.reasons}
    if len(set(reasons)) != len(reasons) or not set(reasons) <= known:
        raise InvalidRating(f"reasons are ids of rating.toml, each once: {sorted(known)}")
    if reasons and level not in scale.negative:
        raise InvalidRating(f"reasons are asked only for levels {sorted(scale.negative)}")


def press_flags(
    *,
    session_flags: list[str],
    opened_at: datetime,
    pressed_at: datetime,
    counter: CounterConfig,
    second: bool,
    top_ratings_before: int,
    level: int,
) -> list[str]:
    """The flags of a press. `top_ratings_before`: counted top ratings at this counter within
    the burst window before this press."""
    flags = [SHORT_SESSION] if SHORT_SESSION in session_flags else []
    if pressed_at - opened_at < timedelta(milliseconds=counter.instant_press_ms):
        flags.append(INSTANT_PRESS)
    if second:
        flags.append(SECOND_PRESS)
    elif level == TOP_LEVEL and top_ratings_before + 1 >= counter.top_burst_count:
        flags.append(TOP_BURST)
    return flags


def rating_data(
    row: SessionRow,
    *,
    scale: int,
    level: int | None,
    reasons: list[str],
    rated_at: datetime | None,
    flags: list[str],
    zone: ZoneInfo,
) -> dict[str, Any]:
    """`rating.citizen` of a session row: rated when `level` is given, else not rated."""
    return {
        "session_id": row.id,
        "day": row.day.isoformat(),
        "counter": row.counter,
        "officer_id": row.officer_id,
        "field_id": row.field_id,
        "rated": level is not None,
        "scale": scale,
        "level": level,
        "reasons": reasons,
        "rated_at": None if rated_at is None else rfc3339(rated_at.astimezone(zone)),
        "flags": flags,
    }
