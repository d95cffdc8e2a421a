"""What the running kiosk app says of the hardware it holds: `<data_dir>/health.json`, written
by its health monitor. Read when the app has the printer's port, so that a diagnosis never
fights the app for it."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from devices.printer import PrinterState

HEALTH_FILE = "health.json"


def reported_printer(data_dir: Path) -> tuple[PrinterState, datetime | None] | None:
    """The printer state the running app last wrote and when, or None when it wrote none
    that can be read."""
    try:
        report = json.loads((data_dir / HEALTH_FILE).read_text(encoding="utf-8"))
        printer = report.get("printer")
        state = PrinterState(printer.get("state") if isinstance(printer, dict) else printer)
    except (OSError, ValueError, AttributeError):
        return None
    observed = report.get("observed_at")
    try:
        at = datetime.fromisoformat(observed) if isinstance(observed, str) else None
    except ValueError:
        at = None
    return state, at
