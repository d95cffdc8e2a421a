"""Free space on the disk of the data folder: a ticket that cannot be written is not issued."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.diagnostics.context import MB, CheckContext
from kiosk.diagnostics.finding import Finding, Text, fault, ok, warning
from kiosk.i18n import N_
from kiosk.storage_faults import FAULT_NAMES, StorageFault

if TYPE_CHECKING:
    from kiosk.config import Config

CHECK = "disk"


def check(config: Config, context: CheckContext) -> Finding:
    folder = existing_folder(config.device.data_dir)
    usage = shutil.disk_usage(folder)
    free_mb = usage.free // MB
    detail = {"path": str(folder), "free_bytes": usage.free, "total_bytes": usage.total}
    args = {"free": free_mb, "path": str(folder)}
    if usage.free < context.disk_fault_bytes:
        return fault(
            CHECK,
            Text(
                N_("{fault}: only {free} MB free for {path}."),
                {"fault": Text(FAULT_NAMES[StorageFault.FULL]), **args},
            ),
            Text(N_("Free space on that disk (old logs, copies) or use a larger SD card.")),
            detail,
        )
    if usage.free < context.disk_warning_bytes:
        return warning(
            CHECK,
            Text(N_("Only {free} MB free for {path}."), args),
            Text(N_("Free space on that disk (old logs, copies) or use a larger SD card.")),
            detail,
        )
    return ok(CHECK, N_("{free} MB free for {path}."), detail, **args)


def existing_folder(path: Path) -> Path:
    """`path`, or its nearest existing parent (a data folder not made yet)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path
