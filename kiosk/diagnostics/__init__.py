"""The device's self-diagnosis, for `kiosk doctor` and the technician screen.

`run_checks(config)` runs every check in order and returns one or more `Finding`s per check
(kiosk.diagnostics.finding): "ok", "warning" or "fault", a summary and, for a problem, its fix,
as translatable texts. One module per check; each is time-bounded and read-only (nothing is
repaired or deleted by a diagnosis), safe while the kiosk app runs. A check that itself fails is
reported as a fault of that check, and the others still run.

Slow (network, serial ports): call it from a worker thread, never the Kivy main thread.
"""

from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import STATUSES, Finding, Status, Text
from kiosk.diagnostics.runner import CHECK_TITLES, CHECKS, run_checks, worst

__all__ = [
    "CHECKS",
    "CHECK_TITLES",
    "STATUSES",
    "CheckContext",
    "Finding",
    "Status",
    "Text",
    "run_checks",
    "worst",
]
