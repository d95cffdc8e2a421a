"""The device's health snapshot: what it says, where it is kept, and when it is reported."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import ConfigError
from kiosk.device_health import HEALTH_FILE, DeviceParts, HealthMonitor
from kiosk.enrolment import CentralLink
from kiosk.server_clock import ServerClock
from kiosk.services import open_device_data
from kiosk.sync import SyncWorker
from tests.support.clocks import Clock
from tests.support.device import device_config
from tests.support.events import ticket_events

START = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def device(tmp_path: Path):
    config = device_config(tmp_path, kiosk="[health]\nreport_interval = 60\nchange_gap = 5\n")
    data = open_device_data(config)
    sync = SyncWorker.from_config(config, data.store, data.personal)  # not started
    printer = {"state": "ready"}
    parts = DeviceParts.of(config, data, sync, printer_state=lambda: printer["state"])
    yield config, data, parts, printer
    data.close()


def monitor_of(parts: DeviceParts, clock: Clock, ticks: Ticks) -> HealthMonitor:
    return HealthMonitor(
        parts, None, report_interval=60, change_gap=5, clock=clock, monotonic=ticks
    )


def written(config) -> dict:
    return json.loads((config.device.data_dir / HEALTH_FILE).read_text(encoding="utf-8"))


def test_the_snapshot_tells_the_outbox_printer_disk_and_uptime(device):
    config, data, parts, _printer = device
    events = ticket_events(3)
    data.store.outbox.add(events)
    clock, ticks = Clock(START), Ticks()
    monitor = monitor_of(parts, clock, ticks)
    assert monitor.latest() is None
    ticks.now += 42
    clock.now = START + timedelta(seconds=42)
    monitor.check()
    health = monitor.latest()
    assert (health.device_id, health.role, health.office) == ("lobby-01", "lobby", "00637")
    assert health.printer == "ready"
    assert health.scanner is None
    assert health.outbox_pending == 3
    assert health.outbox_oldest_at == datetime.fromisoformat(events[0]["occurred_at"])
    assert health.uptime_seconds == 42
    assert health.started_at == START
    assert health.storage == "ok"
    assert 0 < health.disk_free_bytes <= health.disk_total_bytes
    assert health.clock_offset_seconds is None  # the server has not been reached
    assert written(config) == health.as_json()
    assert written(config)["observed_at"] == "2026-12-02T01:30:42+00:00"


def test_a_change_is_reported_at_once_but_changes_within_the_gap_go_together(device):
    config, _data, parts, printer = device
    clock, ticks = Clock(START), Ticks()
    monitor = monitor_of(parts, clock, ticks)
    monitor.check()
    assert written(config)["printer"] == "ready"
    ticks.now += 10
    printer["state"] = "paper_near_end"
    assert monitor.check() <= 15
    assert written(config)["printer"] == "paper_near_end"  # at once
    ticks.now += 1
    printer["state"] = "paper_out"
    wait = monitor.check()
    assert written(config)["printer"] == "paper_near_end"  # within the gap: not yet
    assert wait == pytest.approx(4)
    ticks.now += 1
    printer["state"] = "cover_open"
    monitor.check()
    ticks.now += 3
    monitor.check()
    assert written(config)["printer"] == "cover_open"  # the state when the gap ended
    ticks.now += 10
    monitor.check()
    ticks.now += 10
    monitor.check()
    first = written(config)["observed_at"]
    clock.now += timedelta(seconds=30)
    ticks.now += 30
    monitor.check()
    assert written(config)["observed_at"] == first  # nothing changed, the interval not over
    clock.now += timedelta(seconds=60)
    ticks.now += 60
    monitor.check()
    assert written(config)["observed_at"] != first  # the interval's report


def test_recent_errors_are_our_warnings_and_a_new_one_is_looked_at(device):
    _config, _data, parts, _printer = device
    monitor = monitor_of(parts, Clock(START), Ticks())
    logging.getLogger().addHandler(monitor.errors)
    try:
        logging.getLogger("kiosk.store").error("the database disk image is malformed")
        logging.getLogger("kivy").warning("not one of ours")
        logging.getLogger("apps.lobby").info("not a problem")
        logging.getLogger("devices.printer").warning("printer %s: %s", "/dev/ttyUSB0", "x" * 400)
    finally:
        logging.getLogger().removeHandler(monitor.errors)
    assert monitor._wake.is_set()  # the monitor looks again at once
    monitor.check()
    health = monitor.latest()
    assert [note.message[:30] for note in health.recent_errors] == [
        "the database disk image is mal",
        "printer /dev/ttyUSB0: xxxxxxxx",
    ]
    assert len(health.last_error.message) == 300
    assert health.last_error == health.recent_errors[-1]


def test_the_health_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"change_gap = 90 — must not be longer"):
        device_config(tmp_path, kiosk="[health]\nreport_interval = 60\nchange_gap = 90\n")
    with pytest.raises(ConfigError, match=r"report_interval = 1 — must be a number"):
        device_config(tmp_path, kiosk="[health]\nreport_interval = 1\n")


def test_the_monitor_thread_keeps_a_snapshot_for_the_screens(device):
    config, _data, parts, _printer = device
    monitor = HealthMonitor(
        parts, CentralLink(config), report_interval=60, change_gap=5, clock=ServerClock(120).now
    )
    monitor.start()
    try:
        monitor.poke()
        for _ in range(500):
            if monitor.latest() is not None and (config.device.data_dir / HEALTH_FILE).exists():
                break
            monitor._stop.wait(0.01)
        assert monitor.latest().sync_state == "offline"  # the sync worker never ran
        assert written(config)["device_id"] == "lobby-01"
    finally:
        monitor.stop(timeout=5)
