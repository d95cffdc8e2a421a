"""Logging for the kiosk: to stderr (journald under systemd) and a rotating file in the data dir.

Log lines name tickets by their number and devices by their port; nothing personal is logged.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(log_dir: Path | None, *, verbose: bool = False) -> None:
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler()
    console.setFormatter(logging.Formatter(FORMAT))
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
            file_handler.setFormatter(logging.Formatter(FORMAT))
            root.addHandler(file_handler)
