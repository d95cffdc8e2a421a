"""The office day: the one definition every device and the central server use.

An office day starts at the office's `day_starts_at` in its time zone and lasts until the next
one; a moment before `day_starts_at` still belongs to the previous day. Ticket numbering
restarts, identities expire and officers are signed out at that boundary, and a ticket keeps the
day it was issued on whatever the wall clock says later.

This module depends on the standard library only, so the central server imports it too.
"""

from __future__ import annotations

import time as wall
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_DAY_STARTS_AT = time(4, 0)


def aware_now() -> datetime:
    """The system clock, aware (UTC): the default of every injected clock."""
    return datetime.now(UTC)


def touch_seconds() -> float:
    """The wall clock in seconds, as Kivy stamps a touch (MotionEvent.time_start): only for
    telling whether a touch began before or after a moment on screen, never for the office's
    time."""
    return wall.time()


@dataclass(frozen=True)
class OfficeDayRule:
    """Where an office's days begin: a time of day in a time zone."""

    timezone: ZoneInfo
    day_starts_at: time = DEFAULT_DAY_STARTS_AT

    def day_of(self, moment: datetime) -> date:
        """The office day `moment` belongs to: before day_starts_at it is the previous day."""
        if moment.tzinfo is None:
            raise ValueError("the office day needs an aware datetime")
        local = moment.astimezone(self.timezone)
        if local.time() < self.day_starts_at:
            return local.date() - timedelta(days=1)
        return local.date()

    def start(self, day: date) -> datetime:
        """The first moment of office day `day`."""
        return datetime.combine(day, self.day_starts_at, self.timezone)

    def end(self, day: date) -> datetime:
        """The first moment after office day `day`: the next day's start."""
        return self.start(day + timedelta(days=1))

    def end_of_day_containing(self, moment: datetime) -> datetime:
        return self.end(self.day_of(moment))

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)


def default_rule() -> OfficeDayRule:
    return OfficeDayRule(ZoneInfo(DEFAULT_TIMEZONE), DEFAULT_DAY_STARTS_AT)
