"""Clocks are wrong in the field: a Raspberry Pi boots with yesterday's time, NTP steps the clock
back. A number is never issued twice in an office day whatever the clock does; a device whose
clock disagrees with the server's says so and issues on the server's time."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

from kiosk.server_clock import ServerClock
from kiosk.store import Store
from kiosk.sync import SyncWorker
from kiosk.tickets import TicketService
from tests.support.central import central_server
from tests.support.clocks import HCM, Clock
from tests.support.counter import Lobby
from tests.support.device import device_config

DAY_START = datetime(2026, 12, 1, 4, 0, tzinfo=HCM)


def service(tmp_path: Path, clock: Clock, server_clock: ServerClock | None = None):
    config = device_config(tmp_path)
    store = Store(tmp_path / "kiosk.db")
    return store, TicketService(store, config, bytes(32), clock, server_clock=server_clock)


def test_a_clock_stepped_back_across_the_day_start_never_repeats_a_number(tmp_path: Path):
    clock = Clock(datetime(2026, 11, 30, 16, 0, tzinfo=HCM))
    store, tickets = service(tmp_path, clock)
    try:
        yesterday = [tickets.issue("ho-tich", priority=False, request_id=f"y{n}") for n in range(3)]
        clock.now = DAY_START + timedelta(seconds=30)
        morning = [tickets.issue("ho-tich", priority=False, request_id=f"m{n}") for n in range(3)]
        clock.now = DAY_START - timedelta(seconds=60)  # NTP steps the clock back 90 s
        stepped = [tickets.issue("ho-tich", priority=False, request_id=f"s{n}") for n in range(2)]
        clock.now = DAY_START + timedelta(seconds=45)
        after = tickets.issue("ho-tich", priority=False, request_id="after")
    finally:
        store.close()
    assert {t.day for t in yesterday} == {DAY_START.date() - timedelta(days=1)}
    today = [*morning, *stepped, after]
    assert {t.day for t in today} == {DAY_START.date()}
    labels = [t.label for t in today]
    assert labels == ["1001", "1002", "1003", "1004", "1005", "1006"]


def test_the_server_clock_corrects_a_device_that_booted_with_yesterdays_time(tmp_path: Path):
    real = datetime(2026, 12, 1, 8, 0, tzinfo=HCM)
    stale = Clock(real - timedelta(hours=15))  # the time saved at yesterday's shutdown
    server_clock = ServerClock(120, stale)
    server_clock.observe(real, 0.02, stale.now)
    assert server_clock.clock_is_wrong()
    store, tickets = service(tmp_path, stale, server_clock)
    try:
        ticket = tickets.issue("ho-tich", priority=False, request_id="boot")
    finally:
        store.close()
    assert ticket.day == real.date()
    assert abs((ticket.issued_at - real).total_seconds()) < 1


def test_a_clock_ahead_does_not_hold_the_device_on_a_day_that_has_not_begun(tmp_path: Path):
    clock = Clock(datetime(2026, 12, 2, 9, 0, tzinfo=HCM))  # a day ahead
    server_clock = ServerClock(120, clock)
    store, tickets = service(tmp_path, clock, server_clock)
    try:
        ahead = tickets.issue("ho-tich", priority=False, request_id="ahead")
        clock.now = datetime(2026, 12, 1, 9, 5, tzinfo=HCM)  # the clock is set right
        server_clock.observe(clock.now, 0.02, clock.now)
        right = tickets.issue("ho-tich", priority=False, request_id="right")
    finally:
        store.close()
    assert ahead.day.isoformat() == "2026-12-02"
    assert right.day.isoformat() == "2026-12-01" and right.label == "1001"


class Monotonic:
    """A settable monotonic clock (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_within_the_margin_the_device_keeps_its_own_clock() -> None:
    clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=HCM))
    server_clock = ServerClock(120, clock, Monotonic())
    server_clock.observe(clock.now + timedelta(seconds=100), 0.0, clock.now)
    assert not server_clock.clock_is_wrong()
    assert server_clock.now() == clock.now
    assert server_clock.server_now() == clock.now + timedelta(seconds=100)


def test_a_clock_set_right_after_the_measurement_is_believed_at_once() -> None:
    """Booted a day behind, measured, then NTP steps the clock right: the server's time is
    carried on the monotonic clock, so the correction is not applied twice."""
    real = datetime(2026, 12, 1, 8, 0, tzinfo=HCM)
    clock, monotonic = Clock(real - timedelta(days=1)), Monotonic()
    server_clock = ServerClock(120, clock, monotonic)
    server_clock.observe(real, 0.0)
    assert server_clock.now() == real
    monotonic.now += 30
    clock.now = real + timedelta(seconds=30)  # NTP
    assert not server_clock.clock_is_wrong()
    assert server_clock.now() == real + timedelta(seconds=30)
    monotonic.now += 16 * 60  # a measurement this old is not used
    assert server_clock.server_now() is None and server_clock.offset() is None


def test_the_sync_worker_measures_the_server_clock_and_reports_a_wrong_one(tmp_path: Path):
    """A real server on its own clock, 40 minutes ahead of the lobby's."""
    lobby_clock = Clock(datetime(2026, 12, 1, 9, 0, tzinfo=HCM))
    with central_server(tmp_path, clock=lambda: lobby_clock.now + timedelta(minutes=40)) as central:
        lobby = Lobby(tmp_path / "lobby", lobby_clock)
        try:
            lobby.enrol(central)
            server_clock = ServerClock(120, lobby_clock)
            seen = []
            worker = SyncWorker.from_config(
                lobby.config, lobby.store, lobby.personal, seen.append, server_clock
            )
            worker.start()
            try:
                deadline = time.monotonic() + 10
                while worker.status.clock_off_minutes is None:
                    assert time.monotonic() < deadline, worker.status
                    time.sleep(0.05)
            finally:
                worker.stop(timeout=5)
        finally:
            lobby.close()
    assert worker.status.clock_off_minutes == 40
    assert abs(server_clock.offset() - 2400) < 5
