"""The kill-mid-print loop, for tests/test_print_kill9.py and bench/print_kill_bench.py.

A lobby process (tests/support/device_process.py --print: the real driver, print worker and
store) prints on a virtual printer on a pty, paced like a serial line; it issues a few tickets
and is killed with SIGKILL at a random moment (seeded: a run is reproducible), often in the
middle of a job, and started again, `kills` times. Half the kills (at random) are power cuts of
the host: the bytes still in the port's buffers are lost too (VirtualPrinter.cut_host_power), so
the printer is left inside the command it was receiving. A last start settles what the last
kill left and stops. Then the paper (the twin's pages, their QR codes decoded) is held against
the store.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from PIL import Image
from pyzbar.pyzbar import decode

from devices.virtual_printer import VirtualPrinter
from kiosk.config import load_config
from kiosk.store import Store
from tests.support.device import OFFICE, write_override
from tests.support.device_client import DeviceProcess

LINE_BAUD = 460800  # a ticket takes about 0.15 s to cross: kills land in the middle of jobs
KILL_WITHIN_S = 0.4  # a kill comes at most this long after the tickets were issued


@dataclass
class KillRun:
    seed: int
    kills: int
    power_cuts: int = 0
    not_ready: list[str] = field(default_factory=list)  # the printer's state when not ready
    issued: int = 0
    statuses: Counter[str] = field(default_factory=Counter)  # the tickets' print states
    twice_on_paper: list[str] = field(default_factory=list)  # labels
    printed_not_on_paper: list[str] = field(default_factory=list)  # labels
    unknown_on_paper: int = 0  # of unknown outcome, yet their QR code did come out

    def summary(self) -> str:
        return (
            f"seed {self.seed}: {self.kills} kills ({self.power_cuts} of them power cuts), "
            f"{len(self.not_ready)} restarts with the "
            f"printer not ready, {self.issued} tickets issued: {dict(self.statuses)}; "
            f"{len(self.twice_on_paper)} on paper twice, "
            f"{len(self.printed_not_on_paper)} recorded printed but not on paper, "
            f"{self.unknown_on_paper} of unknown outcome on paper"
        )


def kill_mid_print(folder: Path, kills: int, seed: int) -> KillRun:
    run = KillRun(seed, kills)
    rng = random.Random(seed)
    twin = VirtualPrinter(folder / "paper", baud=LINE_BAUD)
    twin.start()
    try:
        etc = write_override(folder / "etc", kiosk=f'[printer]\nurl = "{twin.device_path}"\n')
        config = load_config(etc)
        log = folder / "lobby.log"
        for _ in range(kills):
            lobby = DeviceProcess(config, log, "--print")
            _check_ready(lobby, run)
            for _ in range(rng.randint(1, 3)):
                lobby.do("issue")
            time.sleep(rng.uniform(0, KILL_WITHIN_S))  # the random moment of the kill
            lobby.kill()
            if rng.random() < 0.5:
                twin.cut_host_power()
                run.power_cuts += 1
        lobby = DeviceProcess(config, log, "--print")  # settles what the last kill left
        _check_ready(lobby, run)
        lobby.do("settle")
        lobby.stop()
        assert lobby.process.returncode == 0
        on_paper = Counter(
            symbol.data.decode()
            for page in twin.pages
            for symbol in decode(Image.open(page).convert("L"))
        )
    finally:
        twin.stop()
    with Store(folder / "data" / "kiosk.db") as store:
        # The run may straddle the start of an office day: that day and the one before.
        latest = store.tickets.latest_day(OFFICE)
        assert latest is not None, "no ticket was issued"
        days = (latest - timedelta(days=1), latest)
        tickets = [ticket for day in days for ticket in store.tickets.of_day(day)]
    run.issued = len(tickets)
    run.statuses = Counter(ticket.print_status for ticket in tickets)
    for ticket in tickets:
        if on_paper[ticket.qr_payload] > 1:
            run.twice_on_paper.append(ticket.label)
        if ticket.printed and not on_paper[ticket.qr_payload]:
            run.printed_not_on_paper.append(ticket.label)
        if ticket.print_status == "unknown" and on_paper[ticket.qr_payload]:
            run.unknown_on_paper += 1
    return run


def _check_ready(lobby: DeviceProcess, run: KillRun) -> None:
    state = lobby.do("printer_state")["state"]
    if state != "ready":
        run.not_ready.append(state)
