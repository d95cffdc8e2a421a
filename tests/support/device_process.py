"""A lobby or a counter as a process of its own, driven by the test through its stdin: the same
services, store, sync worker and (counter) office-network sender the apps wire, without the
screens. One JSON command per line in, one JSON answer per line out.

    python -m tests.support.device_process ETC_DIR

Commands: {"do": "issue", "field": "ho-tich"} (lobby); {"do": "sign_in", "officer": ID,
"pin": PIN}, {"do": "call_next"}, {"do": "take", "label": "1023"}, {"do": "recall"},
{"do": "skip"} (counter); {"do": "sync"} (send the outbox now, answering how many events are
left); {"do": "quit"}.
Answers: {"ok": true, ...} or {"error": "<exception class>: <message>"}.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from kiosk.config import Config, load_config
from kiosk.counter import CounterService
from kiosk.enrolment import CentralLink
from kiosk.hall_key import HallKeyStore
from kiosk.hall_network import HallSender
from kiosk.officers import Officers
from kiosk.services import DeviceData, open_device_data
from kiosk.sync import SyncWorker


class Lobby:
    def __init__(self, config: Config, data: DeviceData) -> None:
        self.tickets = data.tickets

    def issue(self, field: str = "ho-tich") -> dict[str, Any]:
        ticket = self.tickets.issue(field, priority=False, request_id=str(uuid.uuid4()))
        return {"label": ticket.label, "day": ticket.day.isoformat()}

    def close(self) -> None:
        pass


class Counter:
    def __init__(self, config: Config, data: DeviceData, wake) -> None:
        clock = data.server_clock.now
        self.officers = Officers(data.store, config, clock)
        self.keys = HallKeyStore(
            config.device.data_dir, config.office.code, CentralLink(config), clock
        )
        self.sender = HallSender(config, self.keys, clock=clock)
        self.service = CounterService(
            data.store,
            config,
            self.officers,
            CentralLink(config),
            clock,
            on_events=wake,
            on_call=self.sender.send,
        )
        self.keys.start()
        self.sender.start()

    def sign_in(self, officer: str, pin: str) -> dict[str, Any]:
        self.officers.sign_in(officer, pin)
        return {}

    def call_next(self) -> dict[str, Any]:
        session = self.service.call_next()
        return {"none": True} if session is None else self._session(session)

    def take(self, label: str) -> dict[str, Any]:
        return self._session(self.service.take_ticket(label=label))

    def recall(self) -> dict[str, Any]:
        return self._session(self.service.recall())

    def skip(self) -> dict[str, Any]:
        return self._session(self.service.skip())

    @staticmethod
    def _session(session) -> dict[str, Any]:
        return {"label": session.label, "session_id": session.id}

    def close(self) -> None:
        self.sender.stop()
        self.keys.stop()


def drain(sync: SyncWorker, data: DeviceData, within: float = 10.0) -> int:
    """Wake the sync worker and wait until the outbox is empty (or `within` s): the events
    left, 0 when all were sent."""
    deadline = time.monotonic() + within
    sync.wake()
    while (pending := data.store.outbox.summary()["pending"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return pending


def main(etc: Path) -> None:
    config = load_config(etc)
    data = open_device_data(config)
    sync = SyncWorker.from_config(config, data.store, data.personal)
    device = (
        Counter(config, data, sync.wake) if config.device.role == "counter" else Lobby(config, data)
    )
    sync.start()
    print(json.dumps({"ok": True, "ready": config.device.id}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        action = command.pop("do")
        if action == "quit":
            break
        try:
            if action == "sync":
                answer: dict[str, Any] = {"pending": drain(sync, data)}
            else:
                answer = getattr(device, action)(**command)
            print(json.dumps({"ok": True, **answer}), flush=True)
        except Exception as error:  # the test reads what went wrong
            print(json.dumps({"error": f"{type(error).__name__}: {error}"}), flush=True)
    device.close()
    sync.stop(timeout=5)
    data.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
