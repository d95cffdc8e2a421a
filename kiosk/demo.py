"""The demo's companions, wired outside the apps: the virtual printer and scanner (pseudo-terminal
twins), the reference central server as a child process enrolled for real, and counter 1 as a
second process. The lobby app receives a configuration naming their ports and URL, exactly as
on a real device; the demo's keys are bound beside it (apps/demo_keys.py).

The kiosk never imports `central/`: the demo runs `python -m central` like any other server and
enrols through the same API and code a technician uses (`kiosk enroll`).
"""

from __future__ import annotations

import ctypes
import dataclasses
import itertools
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import requests

from common.office_clock import aware_now
from devices.virtual_printer import VirtualPrinter
from devices.virtual_scanner import VirtualScanner
from kiosk.citizen_id_samples import load_samples
from kiosk.config import Config, load_config
from kiosk.demo_layout import DemoLayout, Placement
from kiosk.enrolment import enroll
from kiosk.roles import window_title
from kiosk.services import open_device_data
from kiosk.ticket_keys import TicketKeys

log = logging.getLogger("kiosk.demo")

START_TIMEOUT = 20.0
DEMO_CITY = "Hà Nội"  # the demo office's city (phường Đại Mỗ), for the city view
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class DemoError(Exception):
    """The demo's central server could not be started; the message says why."""


class DemoCentral:
    """`python -m central serve` on 127.0.0.1 with a SQLite file in the demo's data folder.

    It keeps its port across restarts, so F9 in the demo can take "the network" down and up.
    """

    def __init__(self, data_dir: Path, office_timezone: str, day_starts_at: str) -> None:
        self._db_url = f"sqlite:///{data_dir / 'central.db'}"
        self._upgrade_kept_database = (data_dir / "central.db").exists()
        self._timezone = office_timezone
        self._day_starts_at = day_starts_at
        self.log = data_dir / "logs" / "central.log"
        self._port = _free_port()
        self.url = f"http://127.0.0.1:{self._port}"
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.leader_pages: list[str] = []

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("ab") as log_file:
                if self._upgrade_kept_database:
                    # A demo folder kept from an earlier version has its database upgraded.
                    self._upgrade_kept_database = False
                    subprocess.run(
                        [sys.executable, "-m", "central", "migrate", "--db", self._db_url],
                        stdout=log_file,
                        stderr=subprocess.STDOUT,
                        check=False,
                    )
                self._process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "central",
                        "serve",
                        "--db",
                        self._db_url,
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(self._port),
                        "--timezone",
                        self._timezone,
                        "--day-starts-at",
                        self._day_starts_at,
                    ],
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                )
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise DemoError(f"the central server stopped at start; see {self.log}")
                try:
                    requests.get(f"{self.url}/api/v1/health", timeout=1).raise_for_status()
                    log.info("demo central server on %s", self.url)
                    return
                except requests.RequestException:
                    time.sleep(0.2)
            self._process.kill()
            raise DemoError(f"the central server did not answer within {START_TIMEOUT:.0f} s")

    def stop(self) -> None:
        with self._lock:
            if self._process is not None:
                self._process.terminate()
                try:
                    self._process.wait(10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                self._process = None
                log.info("demo central server stopped")

    def toggle(self) -> None:
        """Down if up, up if down (called from a thread: starting waits for the server)."""
        try:
            self.stop() if self.running else self.start()
        except DemoError as error:
            log.error("demo: %s", error)

    def enrol(self, config: Config) -> None:
        """Make a one-time code with the server's own tool, then enrol like a technician."""
        counter = (
            ["--counter", str(config.counter.number)] if config.device.role == "counter" else []
        )
        code = self._central_tool(
            "enroll-code",
            "--office",
            config.office.code,
            "--role",
            config.device.role,
            "--device-id",
            config.device.id,
            *counter,
        )
        enroll(config, api_url=self.url, code=code, ca_bundle=None)

    def open_leader_pages(self, config: Config) -> None:
        """Name the office and its city on the server, make a viewer token of each scope with
        the server's own tool, and keep the addresses of this month's pages (`leader_pages`):
        what a ward leader and a city's department open in a browser."""
        code = config.office.code
        self._central_tool(
            "office", "--office", code, "--name", config.office.name, "--city", DEMO_CITY
        )
        office_token = self._central_tool("viewer-token", "--office", code)
        city_token = self._central_tool("viewer-token", "--city", DEMO_CITY)
        today = config.office.day_rule.day_of(aware_now())
        period = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
        api = f"{self.url}/api/v1"
        city = quote(DEMO_CITY, safe="")
        self.leader_pages = [
            f"Ward leader's report of this month: {api}/offices/{code}/reports/page?"
            + urlencode({**period, "token": office_token}),
            f"Its monthly PDF: {api}/offices/{code}/reports/monthly.pdf?"
            + urlencode({"month": f"{today:%Y-%m}", "token": office_token}),
            f"City view ({DEMO_CITY}): {api}/cities/{city}/reports/overview/page?"
            + urlencode({**period, "token": city_token}),
        ]

    def _central_tool(self, *args: str) -> str:
        """`kiosk-central ARGS --db <the demo's>`; its first line of output."""
        done = subprocess.run(
            [sys.executable, "-m", "central", *args, "--db", self._db_url],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise DemoError(f"kiosk-central {args[0]}: {done.stderr.strip()}")
        return done.stdout.splitlines()[0].strip() if done.stdout else ""


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM when the demo dies, even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lobby_log(lobby: Config) -> Path:
    """The lobby's log file (kiosk.logging_setup writes it; the console shows it too)."""
    return lobby.device.data_dir / "logs" / "kiosk.log"


def device_log(lobby: Config, role: str) -> Path:
    """Counter 1's or the hall display's console output, its log lines included, in the
    lobby's logs folder."""
    return lobby.device.data_dir / "logs" / f"{role}.log"


def announcements_dir(lobby: Config) -> Path:
    """Where the demo's virtual speaker writes what the hall display announces (WAV files)."""
    return lobby.device.data_dir / "announcements"


def _panel(place: Placement) -> str:
    return (
        f"[panel]\nwidth = {place.width}\nheight = {place.height}\nfullscreen = false\n"
        f"left = {place.left}\ntop = {place.top}\n\n"
    )


def _start_device(
    lobby: Config, central: DemoCentral, folder: Path, kiosk_toml: str
) -> tuple[subprocess.Popen, Config]:
    """A device of the demo in its own process and data folder (like a second device),
    enrolled with the demo's server. Returns the process (the demo ends it) and its
    configuration."""
    etc = folder / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    (etc / "kiosk.toml").write_text(kiosk_toml, encoding="utf-8")
    config = load_config(etc)
    central.enrol(config)
    log_file = device_log(lobby, config.device.role).open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(etc)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    return process, config


def start_demo_counter(
    lobby: Config, central: DemoCentral, folder: Path, place: Placement, hall_port: int
) -> tuple[subprocess.Popen, Config]:
    """Counter 1, trusting the lobby's ticket key for typed or scanned tickets and telling the
    hall display its calls over the office network (here: this machine)."""
    data = folder / "data"
    TicketKeys(data).import_key(lobby.device.data_dir / "device.key", lobby.device.id)
    return _start_device(
        lobby,
        central,
        folder,
        f'[device]\nid = "counter-01"\nrole = "counter"\ndata_dir = "{data}"\n\n'
        + _panel(place)
        + "[counter]\nnumber = 1\n\n"
        + f'[office_network]\nport = {hall_port}\nsend_to = ["127.0.0.1"]\n',
    )


def start_demo_display(
    lobby: Config, central: DemoCentral, folder: Path, place: Placement, hall_port: int
) -> tuple[subprocess.Popen, Config]:
    """The hall display, speaking through the virtual speaker (WAV files) and listening for the
    counters' calls on this machine."""
    return _start_device(
        lobby,
        central,
        folder,
        f'[device]\nid = "display-01"\nrole = "display"\ndata_dir = "{folder / "data"}"\n\n'
        + _panel(place)
        + f'[speech]\noutput = "virtual"\nvirtual_dir = "{announcements_dir(lobby)}"\n\n'
        + f'[office_network]\nport = {hall_port}\nlisten = "127.0.0.1"\n',
    )


def guide(
    lobby: Config, central: DemoCentral, counter: Config | None, display: Config | None
) -> str:
    """What the demo's console says about its windows, their logs and how to stop."""
    lines = [
        f'Lobby kiosk: the window "{window_title(lobby)}" at the left edge'
        f" ({lobby.panel.left or 0}, {lobby.panel.top or 0}); its log: {lobby_log(lobby)}"
        " (and this console)",
    ]
    if counter is not None:
        lines.append(
            f'Counter {counter.counter.number}: the window "{window_title(counter)}" to the'
            f" right of the lobby ({counter.panel.left}, {counter.panel.top}); its log:"
            f" {device_log(lobby, 'counter')}"
        )
    if display is not None:
        lines.append(
            f'Hall display: the window "{window_title(display)}" under the counter'
            f" ({display.panel.left}, {display.panel.top}, {display.panel.width}x"
            f"{display.panel.height}, a TV's board scaled down); its log:"
            f" {device_log(lobby, 'display')}; what it announces is written as WAV files to"
            f" {announcements_dir(lobby)} (journal.jsonl lists them)"
        )
    others = ", ".join(
        name
        for name, there in (("counter 1", counter), ("the hall display", display))
        if there is not None
    )
    stops = f"{others} and the central server stop" if others else "the central server stops"
    lines += [
        *central.leader_pages,
        f"Central server's log: {central.log}",
        f"To stop the demo: close the lobby window or press Ctrl+C here ({stops} with it).",
    ]
    return "\n".join(lines)


class DemoTwins:
    """Everything the demo runs beside the lobby app. `start` returns them with the lobby's
    configuration pointing at them; `stop` ends them all."""

    def __init__(
        self,
        central: DemoCentral,
        printer: VirtualPrinter,
        scanner: VirtualScanner,
        devices: list[subprocess.Popen],
        cards: list[bytes],
        counter_config: Config | None = None,
        display_config: Config | None = None,
    ) -> None:
        self.central = central
        self.printer = printer
        self.scanner = scanner
        self.devices = devices
        self.counter_config = counter_config
        self.display_config = display_config
        self._cards = itertools.cycle(cards)
        self._cards_lock = threading.Lock()

    @classmethod
    def start(
        cls,
        config: Config,
        *,
        baud: int,
        layout: DemoLayout,
        with_counter: bool,
        with_display: bool,
    ) -> tuple[DemoTwins, Config]:
        """Start the twins for `config` (a lobby whose data folder exists), counter 1 and the
        hall display where `layout` places them; raises DemoError or
        kiosk.enrolment.EnrolmentError, having stopped what had started."""
        cards = [sample.payload for sample in load_samples()]
        data_dir = config.device.data_dir
        central = DemoCentral(
            data_dir, config.office.timezone.key, f"{config.office.day_starts_at:%H:%M}"
        )
        try:
            central.start()
            central.enrol(config)
            central.open_leader_pages(config)
        except Exception:
            central.stop()
            raise
        printer = VirtualPrinter(
            data_dir / "printed", width_dots=config.printer_profile.width_dots, baud=baud
        )
        printer.start()
        scanner = VirtualScanner()
        config = dataclasses.replace(
            config,
            printer=dataclasses.replace(config.printer, url=printer.device_path),
            scanner=dataclasses.replace(config.scanner, mode="serial", url=scanner.device_path),
        )
        devices: list[subprocess.Popen] = []
        counter_config = display_config = None
        twins = cls(central, printer, scanner, devices, cards)
        hall_port = _free_port(socket.SOCK_DGRAM)
        try:
            if with_display:
                display, display_config = start_demo_display(
                    config, central, data_dir / "display", layout.display, hall_port
                )
                devices.append(display)
            if with_counter:
                # The lobby's device key must exist before the counter imports it.
                open_device_data(config).close()
                counter, counter_config = start_demo_counter(
                    config, central, data_dir / "counter", layout.counter, hall_port
                )
                devices.append(counter)
        except Exception:
            twins.stop()
            raise
        twins.counter_config, twins.display_config = counter_config, display_config
        return twins, config

    def flip_printer(self, switch: str) -> bool:
        """Turn one of the virtual printer's faults on or off; returns the new value."""
        value = not getattr(self.printer, switch)
        setattr(self.printer, switch, value)
        return value

    def scan_next_card(self) -> None:
        """The virtual scanner reads the next of the demo's ID cards (round and round)."""
        with self._cards_lock:
            payload = next(self._cards)
        self.scanner.scan(payload)

    def stop(self) -> None:
        self.scanner.close()
        for device in self.devices:
            device.terminate()
        for device in self.devices:
            try:
                device.wait(10)
            except subprocess.TimeoutExpired:
                device.kill()
        self.printer.stop()
        self.central.stop()
