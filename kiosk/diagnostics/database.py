"""The device database's integrity: `PRAGMA quick_check` on kiosk.db (kiosk.store.integrity:
read-only, safe while the app runs)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok, warning
from kiosk.i18n import N_
from kiosk.storage_faults import FAULT_FIXES, FAULT_NAMES, StorageFault, classify
from kiosk.store import StoreError
from kiosk.store.integrity import quick_check

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "database"
DATABASE_FILE = "kiosk.db"


def check(config: Config, context: CheckContext) -> Finding:
    path = config.device.data_dir / DATABASE_FILE
    if not path.exists():
        return warning(
            CHECK,
            Text(
                N_("No database yet at {path}: the kiosk has not run on this device."),
                {"path": str(path)},
            ),
            Text(N_("Start the kiosk once (systemctl start kiosk).")),
        )
    try:
        quick_check(path, context.timeout)
    except StoreError as error:
        kind = classify(error, path.parent)
        if kind is None:
            return fault(
                CHECK,
                Text(N_("Cannot be read: {error}."), {"error": str(error)}),
                Text(N_("Run kiosk doctor again; if it stays, restart the device.")),
                {"path": str(path), "error": str(error)},
            )
        return storage_finding(kind, path, str(error))
    return ok(CHECK, N_("{path} passed its integrity check."), {"path": str(path)}, path=str(path))


def storage_finding(kind: StorageFault, path: Path, error: str) -> Finding:
    """The fault of the database at `path`, named, with the technician's fix."""
    return fault(
        CHECK,
        Text(N_("{fault}: {error}."), {"fault": Text(FAULT_NAMES[kind]), "error": error}),
        Text(FAULT_FIXES[kind], {"path": str(path)}),
        {"path": str(path), "fault": kind.value, "error": error},
    )
