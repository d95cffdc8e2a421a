"""The lobby and counter devices of the counter tests, each with its own configuration, data
folder, SQLite store and clock; the test officers who sign in at the counters; the server's
satisfaction report they make; and an office of a counter app's tests (CounterOffice), whose
server can be stopped and started again."""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from kiosk.central_client import CentralClient
from kiosk.config import Config, hash_pin
from kiosk.counter import CounterService
from kiosk.enrolment import CentralLink
from kiosk.hall_calls import HallCall
from kiosk.officers import Officers
from kiosk.ticket_signing import load_or_create_device_key
from kiosk.tickets import Ticket, TicketService
from tests.support.api import Api
from tests.support.central import CentralServer, running_central
from tests.support.clocks import Clock, office_morning
from tests.support.device import OFFICE, Device, device_config, enrol
from tests.support.ports import free_port

PINS = {"officer-an": "1357", "officer-binh": "2468", "officer-chi": "3579", "officer-dung": "4680"}


@functools.cache
def officers_toml() -> str:
    """Test officers with the PINs of PINS (hashing is slow: done once)."""
    return "".join(
        f'[[officers]]\nid = "{officer}"\nname = "Cán bộ {officer[8:].title()}"\n'
        f'title = "Công chức tiếp nhận"\npin_hash = "{hash_pin(pin)}"\n\n'
        for officer, pin in PINS.items()
    )


def office_device_config(
    folder: Path, *, device_id: str, role: str, kiosk: str = "", rating: str | None = None
) -> Config:
    """The configuration of the office's device `device_id` in `folder`, with the test
    officers."""
    return device_config(
        folder,
        kiosk=f'[device]\nid = "{device_id}"\nrole = "{role}"\n\n{kiosk}',
        officers=officers_toml(),
        rating=rating,
    )


class Lobby(Device):
    def __init__(self, folder: Path, clock: Clock, *, device_id: str = "lobby-01") -> None:
        super().__init__(office_device_config(folder, device_id=device_id, role="lobby"))
        self.etc = folder / "etc"
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
        on_call: Callable[[HallCall], None] | None = None,
    ) -> None:
        field_list = ", ".join(f'"{field}"' for field in fields)
        super().__init__(
            office_device_config(
                folder,
                device_id=f"counter-{number:02d}",
                role="counter",
                kiosk=f"[counter]\nnumber = {number}\nfields = [{field_list}]\n{kiosk}",
                rating=rating,
            )
        )
        self.etc = folder / "etc"
        self.clock = clock
        self.officers = Officers(self.store, self.config, clock)
        self.link = CentralLink(self.config)
        self.service = CounterService(
            self.store, self.config, self.officers, central or self.link, clock, on_call=on_call
        )

    def close(self) -> None:
        self.link.close()
        super().close()


def report(base_url: str, token: str, *, first: str, last: str, by: str, csv: bool = False) -> Any:
    """The server's satisfaction report of the office: JSON, or the CSV text."""
    params = {"from": first, "to": last, "by": by, **({"format": "csv"} if csv else {})}
    with Api(base_url, token, office=OFFICE) as api:
        reply = api.report(**params)
    reply.raise_for_status()
    return reply.text if csv else reply.json()


class CounterOffice:
    """A central server that can be stopped and started again at the same address (in a
    thread), a lobby that issues Hộ tịch tickets, and the configuration of counter 1, enrolled.
    `extra` is more of counter 1's [counter] section."""

    def __init__(self, folder: Path, extra: str = "") -> None:
        self.folder = folder
        self.port = free_port()
        self.database_url = f"sqlite:///{folder / 'central.db'}"
        self._server: contextlib.ExitStack | None = None
        self.clock = Clock(office_morning())
        self.start()
        self.lobby = Lobby(folder / "lobby", self.clock)
        self.lobby.enrol(self.central)
        self.config = office_device_config(
            folder / "counter",
            device_id="counter-01",
            role="counter",
            kiosk=f"[counter]\nnumber = 1\n{extra}",
        )
        enrol(self.config, self.central, counter=1)

    @property
    def central(self) -> CentralServer:
        return CentralServer(f"http://127.0.0.1:{self.port}", self.database_url)

    def start(self) -> None:
        self._server = contextlib.ExitStack()
        self._server.enter_context(
            running_central(self.database_url, key_dir=self.folder / "keys", port=self.port)
        )

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def issue(self, *, priority: bool = False) -> Ticket:
        """A Hộ tịch ticket issued 30 s after the last, and sent to the server."""
        self.clock.now += timedelta(seconds=30)
        ticket = self.lobby.issue("ho-tich", priority=priority)
        self.lobby.sync()
        return ticket

    def close(self) -> None:
        self.stop()
        self.lobby.close()


@contextlib.contextmanager
def counter_office(folder: Path, extra: str = "") -> Iterator[CounterOffice]:
    office = CounterOffice(folder, extra)
    try:
        yield office
    finally:
        office.close()
