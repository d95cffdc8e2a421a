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

from common.office_clock import aware_now

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
        # The server's time at the last measurement, and the monotonic clock then: the
        # server's time now is carried forward on the monotonic clock, so a step of the wall
        # clock after the measurement (NTP at last) changes the offset at once.
        self._server_at: datetime | None = None
        self._measured_at = 0.0
        self._checked_at: float | None = None
        self._wrong = False

    def observe(
        self, server_time: datetime, round_trip_seconds: float, received: datetime | None = None
    ) -> None:
        """The server said `server_time`; its answer took `round_trip_seconds` and arrived
        just now (`received`, on this device's clock, only to say how far off it is)."""
        received = self._clock() if received is None else received
        server_at = server_time + timedelta(seconds=round_trip_seconds / 2)
        offset = (server_at - received).total_seconds()
        wrong = abs(offset) > self.margin
        with self._lock:
            self._server_at = server_at
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

    def server_now(self) -> datetime | None:
        """The server's time now, if measured lately (whatever the margin)."""
        with self._lock:
            server_at, measured_at = self._server_at, self._measured_at
        elapsed = self._monotonic() - measured_at
        if server_at is None or elapsed > FRESH_SECONDS:
            return None
        return server_at + timedelta(seconds=elapsed)

    def offset(self) -> float | None:
        """Seconds to add to the device clock to get the server's, if measured lately."""
        server = self.server_now()
        return None if server is None else (server - self._clock()).total_seconds()

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
        server = self.server_now()
        if server is not None and abs((server - local).total_seconds()) > self.margin:
            return server
        return local
