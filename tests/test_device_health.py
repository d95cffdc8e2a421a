"""The device's health snapshot: what it says, where it is kept, and when it is reported."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import sqlite3
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import ConfigError
from kiosk.device_health import HEALTH_FILE, DeviceParts, HealthMonitor
from kiosk.enrolment import CentralLink
from kiosk.services import open_device_data
from kiosk.storage_faults import StorageHealth
from kiosk.store import StorageFull
from kiosk.sync import SyncWorker
from tests.support.clocks import Clock
from tests.support.device import device_config
from tests.support.events import ticket_events
from tests.support.ports import free_port

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
    assert written(config)["printer"] == "paper_out"  # the file at once (kiosk doctor reads it)
    assert wait == pytest.approx(4)  # the report when the gap ends
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


def eventually(check, timeout: float = 5.0) -> bool:
    """Whether `check()` comes true within `timeout` seconds (the monitor's own thread)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return False


def test_recent_errors_are_our_warnings_and_a_new_one_is_looked_at_at_once(device):
    config, _data, parts, _printer = device
    # Looks every hour at most, unless something asks: the error must be what asks.
    monitor = HealthMonitor(
        parts, None, report_interval=3600, change_gap=0.2, clock=Clock(START), sample_seconds=3600
    )
    monitor.start()
    try:
        assert eventually(lambda: monitor.latest() is not None)
        assert monitor.latest().last_error is None
        logging.getLogger("kiosk.store").error("the database disk image is malformed")
        logging.getLogger("kivy").warning("not one of ours")
        logging.getLogger("apps.lobby").info("not a problem")
        logging.getLogger("devices.printer").warning("printer %s: %s", "/dev/ttyUSB0", "x" * 400)
        assert eventually(lambda: len(monitor.latest().recent_errors) == 2)
        # A change: reported (and written) once the gap after the first report is over.
        assert eventually(lambda: len(written(config)["recent_errors"]) == 2)
    finally:
        monitor.stop(timeout=5)
    health = monitor.latest()
    assert [note.message[:30] for note in health.recent_errors] == [
        "the database disk image is mal",
        "printer /dev/ttyUSB0: xxxxxxxx",
    ]
    assert len(health.last_error.message) == 300
    assert health.last_error == health.recent_errors[-1]


def test_a_part_that_fails_is_logged_once_and_does_not_spin_the_monitor(device):
    _config, _data, parts, _printer = device
    calls = []

    def broken_printer() -> str:
        calls.append(1)
        raise RuntimeError("a bug in a driver")

    parts = dataclasses.replace(parts, printer_state=broken_printer)
    monitor = HealthMonitor(
        parts, None, report_interval=3600, change_gap=1, clock=Clock(START), sample_seconds=3600
    )
    with caplog_of("kiosk.device_health") as records:
        monitor.start()
        try:
            assert eventually(lambda: records)
            # Its own error line would wake it at once, and again, for ever: it must not.
            time.sleep(0.3)  # nothing to wait for: the proof is that nothing more happens
        finally:
            monitor.stop(timeout=5)
    assert len(calls) == 1
    assert [record.getMessage() for record in records] == [
        "the health monitor failed; trying again every 3600 s"
    ]


def test_a_server_out_of_reach_is_tried_again_later_without_a_warning(device):
    config, _data, parts, printer = device
    # Enrolled with a server that is gone: nothing listens at its address.
    enrolment = {
        "api_url": f"http://127.0.0.1:{free_port()}",
        "device_id": config.device.id,
        "office": config.office.code,
        "role": config.device.role,
        "counter": None,
        "token": "t" * 43,
        "ca_bundle": None,
    }
    (config.device.data_dir / "central.json").write_text(json.dumps(enrolment))
    (config.device.data_dir / "central.json").chmod(0o600)
    ticks = Ticks()
    monitor = HealthMonitor(
        parts,
        CentralLink(config),
        report_interval=60,
        change_gap=5,
        clock=Clock(START),
        monotonic=ticks,
        sample_seconds=3600,
    )
    with caplog_of("kiosk") as records:
        first = monitor.check()
        printer["state"] = "paper_out"
        ticks.now += 6
        again = monitor.check()
    assert written(config)["printer"] == "paper_out"  # kept on the device all the same
    assert first == pytest.approx(10)  # the next attempt after twice the gap, not at once
    # A change after the gap is tried at once; the next attempt twice as late again.
    assert again == pytest.approx(20)
    assert [record for record in records if record.levelno >= logging.WARNING] == []
    monitor.stop()


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True, check=False).returncode == 0


def test_a_nearly_full_disk_and_a_read_only_mount_are_storage_faults(tmp_path):
    """Real faults: the data folder on an 8 MiB file system, then seen through a read-only
    mount of it (what an SD card that fails turns into; the store keeps its open file)."""
    folder, read_only = tmp_path / "data", tmp_path / "data-ro"
    folder.mkdir()
    read_only.mkdir()
    small = ("-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(folder))
    if os.geteuid() != 0 or not mount(*small):
        pytest.skip("mounting a small file system needs root")
    try:
        config = device_config(tmp_path)
        data = open_device_data(config)
        try:
            sync = SyncWorker.from_config(config, data.store, data.personal)
            parts = DeviceParts.of(config, data, sync)
            monitor = monitor_of(parts, Clock(START), Ticks())
            monitor.check()
            assert monitor.latest().storage == "full"  # less than 16 MiB free
            assert mount("--bind", str(folder), str(read_only))
            assert mount("-o", "remount,bind,ro", str(read_only))
            monitor = monitor_of(
                dataclasses.replace(parts, data_dir=read_only), Clock(START), Ticks()
            )
            monitor.check()
            assert monitor.latest().storage == "read_only"
        finally:
            data.close()
    finally:
        for point in (read_only, folder):
            subprocess.run(["umount", "-l", str(point)], capture_output=True, check=False)


def test_the_health_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"change_gap = 90 — must not be longer"):
        device_config(tmp_path, kiosk="[health]\nreport_interval = 60\nchange_gap = 90\n")
    with pytest.raises(ConfigError, match=r"report_interval = 1 — must be a number"):
        device_config(tmp_path, kiosk="[health]\nreport_interval = 1\n")


@contextlib.contextmanager
def caplog_of(name: str):
    """The records logged under `name` within the block."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    level, logger.level = logger.level, logging.DEBUG
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_write_the_store_refused_is_a_storage_fault_though_the_disk_looks_well(device):
    """The app's StorageHealth (what its writes met) goes into the report: a database at its
    page limit refuses writes with SQLITE_FULL while the disk has room."""
    config, data, parts, _printer = device
    storage = StorageHealth(config.device.data_dir)
    data.store.observe_writes(storage.observe)
    parts = dataclasses.replace(parts, storage_fault=lambda: storage.fault)
    ticks = Ticks()
    monitor = monitor_of(parts, Clock(START), ticks)
    monitor.check()
    assert monitor.latest().storage == "ok"
    with sqlite3.connect(config.device.data_dir / "kiosk.db") as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    # A per-connection limit, so on the store's own connection (a private attribute: a test).
    data.store._db._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StorageFull):
        data.store.outbox.add(ticket_events(200))
    ticks.now += 6  # past the change gap: the change is reported and written
    monitor.check()
    assert monitor.latest().storage == "full"
    assert written(config)["storage"] == "full"
