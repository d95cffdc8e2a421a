"""Quiet hours: times of day, in the office's time zone, when the hall is announced to softly
or not at all. A period "HH:MM-HH:MM" starts at its first minute and ends just before its
second ("12:00-13:30": 12:00 is quiet, 13:30 is not); one whose end is earlier than its start
wraps past midnight ("21:00-06:00")."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

PERIOD_PATTERN = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-3]):([0-5][0-9])")
PERIOD_ALLOWED = 'must be a list of periods written "HH:MM-HH:MM", e.g. ["12:00-13:00"]'


@dataclass(frozen=True)
class QuietPeriod:
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietPeriod:
        match = PERIOD_PATTERN.fullmatch(text)
        if match is None:
            raise ValueError(f"{text!r} is not a period written HH:MM-HH:MM")
        start = time(int(match[1]), int(match[2]))
        end = time(int(match[3]), int(match[4]))
        if start == end:
            raise ValueError(f"{text!r} starts and ends at the same minute")
        return cls(start, end)

    def contains(self, moment: time) -> bool:
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def is_quiet(periods: Iterable[QuietPeriod], moment: datetime, timezone: ZoneInfo) -> bool:
    """Whether the aware `moment` falls in one of the periods, read in the office's zone."""
    local = moment.astimezone(timezone).time().replace(tzinfo=None)
    return any(period.contains(local) for period in periods)
