"""The three storage faults a technician must be told by name, and which one an error is.

With a full disk, an SD card gone read-only or a damaged database, every ticket is refused:
the citizen is told politely to ask the staff, while the status line, the technician screen,
`kiosk doctor` and the log name the fault (`FAULT_NAMES`), so that the technician knows what
to do. `classify` maps the store's typed errors, sqlite3 errors and OSErrors to the fault; an
error it cannot name (a lock held too long, a bug) is None. `StorageHealth` keeps the fault the
running app last met, for the status line and the technician screen.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from enum import Enum
from pathlib import Path

from kiosk.i18n import N_
from kiosk.store import StorageCorrupt, StorageFull, StorageReadOnly, StoreError
from kiosk.store.connection import storage_error

log = logging.getLogger("kiosk.storage")


class StorageFault(Enum):
    FULL = "full"
    READ_ONLY = "read_only"
    CORRUPT = "corrupt"


# The fault's name on the status line and the technician screen (translated there).
FAULT_NAMES = {
    StorageFault.FULL: N_("Storage full"),
    StorageFault.READ_ONLY: N_("Memory card read-only"),
    StorageFault.CORRUPT: N_("Database damaged"),
}

# What the technician does, in one sentence (kiosk doctor, the log; the README has the steps).
FAULT_FIXES = {
    StorageFault.FULL: N_(
        "Free space on the data folder's disk (old logs, copies) or use a larger SD card; the"
        " kiosk works again at once."
    ),
    StorageFault.READ_ONLY: N_(
        "The SD card went read-only (usually worn out or a failed write): copy {path} to a"
        " safe place, then replace the card and restore the copy."
    ),
    StorageFault.CORRUPT: N_(
        "Stop the kiosk (systemctl stop kiosk) and keep a copy of {path}: its outbox may hold"
        ' events not yet sent; then follow "Damaged database" in the README. Nothing is'
        " deleted automatically."
    ),
}

_BY_ERRNO = {
    errno.ENOSPC: StorageFault.FULL,
    errno.EDQUOT: StorageFault.FULL,
    errno.EFBIG: StorageFault.FULL,
    errno.EROFS: StorageFault.READ_ONLY,
}
_BY_STORE_ERROR: dict[type[StoreError], StorageFault] = {
    StorageFull: StorageFault.FULL,
    StorageReadOnly: StorageFault.READ_ONLY,
    StorageCorrupt: StorageFault.CORRUPT,
}


def classify(error: BaseException, where: Path | None = None) -> StorageFault | None:
    """The storage fault `error` is, or None. With `where` (the data folder), an I/O error
    sqlite3 cannot name is told by the medium itself: mounted read-only, or no space left."""
    if isinstance(error, sqlite3.Error):  # as the store tells it
        error = storage_error(error, where or Path("."))
    for kind, fault in _BY_STORE_ERROR.items():
        if isinstance(error, kind):
            return fault
    if isinstance(error, OSError) and error.errno in _BY_ERRNO:
        return _BY_ERRNO[error.errno]
    if isinstance(error, StoreError | OSError) and where is not None:
        return medium_fault(where)
    return None


def medium_fault(where: Path) -> StorageFault | None:
    """READ_ONLY when the file system holding `where` is mounted read-only, FULL when it has
    no block left for this user, else None (also when it cannot be asked)."""
    try:
        info = os.statvfs(where)
    except OSError:
        return None
    if info.f_flag & os.ST_RDONLY:
        return StorageFault.READ_ONLY
    if info.f_bavail == 0:
        return StorageFault.FULL
    return None


class StorageHealth:
    """The storage fault the running app met last, until a write succeeds again. It listens to
    the store's writes (Store.observe_writes), on whichever thread writes; `on_change` is called
    when the fault comes or goes (keep it short: hand over to the UI thread). The status line
    and the technician screen read `fault`."""

    def __init__(self, data_dir: Path, on_change: Callable[[], None] | None = None) -> None:
        self.data_dir = data_dir
        self._on_change = on_change
        self._lock = threading.Lock()
        self._fault: StorageFault | None = None

    @property
    def fault(self) -> StorageFault | None:
        return self._fault

    def observe(self, error: BaseException | None) -> None:
        """A write's outcome: None when it was committed, else its error."""
        if error is None:
            self.written()
        else:
            self.record(error)

    def record(self, error: BaseException) -> StorageFault | None:
        """Remember the fault `error` is (None when it is no storage fault) and log it by name
        when it is new. Returns it."""
        fault = classify(error, self.data_dir)
        if fault is None:
            return None
        with self._lock:
            new, self._fault = fault != self._fault, fault
        if new:
            log.error("storage fault: %s (%s)", FAULT_NAMES[fault], error)
            self._changed()
        return fault

    def written(self) -> None:
        """A write succeeded: whatever the fault was, it is gone."""
        with self._lock:
            old, self._fault = self._fault, None
        if old is not None:
            log.warning("storage works again after: %s", FAULT_NAMES[old])
            self._changed()

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()


def for_the_technician(error: BaseException, where: Path) -> str:
    """`error` in one English sentence for the command line and the log, led by the fault's
    name and followed by its fix when it is a storage fault."""
    fault = classify(error, where)
    if fault is None:
        return f"{error}."
    fix = FAULT_FIXES[fault].format(path=where)
    return f"{FAULT_NAMES[fault]}: {error}. {fix}"
