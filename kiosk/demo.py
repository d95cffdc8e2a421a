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

import requests

from devices.virtual_printer import VirtualPrinter
from devices.virtual_scanner import VirtualScanner
from kiosk.citizen_id_samples import load_samples
from kiosk.config import Config, load_config
from kiosk.enrolment import enroll
from kiosk.roles import window_title
from kiosk.services import open_device_data
from kiosk.ticket_keys import TicketKeys

log = logging.getLogger("kiosk.demo")

START_TIMEOUT = 20.0
COUNTER_SIZE = (800, 480)
WINDOW_GAP = 16
"""Pixels between the lobby's window (at the left edge) and counter 1's, to its right."""
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class DemoError(Exception):
    """The demo's central server could not be started; the message says why."""


class DemoCentral:
    """`python -m central serve` on 127.0.0.1 with a SQLite file in the demo's data folder.

    It keeps its port across restarts, so F9 in the demo can take "the network" down and up.
    """

    def __init__(self, data_dir: Path, office_timezone: str, day_starts_at: str) -> None:
        self._db_url = f"sqlite:///{data_dir / 'central.db'}"
        self._timezone = office_timezone
        self._day_starts_at = day_starts_at
        self.log = data_dir / "logs" / "central.log"
        self._port = _free_port()
        self.url = f"http://127.0.0.1:{self._port}"
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("ab") as log_file:
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
        made = subprocess.run(
            [
                sys.executable,
                "-m",
                "central",
                "enroll-code",
                "--db",
                self._db_url,
                "--office",
                config.office.code,
                "--role",
                config.device.role,
                "--device-id",
                config.device.id,
                *(
                    ["--counter", str(config.counter.number)]
                    if config.device.role == "counter"
                    else []
                ),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if made.returncode != 0:
            raise DemoError(f"no enrolment code: {made.stderr.strip()}")
        code = made.stdout.splitlines()[0].strip()
        enroll(config, api_url=self.url, code=code, ca_bundle=None)


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM when the demo dies, even by SIGKILL."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def lobby_log(lobby: Config) -> Path:
    """The lobby's log file (kiosk.logging_setup writes it; the console shows it too)."""
    return lobby.device.data_dir / "logs" / "kiosk.log"


def counter_log(lobby: Config) -> Path:
    """Counter 1's console output, its log lines included, in the lobby's logs folder."""
    return lobby.device.data_dir / "logs" / "counter.log"


def start_demo_counter(
    lobby: Config, central: DemoCentral, folder: Path, size: tuple[int, int]
) -> tuple[subprocess.Popen, Config]:
    """Counter 1 as a second window (its own process, like a second device) to the right of
    the lobby's window: its own data folder, enrolled with the demo's server, trusting the
    lobby's ticket key for typed or scanned tickets. Returns the process (the demo ends it) and
    its configuration."""
    etc = folder / "etc"
    etc.mkdir(parents=True, exist_ok=True)
    left = lobby.panel.width + WINDOW_GAP
    (etc / "kiosk.toml").write_text(
        f'[device]\nid = "counter-01"\nrole = "counter"\ndata_dir = "{folder / "data"}"\n\n'
        f"[panel]\nwidth = {size[0]}\nheight = {size[1]}\nfullscreen = false\n"
        f"left = {left}\ntop = 0\n\n"
        "[counter]\nnumber = 1\n",
        encoding="utf-8",
    )
    config = load_config(etc)
    central.enrol(config)
    TicketKeys(config.device.data_dir).import_key(
        lobby.device.data_dir / "device.key", lobby.device.id
    )
    log_file = counter_log(lobby).open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "run", "--config", str(etc)],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        preexec_fn=_die_with_parent,
    )
    return process, config


def guide(lobby: Config, central: DemoCentral, counter: Config | None) -> str:
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
            f" {counter_log(lobby)}"
        )
    others = "counter 1 and the central server stop" if counter else "the central server stops"
    lines += [
        f"Central server's log: {central.log}",
        f"To stop the demo: close the lobby window or press Ctrl+C here ({others} with it).",
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
        counter: subprocess.Popen | None,
        cards: list[bytes],
        counter_config: Config | None = None,
    ) -> None:
        self.central = central
        self.printer = printer
        self.scanner = scanner
        self.counter = counter
        self.counter_config = counter_config
        self._cards = itertools.cycle(cards)
        self._cards_lock = threading.Lock()

    @classmethod
    def start(cls, config: Config, *, baud: int, with_counter: bool) -> tuple[DemoTwins, Config]:
        """Start the twins for `config` (a lobby whose data folder exists); raises DemoError
        or kiosk.enrolment.EnrolmentError, having stopped what had started."""
        cards = [sample.payload for sample in load_samples()]
        data_dir = config.device.data_dir
        central = DemoCentral(
            data_dir, config.office.timezone.key, f"{config.office.day_starts_at:%H:%M}"
        )
        try:
            central.start()
            central.enrol(config)
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
        counter = counter_config = None
        if with_counter:
            # The lobby's device key must exist before the counter imports it.
            open_device_data(config).close()
            counter, counter_config = start_demo_counter(
                config, central, data_dir / "counter", COUNTER_SIZE
            )
        return cls(central, printer, scanner, counter, cards, counter_config), config

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
        if self.counter is not None:
            self.counter.terminate()
            try:
                self.counter.wait(10)
            except subprocess.TimeoutExpired:
                self.counter.kill()
        self.printer.stop()
        self.central.stop()
