"""Set-up shared by the sync tests: a device configuration, valid events, a status recorder,
the real central server in a child process (`python -m central serve`, so it can be killed and
restarted on its port), a fault-injecting proxy in front of it, and a look into its database.

The child process that runs the sync worker of the kill -9 test is here too:
`python -m tests.sync_helpers sync CONFIG_DIR` (it logs each batch sent and settled).
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import socket
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from kiosk import events
from kiosk.config import Config, load_config
from kiosk.enrollment import CentralLink, Enrolment, enroll
from kiosk.personal_data import PersonalData, open_personal_data
from kiosk.store import Store
from kiosk.sync import SyncStatus, SyncWorker
from kiosk.tickets import TicketService
from tests.central.server import issue_enroll_code
from tests.helpers_store import REPO_ROOT, Clock, write_override

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


def simulate_day(store: Store, config: Config, tickets: int) -> list[str]:
    """A busy office day, yesterday: `tickets` tickets issued and printed from opening time on,
    one transaction each, as the lobby writes them. Returns the ids of the events written."""
    zone = config.office.timezone
    day = datetime.now(zone).date() - timedelta(days=1)
    clock = Clock(datetime.combine(day, config.office.opens_at, zone))
    service = TicketService(store, config, bytes(32), clock)
    fields = [field.id for field in config.catalogue.fields]
    step = (
        datetime.combine(day, config.office.closes_at)
        - datetime.combine(day, config.office.opens_at)
    ) / tickets
    for number in range(tickets):
        ticket = service.issue(fields[number % len(fields)], priority=False, request_id=str(number))
        service.mark_printed(ticket.id)
        clock.now += step
    return [event["id"] for event in store.outbox.pending(limit=2 * tickets + 1)]


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


class Device:
    """The device's store, personal data and sync worker, as the app assembles them."""

    def __init__(self, config: Config, *, batch_size: int = 500, max_backoff: float = 0.5):
        self.store = Store(config.device.data_dir / "kiosk.db")
        self.personal: PersonalData = open_personal_data(
            self.store, config.device.data_dir, config.office
        )
        self.status = StatusRecorder()
        self.worker = SyncWorker(
            self.store,
            CentralLink(config),
            personal=self.personal,
            batch_size=batch_size,
            max_backoff=max_backoff,
            on_status=self.status,
        )

    def __enter__(self) -> Device:
        self.worker.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self.worker.stop(timeout=30)
        self.store.close()

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


def once_each(ids: list[str]) -> Counter[str]:
    return Counter(dict.fromkeys(ids, 1))


def enrol(config: Config, central: CentralProcess, *, ca_bundle: Path | None = None) -> Enrolment:
    """Enrol the configured device with the central server, as `kiosk enroll` does."""
    code = issue_enroll_code(central.database_url, OFFICE, "lobby", device_id=DEVICE)
    return enroll(config, api_url=central.url, code=code, ca_bundle=ca_bundle)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CentralProcess:
    """The real central server, `python -m central serve`, as a child process on a fixed port:
    it can be killed with SIGKILL and started again where the device expects it."""

    def __init__(
        self, folder: Path, *, tls: tuple[Path, Path] | None = None, ca: Path | None = None
    ) -> None:
        self.database = folder / "central.db"
        self.database_url = f"sqlite:///{self.database}"
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self._tls = tls
        self._ca = ca
        self._log = folder / "central.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> CentralProcess:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    def start(self) -> None:
        command = [sys.executable, "-m", "central", "serve", "--db", self.database_url]
        command += ["--port", str(self.port)]
        if self._tls:
            command += ["--tls-cert", str(self._tls[0]), "--tls-key", str(self._tls[1])]
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        verify = str(self._ca) if self._ca else True
        while True:
            try:
                if requests.get(f"{self.url}/api/v1/health", timeout=1, verify=verify).ok:
                    return
            except requests.RequestException:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the central server did not start: {self._log.read_text()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, requests in flight are cut."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._process = None

    def run_cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`kiosk-central COMMAND --db THIS ...`."""
        command = [sys.executable, "-m", "central", args[0], "--db", self.database_url, *args[1:]]
        return subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False
        )


# One request's fault, by name: answered without reaching the server, or after the server has
# stored the batch (the device must send it again and be told "duplicate").
BEFORE_SERVER = ("500", "429", "503-date", "reset")
AFTER_SERVER = ("hang", "garbage", "wrong-results", "cut")


class FaultProxy:
    """A real HTTP proxy on 127.0.0.1 in front of the real central server. Each POST to
    /api/v1/events takes the next queued fault (none: passed through faithfully)."""

    def __init__(self, upstream: str, *, hang_seconds: float) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self._upstream = (parts.hostname, parts.port)
        self._hang_seconds = hang_seconds
        self._faults: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.requests: list[tuple[float, str | None]] = []  # (monotonic time, fault)
        self.verdicts: Counter[str] = Counter()  # per-event statuses relayed to the device
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def inject(self, *faults: str) -> None:
        with self._lock:
            self._faults += faults

    def faults_left(self) -> int:
        with self._lock:
            return len(self._faults)

    def _next_fault(self) -> str | None:
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            self.requests.append((time.monotonic(), fault))
            return fault

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None):
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._relay(*proxy._forward("GET", self.path, self._headers(), None))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fault = proxy._next_fault() if self.path == "/api/v1/events" else None
                if fault == "reset":
                    linger_zero = struct.pack("ii", 1, 0)  # close() sends a TCP reset
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_zero)
                    self.close_connection = True
                    return
                if fault == "500":
                    return self._answer(500, {"detail": "injected failure"})
                if fault == "429":
                    return self._answer(429, {"detail": "slow down"}, {"Retry-After": "1"})
                if fault == "503-date":
                    later = datetime.now(UTC) + timedelta(seconds=2)
                    date = email.utils.format_datetime(later, usegmt=True)
                    return self._answer(503, {"detail": "busy"}, {"Retry-After": date})
                status, content_type, payload = proxy._forward(
                    "POST", self.path, self._headers(), body
                )
                if fault == "hang":
                    proxy._closing.wait(proxy._hang_seconds)
                    self.close_connection = True
                elif fault == "garbage":
                    self._relay(200, "application/json", b"<html>502 Bad Gateway</html>")
                elif fault == "wrong-results":
                    self._answer(200, {"results": [{"id": "x", "status": "accepted"}]})
                elif fault == "cut":
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                else:
                    if self.path == "/api/v1/events" and status == 200:
                        results = json.loads(payload)["results"]
                        proxy.verdicts.update(result["status"] for result in results)
                    self._relay(status, content_type, payload)

            def _headers(self) -> dict[str, str]:
                names = ("Authorization", "Content-Type")
                return {name: self.headers[name] for name in names if name in self.headers}

            def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                self._relay(status, "application/json", payload, headers or {})

            def _relay(
                self, status: int, content_type: str, payload: bytes, headers: dict | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def run_sync_worker(config_dir: Path) -> None:
    """The device's sync worker on its real outbox, until killed; logs each batch to stdout."""
    from kiosk.personal_data import open_personal_data
    from kiosk.services import open_device_data
    from kiosk.sync import SyncWorker

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
    mode, folder = sys.argv[1:]
    assert mode == "sync", mode
    run_sync_worker(Path(folder))
