"""The facts the technician screen shows on every role, and that an export of the logs carries:
what runs, where, for how long, its link to the server, what waits in the outbox, its storage
and its latest errors. Gathered on a worker thread (it reads the store and the disk).
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from common.version import __version__
from kiosk.config import Config
from kiosk.recent_errors import RecentErrors
from kiosk.server_clock import ServerClock
from kiosk.store import Store
from kiosk.sync import SyncStatus


@dataclass(frozen=True)
class DeviceFacts:
    version: str
    device_id: str
    role: str
    office_code: str
    office_name: str
    uptime_seconds: int
    link_state: str  # SyncStatus.state
    offline_since: datetime | None
    last_link_error: str
    clock_offset_seconds: float | None  # server minus device, when measured lately
    pending: int
    quarantined: int
    oldest_pending: str | None  # occurred_at (RFC 3339) of the first event waiting
    storage_free_bytes: int
    storage_total_bytes: int
    storage_writable: bool
    recent_errors: tuple[tuple[datetime, str, int], ...]  # latest time, message, times in a row

    def as_dict(self) -> dict[str, Any]:
        """For a JSON summary: times as RFC 3339 text."""
        facts = asdict(self)
        facts["offline_since"] = self.offline_since and self.offline_since.isoformat()
        facts["recent_errors"] = [
            {"at": at.isoformat(), "message": message, "times": times}
            for at, message, times in self.recent_errors
        ]
        return facts


def gather_facts(
    config: Config,
    store: Store,
    sync: SyncStatus,
    server_clock: ServerClock,
    errors: RecentErrors,
    started: float,
) -> DeviceFacts:
    """The facts now; `started` is the app's start in time.monotonic() seconds. Raises
    kiosk.store.StoreError when the records cannot be read."""
    outbox = store.outbox.summary()
    data_dir = config.device.data_dir
    usage = shutil.disk_usage(data_dir)
    return DeviceFacts(
        version=__version__,
        device_id=config.device.id,
        role=config.device.role,
        office_code=config.office.code,
        office_name=config.office.name,
        uptime_seconds=int(time.monotonic() - started),
        link_state=sync.state,
        offline_since=sync.offline_since,
        last_link_error=sync.last_error,
        clock_offset_seconds=server_clock.offset(),
        pending=outbox["pending"],
        quarantined=outbox["quarantined"],
        oldest_pending=outbox["oldest_pending"],
        storage_free_bytes=usage.free,
        storage_total_bytes=usage.total,
        storage_writable=os.access(data_dir, os.W_OK),
        recent_errors=tuple(errors.latest()),
    )
