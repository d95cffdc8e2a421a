"""The central server's queue as a device last saw it: for the lobby's "people waiting ahead"
of a new ticket, and the hall display's waiting counts per field.

A worker thread (QueueWatcher) asks for `GET /api/v1/offices/{office}/queue` every
`[lobby] queue_interval` seconds and keeps the latest answer (QueueSnapshot) with the moment it
arrived on an injected monotonic clock. A snapshot older than STALE_INTERVALS intervals is not
used: the ticket then says the lobby's own count (kiosk.tickets).

The server counts only the tickets it has received. Just before each request the watcher
takes the store's SeenMark (kiosk.store.tickets), so that at issue time the tickets of this
lobby the server could not count yet (issued after the request, or whose `ticket.issued` was
still in the outbox) are added to its count. A ticket delivered while the request is on its
way may be counted twice (one too many, never one too few); tickets called, or issued by
another lobby, since the snapshot are seen at the next one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.central_client import CentralError
from kiosk.store import Store, StoreError
from kiosk.store.tickets import SeenMark

if TYPE_CHECKING:
    from kiosk.enrolment import CentralLink

log = logging.getLogger(__name__)

STALE_INTERVALS = 3  # a snapshot older than this many intervals is not used
QUEUE_TIMEOUT = 3.0  # seconds: a slow answer is dropped, the next interval tries again


@dataclass(frozen=True)
class FieldWaiting:
    """One field of the server's queue: the tickets not yet called, the priority ones, and the
    server's estimate of the wait (minutes; None before any session of the day closed)."""

    waiting: int
    priority_waiting: int
    estimated_wait_minutes: float | None = None


@dataclass(frozen=True)
class QueueSnapshot:
    """The server's queue at `generated_at` (its clock), fetched at `fetched_at` (the
    watcher's monotonic clock), and the store's mark taken just before asking for it."""

    generated_at: datetime
    fields: Mapping[str, FieldWaiting]
    mark: SeenMark
    fetched_at: float

    def waiting(self, field_id: str, *, priority: bool) -> int:
        """Tickets of the field the server had waiting; for a priority ticket only the priority
        ones (called first, as the local count has it). A field it does not list has none."""
        field = self.fields.get(field_id)
        if field is None:
            return 0
        return field.priority_waiting if priority else field.waiting


def snapshot_from(body: Mapping[str, Any], mark: SeenMark, fetched_at: float) -> QueueSnapshot:
    """A snapshot of a queue answer (as CentralClient.queue checked it). Raises ValueError when
    its time is not an RFC 3339 moment with an offset."""
    generated_at = datetime.fromisoformat(body["generated_at"])
    if generated_at.tzinfo is None:
        raise ValueError("the queue's generated_at has no UTC offset")
    fields = {
        entry["field_id"]: FieldWaiting(
            entry["waiting"], entry["priority_waiting"], entry.get("estimated_wait_minutes")
        )
        for entry in body["fields"]
    }
    return QueueSnapshot(generated_at, fields, mark, fetched_at)


class QueueWatcher:
    """Keeps the latest snapshot of the office's queue, fetched in a daemon thread.

    `fresh()` may be called from any thread (the Kivy main thread included): it touches neither
    disk nor network. `refresh()` is one fetch, done on the caller's thread (the worker's step).
    """

    def __init__(
        self,
        store: Store,
        link: CentralLink,
        office: str,
        interval: float,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._link = link
        self._office = office
        self.interval = interval
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._latest: QueueSnapshot | None = None
        self._failing = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def fresh(self) -> QueueSnapshot | None:
        """The latest snapshot if it is at most STALE_INTERVALS intervals old, else None."""
        with self._lock:
            latest = self._latest
        if latest is None:
            return None
        age = self._monotonic() - latest.fetched_at
        return latest if 0 <= age <= STALE_INTERVALS * self.interval else None

    def latest(self) -> QueueSnapshot | None:
        """The latest snapshot however old (the hall display says since when it is)."""
        with self._lock:
            return self._latest

    def refresh(self) -> bool:
        """Fetch the queue once; True when a new snapshot is kept. A failure keeps the last
        one (it goes stale by itself) and is logged once until a fetch works again."""
        client = self._link.current()
        if client is None:
            return False
        try:
            mark = self._store.tickets.seen_mark()
            body = client.queue(self._office, timeout=min(client.timeout, QUEUE_TIMEOUT))
            snapshot = snapshot_from(body, mark, self._monotonic())
        except (CentralError, StoreError, ValueError) as error:
            if not self._failing:
                log.info("the server's queue is not available: %s", error)
            self._failing = True
            return False
        if self._failing:
            log.info("the server's queue is available again")
        self._failing = False
        with self._lock:
            self._latest = snapshot
        return True

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the queue watcher was already started")
        self._thread = threading.Thread(target=self._run, name="queue-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop and wait for the thread up to `timeout` s; False if it is still in a request
        (a daemon thread: it will not hold the process)."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.refresh()
                except Exception:  # the thread must survive whatever one fetch does
                    log.exception("the queue watcher failed")
                self._stop.wait(self.interval)
        finally:
            self._link.close()
