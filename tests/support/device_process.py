"""A lobby or a counter as a process of its own, driven by the test through its stdin: the same
services, store, sync worker and (counter) office-network sender the apps wire, without the
screens. One JSON command per line in, one JSON answer per line out.

    python -m tests.support.device_process ETC_DIR [--print]

With --print the lobby also prints as the app does: the printer driver on [printer] url and the
print worker, which settles what the last run left by the start-up rule (kiosk.printing) before
anything else; {"do": "printer_state"} answers the printer's state and {"do": "settle"} waits until
the print worker has finished (then stops it).

Commands: {"do": "issue", "field": "ho-tich"} (lobby); {"do": "sign_in", "officer": ID,
"pin": PIN}, {"do": "call_next"}, {"do": "take", "label": "1023"}, {"do": "recall"},
{"do": "skip"}, {"do": "start_serving"}, {"do": "close", "outcome": ID, "same_day_result": BOOL,
"officer_rating": {CRITERION: LEVEL}, "dossier_code": CODE (optional)}, {"do": "desk_pairing"}
(answers "code", "expires_at", "desk_url"), {"do": "scan_card", "payload": CARD QR TEXT} (the
card sealed into the outbox as the app does at the counter; answers "event_id") (counter);
{"do": "sync"} (send the outbox now, answering how many events are left); {"do": "quit"}.
Answers: {"ok": true, ...} or {"error": "<exception class>: <message>"}.
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from devices.printer import EscPosPrinter
from devices.printjob import PrintJob
from kiosk.citizen_id import parse
from kiosk.config import Config, load_config
from kiosk.counter import CounterService
from kiosk.enrolment import CentralLink
from kiosk.hall_key import HallKeyStore
from kiosk.hall_network import HallSender
from kiosk.i18n import Translator
from kiosk.officers import Officers
from kiosk.paths import LOCALE_DIR
from kiosk.printing import PrintService
from kiosk.services import DeviceData, open_device_data
from kiosk.sync import SyncWorker
from kiosk.ticket_layout import build_ticket_job
from kiosk.tickets import Ticket

# Generous for a loaded test machine (an answer takes milliseconds): a printer that is not in
# step never answers at all.
STATUS_TIMEOUT = 2.0


class Lobby:
    def __init__(self, config: Config, data: DeviceData, *, printing: bool = False) -> None:
        self.tickets = data.tickets
        self.printer: EscPosPrinter | None = None
        self.printing: PrintService | None = None
        if printing:
            self._start_printing(config)

    def _start_printing(self, config: Config) -> None:
        """The printer and print worker as apps/lobby.py wires them."""
        cfg = config.printer
        self.printer = EscPosPrinter(
            cfg.url,
            config.printer_profile,
            baudrate=cfg.baudrate,
            write_timeout=cfg.write_timeout,
            status_timeout=STATUS_TIMEOUT,
        )
        translator = Translator(LOCALE_DIR, config.device.language)

        def job(ticket: Ticket, reprinted_at: datetime | None) -> PrintJob:
            field = config.catalogue.get(ticket.field_id)
            language = config.device.language
            return build_ticket_job(
                ticket, field, config.office, translator, language, reprinted_at=reprinted_at
            )

        self.printing = PrintService(
            self.tickets,
            self.printer,
            job,
            lambda _outcome: None,
            resume_within=timedelta(seconds=cfg.print_at_start_within),
        )

    def issue(self, field: str = "ho-tich") -> dict[str, Any]:
        ticket = self.tickets.issue(field, priority=False, request_id=str(uuid.uuid4()))
        if self.printing is not None:
            self.printing.submit(ticket.id)
        return {"label": ticket.label, "day": ticket.day.isoformat(), "id": ticket.id}

    def printer_state(self) -> dict[str, Any]:
        return {"state": self.printer.query_status().value}

    def settle(self) -> dict[str, Any]:
        self.printing.stop(timeout=60)
        return {}

    def stop(self) -> None:
        if self.printing is not None:
            self.printing.stop(timeout=10)
            self.printer.stop()


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
            personal=data.personal,
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

    def start_serving(self) -> dict[str, Any]:
        return self._session(self.service.start_serving())

    def close(
        self,
        outcome: str,
        same_day_result: bool,
        officer_rating: dict[str, int],
        dossier_code: str = "",
    ) -> dict[str, Any]:
        return self._session(
            self.service.close_session(outcome, same_day_result, officer_rating, dossier_code)
        )

    def rate(self, level: int) -> dict[str, Any]:
        """The citizen presses a face (level 1 = best) on the rating screen the close opened."""
        self.service.open_rating()
        self.service.record_citizen_rating(level)
        return {}

    def desk_pairing(self) -> dict[str, Any]:
        pairing = self.service.desk_pairing()
        return {**pairing, "expires_at": pairing["expires_at"].isoformat()}

    def scan_card(self, payload: str) -> dict[str, Any]:
        return {"event_id": self.service.card_scanned(parse(payload.encode()))}

    @staticmethod
    def _session(session) -> dict[str, Any]:
        return {"label": session.label, "session_id": session.id}

    def stop(self) -> None:
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


def main(etc: Path, *, printing: bool) -> None:
    config = load_config(etc)
    data = open_device_data(config)
    sync = SyncWorker.from_config(config, data.store, data.personal)
    device = (
        Counter(config, data, sync.wake)
        if config.device.role == "counter"
        else Lobby(config, data, printing=printing)
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
    device.stop()
    sync.stop(timeout=5)
    data.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), printing="--print" in sys.argv[2:])
