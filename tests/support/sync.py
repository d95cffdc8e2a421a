"""The device's sync worker in the tests: a status listener to wait on, a device with its worker
running, and the child process of the kill -9 test, `python -m tests.support.sync CONFIG_DIR`
(it logs each batch sent and settled).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from kiosk.config import Config, load_config
from kiosk.enrolment import CentralLink
from kiosk.personal_data import open_personal_data
from kiosk.services import open_device_data
from kiosk.sync import SyncStatus, SyncWorker
from tests.support.device import Device


class StatusRecorder:
    """An on_status listener that remembers every status and lets a test wait for one."""

    def __init__(self) -> None:
        self.seen: list[SyncStatus] = []
        self._changed = threading.Condition()

    def __call__(self, status: SyncStatus) -> None:
        with self._changed:
            self.seen.append(status)
            self._changed.notify_all()

    def wait_for(self, check: Callable[[SyncStatus], bool], timeout: float = 60) -> SyncStatus:
        with self._changed:
            if not self._changed.wait_for(lambda: self.seen and check(self.seen[-1]), timeout):
                last = self.seen[-1] if self.seen else None
                raise AssertionError(f"status not reached within {timeout} s; last: {last}")
            return self.seen[-1]


class SyncingDevice(Device):
    """A Device with its sync worker, started for the `with` block, as the app runs it."""

    def __init__(self, config: Config, *, batch_size: int = 500, max_backoff: float = 0.5):
        super().__init__(config)
        self.status = StatusRecorder()
        self.worker = SyncWorker(
            self.store,
            CentralLink(config),
            personal=self.personal,
            batch_size=batch_size,
            max_backoff=max_backoff,
            on_status=self.status,
        )

    def __enter__(self) -> SyncingDevice:
        self.worker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self.worker.stop(timeout=30)
        self.close()

    def write(self, events: list[dict]) -> list[str]:
        self.store.outbox.add(events)
        self.worker.wake()
        return [event["id"] for event in events]

    def drained(self, timeout: float = 120) -> None:
        """Wait until the worker reports the outbox empty, and it is."""

        def empty(status: SyncStatus) -> bool:
            reported = status.state == "online" and status.pending == 0
            return reported and self.store.outbox.summary()["pending"] == 0

        self.status.wait_for(empty, timeout)


def run_sync_worker(config_dir: Path) -> None:
    """The device's sync worker on its real outbox, until killed; logs each batch to stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("kiosk.sync").addHandler(handler)
    logging.getLogger("kiosk.sync").setLevel(logging.DEBUG)
    config = load_config(config_dir)
    data = open_device_data(config)
    personal = open_personal_data(data.store, config.device.data_dir, config.office)
    SyncWorker.from_config(config, data.store, personal).start()
    threading.Event().wait()


if __name__ == "__main__":
    (folder,) = sys.argv[1:]
    run_sync_worker(Path(folder))
