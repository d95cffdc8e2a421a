"""The hall, end to end with real processes: the central server, a lobby, two counters and the
hall display (the real app, headless) each in a process of its own, the display speaking through
its virtual speaker. What the hall sees is read from the display's log ("shown: …"), what it
hears from the speaker's journal (one line per announcement, with its start and end).

- a call appears and is announced once, though it reaches the display by both paths;
- five calls within 2 s are all shown and announced, in order, never two at once;
- a recall is announced again;
- with the server down a typed call reaches the display over the office network, and is not
  shown or announced again when the server comes back and the counter's outbox reaches it;
- a forged call on the office network is refused.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from common.office_clock import aware_now
from devices.speaker import read_journal
from kiosk.hall_calls import call_key
from kiosk.paths import REPO_ROOT
from tests.support.central import CentralProcess
from tests.support.counter import PINS, office_device_config
from tests.support.device import enrol
from tests.support.device_client import DeviceProcess
from tests.support.ui import display_config

# Generous: the display process starts Kivy; the figures are measured in bench/.
SHOWN_WITHIN_S = 10.0
# The journal has a line once an announcement has been played (about 6 s each, one at a time).
PLAYED_WITHIN_S = 30.0


class Hall:
    """Server, lobby, counters 1 and 2 and the hall display, all started."""

    def __init__(self, folder: Path, central: CentralProcess) -> None:
        self.folder = folder
        self.central = central
        self.display_config = display_config(
            folder / "display",
            "[hall]\nhero_seconds = 1\nhighlight_seconds = 2\n",
            # Short announcements (fast, no chime): the test waits for each to be played.
            speech="rate = 400\nchime = false\n",
        )
        # The display listens on a free port of 127.0.0.1; the counters send there.
        self.port = self.display_config.office_network.port
        network = f'[office_network]\nport = {self.port}\nsend_to = ["127.0.0.1"]\n'
        enrol(self.display_config, central)
        self.lobby_config = office_device_config(
            folder / "lobby", device_id="lobby-01", role="lobby"
        )
        enrol(self.lobby_config, central)
        self.counter_configs = []
        for number in (1, 2):
            config = office_device_config(
                folder / f"counter{number}",
                device_id=f"counter-{number:02d}",
                role="counter",
                kiosk=f"[counter]\nnumber = {number}\n\n{network}",
            )
            enrol(config, central, counter=number)
            self.counter_configs.append(config)
        self.display = self._start_display()
        self.lobby = DeviceProcess(self.lobby_config, folder / "lobby.log")
        self.counters = [
            DeviceProcess(c, folder / f"counter{i + 1}.log")
            for i, c in enumerate(self.counter_configs)
        ]
        for counter, officer in zip(self.counters, ("officer-an", "officer-binh"), strict=True):
            counter.do("sign_in", officer=officer, pin=PINS[officer])
        # Ready: the display has started, and every device has fetched the office's hall key.
        wait_for(lambda: "hall display" in self._log_text(), 30)
        wait_for(
            lambda: all(
                (config.device.data_dir / "hall.key").exists()
                for config in [self.display_config, *self.counter_configs]
            ),
            30,
        )

    def _start_display(self) -> subprocess.Popen[bytes]:
        etc = self.display_config.sources[1].parent
        env = {
            **os.environ,
            "SDL_VIDEODRIVER": "offscreen",
            "KIVY_NO_ARGS": "1",
            "KIVY_NO_CONFIG": "1",
            "KIVY_NO_FILELOG": "1",
            "KIVY_LOG_MODE": "PYTHON",
        }
        with (self.folder / "display.console").open("ab") as console:
            return subprocess.Popen(
                [sys.executable, "-m", "kiosk", "run", "--config", str(etc)],
                cwd=REPO_ROOT,
                env=env,
                stdout=console,
                stderr=subprocess.STDOUT,
            )

    @property
    def display_log(self) -> Path:
        return self.display_config.device.data_dir / "logs" / "kiosk.log"

    def _log_text(self) -> str:
        return self.display_log.read_text("utf-8") if self.display_log.exists() else ""

    def shown_lines(self) -> list[str]:
        return [
            line.split("shown: ", 1)[1]
            for line in self._log_text().splitlines()
            if "shown: " in line
        ]

    def shown_calls(self) -> list[tuple[str, str, int, str]]:
        """(kind, label, counter, key) of each call the display showed, in order."""
        found = []
        for line in self.shown_lines():
            kind, label, _at, _counter, number, key = line.split(" ")
            found.append((kind, label, int(number), key.strip("()")))
        return found

    def shown_keys(self) -> list[str]:
        return [key for *_, key in self.shown_calls()]

    def journal(self) -> list[dict[str, Any]]:
        folder = self.display_config.speech.virtual_dir
        return [entry for entry in read_journal(folder) if not entry["key"].startswith("test:")]

    def stop(self) -> None:
        for device in [self.lobby, *self.counters]:
            device.stop()
        self.display.terminate()
        try:
            self.display.wait(15)
        except subprocess.TimeoutExpired:
            self.display.kill()


def sqlite_rows(database: Path, statement: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(database)) as db:
        return db.execute(statement).fetchall()


def wait_for(condition: Callable[[], Any], within: float = SHOWN_WITHIN_S) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"not within {within} s")


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    with CentralProcess.in_folder(tmp_path) as central:
        central.start()
        office = Hall(tmp_path, central)
        try:
            yield office
        finally:
            office.stop()


def played_in_order_without_overlap(entries: list[dict[str, Any]]) -> bool:
    moments = [
        (datetime.fromisoformat(e["started_at"]), datetime.fromisoformat(e["ended_at"]))
        for e in entries
    ]
    return all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(moments))


def test_calls_are_shown_and_announced_once_in_order_and_a_recall_again(hall):
    for _ in range(6):
        hall.lobby.do("issue", field="ho-tich")
    assert hall.lobby.do("sync")["pending"] == 0
    one, two = hall.counters
    first = one.do("call_next")
    key = call_key(first["session_id"])
    wait_for(lambda: key in {e["key"] for e in hall.journal()}, PLAYED_WITHIN_S)
    time.sleep(1.5)  # the counter's own ticket.called reaches the server: the same call
    assert hall.shown_keys().count(key) == 1
    assert [e["key"] for e in hall.journal()].count(key) == 1

    # Five calls within 2 s from two counters: all shown, all announced, one voice at a time,
    # in the order they reached the display (from each counter: the order it made them).
    one.do("skip")
    started = time.monotonic()
    c2 = two.do("call_next")["label"]
    two.do("recall")
    c1 = one.do("call_next")["label"]
    two.do("recall")
    one.do("skip")
    c1_next = one.do("call_next")["label"]
    assert time.monotonic() - started < 2
    wait_for(lambda: len(hall.journal()) >= 6, 60)
    shown = hall.shown_calls()[1:]
    assert len(shown) == 5 and len({key for *_, key in shown}) == 5
    assert [(kind, label) for kind, label, counter, _ in shown if counter == 2] == [
        ("call", c2),
        ("recall", c2),
        ("recall", c2),
    ]
    assert [(kind, label) for kind, label, counter, _ in shown if counter == 1] == [
        ("call", c1),
        ("call", c1_next),
    ]
    journal = hall.journal()
    assert [entry["key"] for entry in journal[1:]] == [key for *_, key in shown]
    assert played_in_order_without_overlap(journal)
    recalled = [entry["text"].startswith("Xin nhắc lại") for entry in journal[1:]]
    assert recalled == [kind == "recall" for kind, *_ in shown]


def test_a_typed_call_reaches_the_display_without_the_server_and_once_after(hall):
    hall.lobby.do("issue", field="ho-tich")
    assert hall.lobby.do("sync")["pending"] == 0
    one = hall.counters[0]
    called = one.do("call_next")  # online: the counters have the hall key now
    wait_for(lambda: call_key(called["session_id"]) in hall.shown_keys())
    one.do("skip")
    hall.central.stop()
    typed = one.do("take", label="1002")
    key = call_key(typed["session_id"])
    wait_for(lambda: key in hall.shown_keys(), 2.5)
    wait_for(lambda: key in {e["key"] for e in hall.journal()}, PLAYED_WITHIN_S)
    hall.central.start()
    assert one.do("sync")["pending"] == 0
    # The server has the call in its feed now, and the display follows the feed again.
    assert key in {row[0] for row in sqlite_rows(hall.central.database, "SELECT key FROM calls")}
    wait_for(lambda: hall._log_text().count("calls feed: following") >= 2, 15)
    time.sleep(1)
    assert hall.shown_keys().count(key) == 1
    assert [e["key"] for e in hall.journal()].count(key) == 1


def test_a_forged_call_on_the_office_network_is_refused(hall):
    # The display process runs on this machine's clock: the forgery is timed by it, so that it
    # is refused for its signature, not for its age.
    now = aware_now().isoformat()
    forged = {
        "version": 1,
        "key": call_key("forged"),
        "kind": "call",
        "office": hall.display_config.office.code,
        "day": "2026-12-02",
        "label": "6666",
        "counter": 9,
        "field_id": None,
        "occurred_at": now,
        "device_id": "laptop",
        "sent_at": now,
        "nonce": "0" * 32,
        "key_id": "guess",
        "attempt": 0,
        "mac": "00" * 32,
    }
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(json.dumps(forged).encode(), ("127.0.0.1", hall.port))
    wait_for(lambda: "refused" in hall._log_text(), 5)
    time.sleep(0.5)
    assert "6666" not in " ".join(hall.shown_lines())
    assert hall.journal() == []
