"""The last few warnings and errors of this device's log, for the technician screen.

A logging handler on the root logger keeps the latest records of level WARNING and above (time
and first line of the message, no traceback): the messages are our log lines, which name no
person (kiosk.logging_setup). A message repeated at once is kept once, with its count and its
latest time, so a fault that repeats does not push the others out.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime

KEPT = 5


class RecentErrors(logging.Handler):
    """Keeps the last `kept` warnings and errors; `latest()` may be called from any thread."""

    def __init__(self, kept: int = KEPT) -> None:
        super().__init__(logging.WARNING)
        self._records: deque[tuple[datetime, str, int]] = deque(maxlen=kept)

    def emit(self, record: logging.LogRecord) -> None:
        """Called with the handler's lock held (logging.Handler.handle)."""
        try:
            message = (record.getMessage().splitlines() or [""])[0]
        except Exception:  # a record whose arguments do not fit its message
            self.handleError(record)
            return
        at = datetime.fromtimestamp(record.created, UTC)
        count = 1
        if self._records and self._records[-1][1] == message:
            count += self._records.pop()[2]
        self._records.append((at, message, count))

    def latest(self) -> list[tuple[datetime, str, int]]:
        """(latest time in UTC, message, times in a row), oldest first."""
        with self.lock:
            return list(self._records)

    def install(self) -> None:
        logging.getLogger().addHandler(self)

    def remove(self) -> None:
        logging.getLogger().removeHandler(self)
