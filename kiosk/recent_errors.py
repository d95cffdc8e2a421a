"""The last few warnings and errors of this device's log, for the technician screen.

A logging handler on the root logger keeps the latest records of level WARNING and above (time
and message, without tracebacks): the messages are our log lines, which name no person
(kiosk.logging_setup).
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
        self._records: deque[tuple[datetime, str]] = deque(maxlen=kept)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = (record.getMessage().splitlines() or [""])[0]
        except Exception:  # a record whose arguments do not fit its message
            self.handleError(record)
            return
        self._records.append((datetime.fromtimestamp(record.created, UTC), message))

    def latest(self) -> list[tuple[datetime, str]]:
        """The kept records, oldest first (aware UTC times)."""
        with self.lock:
            return list(self._records)

    def install(self) -> None:
        logging.getLogger().addHandler(self)

    def remove(self) -> None:
        logging.getLogger().removeHandler(self)
