"""Logging for the kiosk: to stderr (journald under systemd) and a rotating file in the data dir.

Log lines name tickets by their number and devices by their port; nothing personal is logged.
Times are the office's local time with its UTC offset ("2026-12-02 07:31:05 +0700"), the time
the screens and tickets show, whatever time zone the device itself is set to.
"""

from __future__ import annotations

import logging
import logging.handlers
from datetime import datetime, tzinfo
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"


class OfficeTimeFormatter(logging.Formatter):
    """FORMAT with the time of each record in `timezone` (None: the device's local time), UTC
    offset shown."""

    def __init__(self, timezone: tzinfo | None) -> None:
        super().__init__(FORMAT)
        self._timezone = timezone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        moment = datetime.fromtimestamp(record.created, self._timezone)
        if self._timezone is None:
            moment = moment.astimezone()
        return moment.strftime(datefmt or TIME_FORMAT)


def configure_logging(
    log_dir: Path | None, *, verbose: bool = False, timezone: tzinfo | None = None
) -> None:
    """Log to stderr and to `log_dir`/kiosk.log, times in `timezone` (the office's)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    formatter = OfficeTimeFormatter(timezone)
    console = logging.StreamHandler()
    console.setFormatter(formatter)
    root.addHandler(console)
    if log_dir is not None:
        try:
            log_dir.mkdir(parents=True, exist_ok=True)
            file_handler = logging.handlers.RotatingFileHandler(
                log_dir / "kiosk.log", maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        except OSError as error:
            root.warning("cannot write the log file in %s: %s", log_dir, error)
        else:
            file_handler.setFormatter(formatter)
            root.addHandler(file_handler)
