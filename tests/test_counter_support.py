"""Set-up shared by the counter tests (no tests here): lobby and counter devices, each with its
own configuration, data folder, SQLite store and clock, enrolled with a real central server
through its HTTP API, and a sync that drains their outbox the way `kiosk sync --once` does.
"""

from __future__ import annotations

import functools
import socket
import threading
import time as timer
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time
from pathlib import Path
from typing import Any

import requests
import uvicorn

from central.app import create_app
from common.office_clock import aware_now, default_rule
from kiosk.central_client import CentralClient
from kiosk.config import Config, hash_pin, load_config
from kiosk.counter import CounterService
from kiosk.enrollment import CentralLink, enroll, load_enrolment
from kiosk.officers import Officers
from kiosk.personal_data import open_personal_data
from kiosk.store import Store
from kiosk.sync import OutboxSender
from kiosk.ticket_signing import load_or_create_device_key
from kiosk.tickets import Ticket, TicketService
from tests.central.server import issue_enroll_code, running_central
from tests.helpers_store import HCM, Clock, write_override

OFFICE = "00637"
PINS = {"officer-an": "1357", "officer-binh": "2468", "officer-chi": "3579", "officer-dung": "4680"}


@functools.cache
def officers_toml() -> str:
    """Test officers with the PINs of PINS (hashing is slow: done once)."""
    return "".join(
        f'[[officers]]\nid = "{officer}"\nname = "Cán bộ {officer[8:].title()}"\n'
        f'title = "Công chức tiếp nhận"\npin_hash = "{hash_pin(pin)}"\n\n'
        for officer, pin in PINS.items()
    )


def office_morning() -> datetime:
    """8:00 of the office day the real clock is in (common.office_clock), whatever the hour: the
    lobby's clock, where the server and the counter run on real time."""
    rule = default_rule()
    return datetime.combine(rule.day_of(aware_now()), time(8, 0), HCM)


@contextmanager
def central_server(
    tmp_path: Path, clock: Callable[[], datetime] = aware_now
) -> Iterator[tuple[str, str]]:
    """A real central server on SQLite, on `clock`: (base URL, database URL)."""
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    with running_central(database_url, clock) as base_url:
        yield base_url, database_url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def central_on_port(database_url: str, port: int) -> Iterator[str]:
    """A real central server on a chosen port, so it can go down and come back at the same
    address (the devices keep the address they enrolled with)."""
    config = uvicorn.Config(
        create_app(database_url), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="central", daemon=True)
    thread.start()
    deadline = timer.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and timer.monotonic() < deadline, "the server did not start"
        timer.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


class Device:
    """One kiosk device of a test: configuration, store, personal data, outbox sender."""

    def __init__(
        self,
        folder: Path,
        *,
        device_id: str,
        role: str,
        kiosk: str = "",
        rating: str | None = None,
    ) -> None:
        etc = write_override(
            folder / "etc",
            kiosk=f'[device]\nid = "{device_id}"\nrole = "{role}"\n\n{kiosk}',
        )
        (etc / "officers.toml").write_text(officers_toml(), encoding="utf-8")
        if rating is not None:
            (etc / "rating.toml").write_text(rating, encoding="utf-8")
        self.etc = etc
        self.config: Config = load_config(etc)
        self.store = Store(self.config.device.data_dir / "kiosk.db")
        self.personal = open_personal_data(
            self.store, self.config.device.data_dir, self.config.office
        )

    def enrol(self, central: tuple[str, str], *, counter: int | None = None) -> None:
        base_url, database_url = central
        code = issue_enroll_code(
            database_url,
            OFFICE,
            self.config.device.role,
            counter=counter,
            device_id=self.config.device.id,
        )
        enroll(self.config, api_url=base_url, code=code, ca_bundle=None)

    def sync(self) -> dict[str, int]:
        """Send the whole outbox now; the server's verdicts counted. Fails if it cannot."""
        link = CentralLink(self.config)
        client = link.current()
        assert client is not None, link.problem
        sender = OutboxSender(self.store, self.personal, 500)
        counts = {"accepted": 0, "duplicates": 0, "quarantined": 0}
        try:
            while (report := sender.send_batch(client)) is not None:
                counts["accepted"] += report.accepted
                counts["duplicates"] += report.duplicates
                counts["quarantined"] += len(report.quarantined)
        finally:
            link.close()
        assert self.store.outbox.summary()["pending"] == 0
        return counts

    def token(self) -> str:
        enrolment = load_enrolment(self.config.device.data_dir)
        assert enrolment is not None
        return enrolment.token

    def close(self) -> None:
        self.store.close()


class Lobby(Device):
    def __init__(self, folder: Path, clock: Clock, *, device_id: str = "lobby-01") -> None:
        super().__init__(folder, device_id=device_id, role="lobby")
        key = load_or_create_device_key(self.config.device.data_dir / "device.key")
        self.tickets = TicketService(self.store, self.config, key, clock)

    def issue(self, field_id: str = "ho-tich", *, priority: bool = False) -> Ticket:
        return self.tickets.issue(field_id, priority=priority, request_id=str(uuid.uuid4()))


class Counter(Device):
    """A counter terminal: its officers' sign-in and its session service, with its own link
    to the central server (or a client given by the test)."""

    def __init__(
        self,
        folder: Path,
        clock: Clock,
        *,
        number: int,
        fields: tuple[str, ...] = (),
        kiosk: str = "",
        rating: str | None = None,
        central: CentralClient | None = None,
    ) -> None:
        field_list = ", ".join(f'"{field}"' for field in fields)
        super().__init__(
            folder,
            device_id=f"counter-{number:02d}",
            role="counter",
            kiosk=f"[counter]\nnumber = {number}\nfields = [{field_list}]\n{kiosk}",
            rating=rating,
        )
        self.clock = clock
        self.officers = Officers(self.store, self.config, clock)
        self.link = CentralLink(self.config)
        self.service = CounterService(
            self.store, self.config, self.officers, central or self.link, clock
        )

    def close(self) -> None:
        self.link.close()
        super().close()


def report(base_url: str, token: str, *, first: str, last: str, by: str, csv: bool = False) -> Any:
    """The server's satisfaction report: JSON, or the CSV text."""
    reply = requests.get(
        f"{base_url}/api/v1/offices/{OFFICE}/reports/satisfaction",
        params={"from": first, "to": last, "by": by, **({"format": "csv"} if csv else {})},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    reply.raise_for_status()
    return reply.text if csv else reply.json()


def events_of(store: Store, type_: str | None = None) -> list[dict[str, Any]]:
    """The events waiting in a store's outbox, of one type if given."""
    return [e for e in store.outbox.pending(limit=100_000) if type_ in (None, e["type"])]
