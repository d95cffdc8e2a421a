"""The device's clock checked against the central server's, and the time tickets are issued on.

A Raspberry Pi has no real-time clock: it may boot with yesterday's time, and NTP may step the
clock back. The sync worker measures the server's clock at each health check (the server's
time, corrected by half the round trip). From that:

- `offset()`: how far the device's clock is behind the server's (seconds), while the
  measurement is fresh; None when the server has not been reached lately.
- `now()`: the time tickets are stamped and dated with: the device's clock, or the server's
  (device clock + offset) when the two disagree by more than the margin; a device whose clock
  is wrong thus never opens an office day of its own, and says so (`problem`).

Thread-safe: the sync worker writes, the ticket service and the screens read.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from kiosk.office_day import aware_now

log = logging.getLogger(__name__)

FRESH_SECONDS = 15 * 60  # a measurement older than this is not used
CHECK_EVERY_SECONDS = 5 * 60  # the sync worker measures again when its last is this old


class ServerClock:
    def __init__(
        self,
        margin_seconds: float,
        clock: Callable[[], datetime] = aware_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.margin = margin_seconds
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._offset: float | None = None
        self._measured_at = 0.0
        self._checked_at: float | None = None
        self._wrong = False

    def local_now(self) -> datetime:
        return self._clock()

    def observe(
        self, server_time: datetime, round_trip_seconds: float, received: datetime | None = None
    ) -> None:
        """The server said `server_time`; its answer took `round_trip_seconds` and arrived at
        device time `received` (default: now, on this device's clock)."""
        received = self._clock() if received is None else received
        offset = (server_time - received).total_seconds() + round_trip_seconds / 2
        wrong = abs(offset) > self.margin
        with self._lock:
            self._offset = offset
            self._measured_at = self._monotonic()
            was_wrong, self._wrong = self._wrong, wrong
        if wrong and not was_wrong:
            log.warning(
                "the device clock is %+.0f s off the central server's (margin %.0f s):"
                " tickets are dated by the server's clock",
                -offset,
                self.margin,
            )
        elif was_wrong and not wrong:
            log.info("the device clock agrees with the central server's again")

    def offset(self) -> float | None:
        """Seconds to add to the device clock to get the server's, if measured lately."""
        with self._lock:
            if self._offset is None or self._monotonic() - self._measured_at > FRESH_SECONDS:
                return None
            return self._offset

    def stale(self) -> bool:
        """True when it is time to measure again."""
        with self._lock:
            checked = self._checked_at
        return checked is None or self._monotonic() - checked > CHECK_EVERY_SECONDS

    def checked(self) -> None:
        """A health check was made (whether or not the server told its time)."""
        with self._lock:
            self._checked_at = self._monotonic()

    def clock_is_wrong(self) -> bool:
        offset = self.offset()
        return offset is not None and abs(offset) > self.margin

    def now(self) -> datetime:
        """The time to issue tickets on (see the module's docstring)."""
        local = self._clock()
        offset = self.offset()
        if offset is not None and abs(offset) > self.margin:
            return local + timedelta(seconds=offset)
        return local

    def server_now(self) -> datetime | None:
        """The server's time now, if measured lately (whatever the margin)."""
        offset = self.offset()
        return None if offset is None else self._clock() + timedelta(seconds=offset)
