"""Set-up shared by the sync tests: a device configuration, valid events, a status recorder,
and a look into the central server's database.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kiosk import events
from kiosk.config import Config, load_config
from kiosk.sync import SyncStatus
from tests.helpers_store import write_override

OFFICE = "00637"
DEVICE = "lobby-01"


def device_config(tmp_path: Path, central: str = "") -> Config:
    """The shipped configuration with data in tmp_path/data and `central` as [central] keys."""
    text = f"[central]\n{central}\n" if central else ""
    return load_config(write_override(tmp_path / "etc", kiosk=text))


def ticket_events(count: int, *, office: str = OFFICE, device_id: str = DEVICE) -> list[dict]:
    """`ticket.issued` events the central server accepts, numbered 1..count."""
    now = datetime.now(UTC)
    day = now.date().isoformat()
    return [
        events.new_event(
            events.TICKET_ISSUED,
            {
                "ticket_id": str(uuid.uuid4()),
                "day": day,
                "field_id": "ho-tich",
                "number": number,
                "label": str(1000 + number),
                "priority": False,
                "waiting_ahead": 0,
                "issued_at": events.rfc3339(now),
            },
            office=office,
            device_id=device_id,
            occurred_at=now,
        )
        for number in range(1, count + 1)
    ]


def identified_event(name: str, id_number: str, *, device_id: str = DEVICE) -> dict:
    now = datetime.now(UTC)
    return events.new_event(
        events.CITIZEN_IDENTIFIED,
        {
            "day": now.date().isoformat(),
            "label": "1001",
            "ticket_id": str(uuid.uuid4()),
            "identity": {"id_number": id_number, "name": name, "birth_date": "1990-02-03"},
        },
        office=OFFICE,
        device_id=device_id,
        occurred_at=now,
    )


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


def central_event_ids(central_db: Path) -> Counter[str]:
    """How many times each event id is stored on the central server."""
    db = sqlite3.connect(central_db)
    try:
        return Counter(event_id for (event_id,) in db.execute("SELECT id FROM events"))
    finally:
        db.close()
