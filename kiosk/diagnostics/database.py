"""The device database's integrity: `PRAGMA quick_check` on kiosk.db, opened read-only, so it
is safe while the app runs (WAL: readers never block the writer)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.diagnostics.context import CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok, warning
from kiosk.i18n import N_
from kiosk.storage_faults import FAULT_FIXES, FAULT_NAMES, StorageFault, classify, medium_fault

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "database"
DATABASE_FILE = "kiosk.db"
_PROBLEMS_SHOWN = 3  # quick_check lists every damaged page; the first few tell enough


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
        problems = quick_check(path, context.timeout)
    except sqlite3.Error as error:
        fault_kind = classify(error, path.parent) or StorageFault.CORRUPT
        return storage_finding(fault_kind, path, str(error))
    if problems:
        return storage_finding(StorageFault.CORRUPT, path, "; ".join(problems[:_PROBLEMS_SHOWN]))
    return ok(CHECK, N_("{path} passed its integrity check."), {"path": str(path)}, path=str(path))


def quick_check(path: Path, timeout: float) -> list[str]:
    """What `PRAGMA quick_check` found wrong in the database at `path` ([] when nothing),
    read without writing anything. On a read-only medium the file is opened immutable (no lock
    or shared-memory file can be made there, and nobody can write it)."""
    immutable = "&immutable=1" if medium_fault(path.parent) == StorageFault.READ_ONLY else ""
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro{immutable}", uri=True, timeout=timeout)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    finally:
        conn.close()
    answers = [str(row[0]) for row in rows]
    return [] if answers == ["ok"] else answers


def storage_finding(kind: StorageFault, path: Path, error: str) -> Finding:
    """The fault of the database at `path`, named, with the technician's fix."""
    return fault(
        CHECK,
        Text(
            N_("{fault}: {path} ({error})."),
            {"fault": Text(FAULT_NAMES[kind]), "path": str(path), "error": error},
        ),
        Text(FAULT_FIXES[kind], {"path": str(path)}),
        {"path": str(path), "fault": kind.value, "error": error},
    )
