"""Clocks the tests inject, so that nothing depends on the hour the suite runs at."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from common.office_clock import aware_now, default_rule

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock:
    """A settable clock for TicketService: tests choose the moment, never sleep."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class RunningClock:
    """A clock that runs at real speed from a moment the test chooses (and may move)."""

    def __init__(self, start: datetime) -> None:
        self._lock = threading.Lock()
        self.set(start)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("the test clock needs an aware datetime")
        with self._lock:
            self._start = moment
            self._started = time.monotonic()

    def __call__(self) -> datetime:
        with self._lock:
            return self._start + timedelta(seconds=time.monotonic() - self._started)


def office_hours_now(hour: int = 10) -> datetime:
    """`hour`:00 local of the office day the real clock is in (default rule): a moment in
    office hours whatever the hour the suite runs at."""
    rule = default_rule()
    day = rule.day_of(aware_now())
    return datetime.combine(day, rule.start(day).time(), rule.timezone).replace(hour=hour)


def office_morning() -> datetime:
    """8:00 of the office day the real clock is in: the lobby's clock, where the server and the
    counter run on real time."""
    return office_hours_now(8)
