"""How a running device is: one snapshot (`DeviceHealth`), kept up to date by a monitor.

The `HealthMonitor` gathers the snapshot on a thread of its own (a query of the outbox and a
look at the disk: never on the Kivy main thread), keeps the latest for the screens (`latest()`),
writes it atomically to `<data_dir>/health.json` (read by `kiosk doctor` while the app holds the
ports) and reports it to the central server (`POST /api/v1/devices/health`, with the device's
token) every `[health] report_interval` seconds, and at once when something that matters changes
(`_what_matters`: printer, scanner, storage, the clock's offset, the last error, the link),
though never twice within `[health] change_gap` seconds: a flapping printer sends one report per
gap, not one per flap. A report that fails is tried again later, quietly: the network may be down.

The recent errors are the WARNING and ERROR records of our own loggers (`ErrorRing`); the log
never holds personal data, so neither do they.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.atomic_files import write_atomically
from common.office_clock import aware_now
from common.version import __version__
from kiosk.central_client import CentralError
from kiosk.config import Config
from kiosk.enrolment import CentralLink
from kiosk.server_clock import ServerClock
from kiosk.services import DeviceData
from kiosk.storage_faults import StorageFault
from kiosk.store import Store, StoreError
from kiosk.sync import SyncWorker

log = logging.getLogger(__name__)

HEALTH_FILE = "health.json"
HEALTH_FILE_MODE = 0o600
OUR_LOGGERS = frozenset({"apps", "kiosk", "devices", "screens"})
RECENT_ERRORS = 10
MESSAGE_CHARS = 300
SAMPLE_SECONDS = 15.0  # between two looks, when nothing asks for one sooner (`poke`)
LOOK_GAP_SECONDS = 0.2  # between two looks at the least: a burst of log lines is one look
# Below this much free space the data folder counts as full: SQLite cannot be sure to commit.
FULL_BYTES = 16 * 1024 * 1024

STORAGE_OK = "ok"
STORAGE_READ_ONLY = "read_only"
STORAGE_FULL = "full"
STORAGE_DATABASE_ERROR = "database_error"
_FAULT_STORAGE = {
    StorageFault.FULL: STORAGE_FULL,
    StorageFault.READ_ONLY: STORAGE_READ_ONLY,
    StorageFault.CORRUPT: STORAGE_DATABASE_ERROR,
}
SCANNER_KEYBOARD = "keyboard"  # a keyboard-wedge scanner: whether it is plugged in is unknown
PRINTER_UNKNOWN = "unknown"  # a printer whose first status has not been read yet


@dataclass(frozen=True)
class ErrorNote:
    """One WARNING or ERROR of our loggers: its message (at most MESSAGE_CHARS) and time."""

    message: str
    at: datetime

    def as_json(self) -> dict[str, str]:
        return {"message": self.message, "at": self.at.isoformat()}


@dataclass(frozen=True)
class DeviceHealth:
    """A running device at `observed_at` (the office clock: the device's, or the server's when
    they disagree). `printer` is a devices.printer.PrinterState value (or "unknown"), None for a
    role without a printer; `scanner` "connected", "disconnected" or "keyboard", None when no
    scanner is configured; `clock_offset_seconds` what to add to the device's clock to get the
    server's (None: not measured lately); `storage` "ok", "read_only", "full" or
    "database_error"."""

    device_id: str
    role: str
    office: str
    version: str
    observed_at: datetime
    started_at: datetime
    uptime_seconds: float
    printer: str | None
    scanner: str | None
    outbox_pending: int
    outbox_quarantined: int
    outbox_oldest_at: datetime | None
    sync_state: str
    last_sync_at: datetime | None
    clock_offset_seconds: float | None
    disk_free_bytes: int | None
    disk_total_bytes: int | None
    storage: str
    last_error: ErrorNote | None
    recent_errors: tuple[ErrorNote, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The report's body (docs/central-api.md, `POST /api/v1/devices/health`)."""
        return {
            "device_id": self.device_id,
            "role": self.role,
            "office": self.office,
            "version": self.version,
            "observed_at": self.observed_at.isoformat(),
            "started_at": self.started_at.isoformat(),
            "uptime_seconds": round(self.uptime_seconds, 1),
            "printer": self.printer,
            "scanner": self.scanner,
            "outbox": {
                "pending": self.outbox_pending,
                "quarantined": self.outbox_quarantined,
                "oldest_at": _iso(self.outbox_oldest_at),
            },
            "sync": {"state": self.sync_state, "last_success_at": _iso(self.last_sync_at)},
            "clock_offset_seconds": (
                None if self.clock_offset_seconds is None else round(self.clock_offset_seconds, 1)
            ),
            "disk": (
                None
                if self.disk_free_bytes is None
                else {"free_bytes": self.disk_free_bytes, "total_bytes": self.disk_total_bytes}
            ),
            "storage": self.storage,
            "last_error": None if self.last_error is None else self.last_error.as_json(),
            "recent_errors": [note.as_json() for note in self.recent_errors],
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


class ErrorRing(logging.Handler):
    """The last RECENT_ERRORS WARNING+ records of our loggers (OUR_LOGGERS), newest last.
    `on_record` is called after each one (from the thread that logged it)."""

    def __init__(self, on_record: Callable[[], None] | None = None) -> None:
        super().__init__(logging.WARNING)
        self._notes: deque[ErrorNote] = deque(maxlen=RECENT_ERRORS)
        self._on_record = on_record

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.split(".", 1)[0] in OUR_LOGGERS and super().filter(record)

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 1] + "…"
        note = ErrorNote(message, datetime.fromtimestamp(record.created, UTC))
        with self.lock:
            self._notes.append(note)
        if self._on_record is not None:
            self._on_record()

    def notes(self) -> tuple[ErrorNote, ...]:
        with self.lock:
            return tuple(self._notes)


@dataclass(frozen=True)
class DeviceParts:
    """What a snapshot is read from, the app's parts. `printer_state` and `scanner_state` are
    called from the monitor's thread: they only read an attribute."""

    device_id: str
    role: str
    office: str
    data_dir: Path
    store: Store
    sync: SyncWorker
    server_clock: ServerClock
    printer_state: Callable[[], str | None] = lambda: None
    scanner_state: Callable[[], str | None] = lambda: None
    # The fault the app's writes met last (kiosk.storage_faults.StorageHealth), until one succeeds.
    storage_fault: Callable[[], StorageFault | None] = lambda: None

    @classmethod
    def of(
        cls,
        config: Config,
        data: DeviceData,
        sync: SyncWorker,
        *,
        printer_state: Callable[[], str | None] = lambda: None,
        scanner_state: Callable[[], str | None] = lambda: None,
        storage_fault: Callable[[], StorageFault | None] = lambda: None,
    ) -> DeviceParts:
        """The parts of the device `config` describes, its data opened (`data`)."""
        return cls(
            device_id=config.device.id,
            role=config.device.role,
            office=config.office.code,
            data_dir=config.device.data_dir,
            store=data.store,
            sync=sync,
            server_clock=data.server_clock,
            printer_state=printer_state,
            scanner_state=scanner_state,
            storage_fault=storage_fault,
        )


def gather(
    parts: DeviceParts,
    *,
    started_at: datetime,
    uptime_seconds: float,
    errors: tuple[ErrorNote, ...],
    clock: Callable[[], datetime],
) -> DeviceHealth:
    """The snapshot now. A store or a disk that cannot be read is a storage fault in it, not an
    exception (the monitor's thread survives a part that raises all the same)."""
    storage = STORAGE_OK
    try:
        summary = parts.store.outbox.summary()
        pending, quarantined = summary["pending"], summary["quarantined"]
        oldest = summary["oldest_pending"]
        oldest_at = None if oldest is None else datetime.fromisoformat(oldest)
    except (StoreError, ValueError):
        storage = STORAGE_DATABASE_ERROR
        status = parts.sync.status
        pending, quarantined, oldest_at = status.pending, status.quarantined, None
    free = total = None
    try:
        usage = shutil.disk_usage(parts.data_dir)
        free, total = usage.free, usage.total
        read_only = bool(os.statvfs(parts.data_dir).f_flag & os.ST_RDONLY) or not os.access(
            parts.data_dir, os.W_OK
        )
    except OSError:
        read_only = True
    if read_only:
        storage = STORAGE_READ_ONLY
    elif storage == STORAGE_OK and free is not None and free < FULL_BYTES:
        storage = STORAGE_FULL
    met = parts.storage_fault()
    if storage == STORAGE_OK and met is not None:  # a write refused, though the disk looks well
        storage = _FAULT_STORAGE[met]
    return DeviceHealth(
        device_id=parts.device_id,
        role=parts.role,
        office=parts.office,
        version=__version__,
        observed_at=clock(),
        started_at=started_at,
        uptime_seconds=uptime_seconds,
        printer=parts.printer_state(),
        scanner=parts.scanner_state(),
        outbox_pending=pending,
        outbox_quarantined=quarantined,
        outbox_oldest_at=oldest_at,
        sync_state=parts.sync.status.state,
        last_sync_at=parts.sync.last_success_at,
        clock_offset_seconds=parts.server_clock.offset(),
        disk_free_bytes=free,
        disk_total_bytes=total,
        storage=storage,
        last_error=errors[-1] if errors else None,
        recent_errors=errors,
    )


def _what_matters(health: DeviceHealth, clock_margin: float) -> tuple[Any, ...]:
    """The states whose change is reported at once. The clock counts by its bucket: within
    the margin, or how many margins off (a slow drift is not a change every second)."""
    offset = health.clock_offset_seconds
    bucket = None if offset is None else int(offset / clock_margin)
    return (
        health.printer,
        health.scanner,
        health.storage,
        bucket,
        health.last_error,
        health.sync_state,
    )


class HealthMonitor:
    """Keeps the device's snapshot and reports it (see the module's docstring).

    start(), stop(), poke() and latest() may be called from any thread, the Kivy main thread
    included: they never touch the disk or the network."""

    def __init__(
        self,
        parts: DeviceParts,
        link: CentralLink | None,
        *,
        report_interval: float,
        change_gap: float,
        clock: Callable[[], datetime] = aware_now,
        monotonic: Callable[[], float] = time.monotonic,
        sample_seconds: float = SAMPLE_SECONDS,
    ) -> None:
        self._parts = parts
        self._link = link
        self._interval = report_interval
        self._gap = change_gap
        self._clock = clock
        self._monotonic = monotonic
        self._sample = sample_seconds
        self._started_at = clock()
        self._started = monotonic()
        self.errors = ErrorRing(on_record=self.poke)
        self._lock = threading.Lock()
        self._latest: DeviceHealth | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported: tuple[Any, ...] | None = None  # _what_matters of the last report
        self._filed: tuple[Any, ...] | None = None  # _what_matters of health.json as written
        self._last_report = -float("inf")  # monotonic
        self._next_report = 0.0  # monotonic: the next report due without a change
        self._failures = 0
        self._file_failing = False

    @property
    def path(self) -> Path:
        return self._parts.data_dir / HEALTH_FILE

    def latest(self) -> DeviceHealth | None:
        """The last snapshot gathered (None until the first, a moment after start)."""
        with self._lock:
            return self._latest

    def poke(self) -> None:
        """Something may have changed (a printer state, a scanner, an error): look now."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the health monitor was already started")
        logging.getLogger().addHandler(self.errors)
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread (waiting up to `timeout` s for a report in flight)."""
        logging.getLogger().removeHandler(self.errors)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._link is not None and (self._thread is None or not self._thread.is_alive()):
            self._link.close()

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            self._wake.clear()
            wait = self._sample
            try:
                wait = self.check()
                failing = False
            except Exception:  # the thread must survive whatever a part does
                if not failing:  # once: the log line would itself wake the next look
                    log.exception("the health monitor failed; trying again every %.0f s", wait)
                failing = True
                self._wake.clear()
            if self._stop.wait(min(wait, LOOK_GAP_SECONDS)):
                return
            self._wake.wait(wait - min(wait, LOOK_GAP_SECONDS))

    def check(self) -> float:
        """One look: gather, keep, and report when due. Returns the seconds until the next look
        is due. The monitor's thread calls it; tests call it on an injected clock."""
        now = self._monotonic()
        health = gather(
            self._parts,
            started_at=self._started_at,
            uptime_seconds=now - self._started,
            errors=self.errors.notes(),
            clock=self._clock,
        )
        with self._lock:
            self._latest = health
        matters = _what_matters(health, self._parts.server_clock.margin)
        if matters != self._filed:  # the file follows at once (doctor reads it), not the gap
            self._write_file(health.as_json())
            self._filed = matters
        changed = matters != self._reported
        gap_ends = self._last_report + self._gap
        if now >= self._next_report or (changed and now >= gap_ends):
            self._report(health, matters, now)
            return min(self._sample, self._next_report - now)
        if changed:  # coalesced: reported when the gap ends, with what is true then
            return max(0.0, min(self._sample, gap_ends - now))
        return max(0.0, min(self._sample, self._next_report - now))

    def _report(self, health: DeviceHealth, matters: tuple[Any, ...], now: float) -> None:
        body = health.as_json()
        self._write_file(body)
        self._filed = self._reported = matters
        self._last_report = now
        self._next_report = now + self._interval
        client = None if self._link is None else self._link.current()
        if client is None:
            return
        try:
            client.report_health(body)
        except CentralError as error:
            # Quiet: the sync worker already tells the technician when the server is away.
            self._failures += 1
            retry = min(self._interval, max(self._gap, 1.0) * 2 ** min(self._failures, 16))
            self._next_report = now + retry
            log.debug("health report not delivered (%s); again in %.0f s", error, retry)
            return
        self._failures = 0

    def _write_file(self, body: dict[str, Any]) -> None:
        try:
            text = json.dumps(body, ensure_ascii=False, indent=1)
            write_atomically(self.path, text.encode("utf-8"), HEALTH_FILE_MODE)
        except OSError as error:
            if not self._file_failing:
                log.warning("cannot write %s: %s", self.path, error.strerror or error)
            self._file_failing = True
            return
        self._file_failing = False
