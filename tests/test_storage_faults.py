"""Storage faults named for the staff: a full disk, an SD card gone read-only and a damaged
database, made for real (small tmpfs mounts, garbage over a real kiosk.db), as the lobby's
status line, the start-up and `kiosk tickets` tell them, instead of "Printer ready" and a
traceback."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from kiosk.services import DataUnavailable, open_device_data
from kiosk.storage_faults import StorageFault, StorageHealth, classify
from kiosk.store import StorageFull
from tests.support.counter import office_device_config
from tests.support.device import device_config
from tests.support.mounts import fill, remount_read_only, small_tmpfs
from tests.support.processes import folder_outside_pytest, kiosk_run_env
from tests.support.ui import (
    field_button,
    go_to_fields,
    lobby_config,
    pump,
    running_counter,
    running_lobby,
    screenshot,
)

REPO = Path(__file__).resolve().parent.parent
PAGE = 4096


def kiosk_tickets(config_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "tickets", "--config", str(config_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )


def issue_one(data) -> None:
    data.tickets.issue("ho-tich", priority=False, request_id=str(uuid.uuid4()))


def damaged_database(config) -> Path:
    """The device's kiosk.db with 30 tickets, then damaged."""
    data = open_device_data(config)
    for _ in range(30):
        issue_one(data)
    data.close()
    database = config.device.data_dir / "kiosk.db"
    damage(database)
    return database


def damage(database: Path) -> None:
    """Garbage over every page but the first (the header still says SQLite)."""
    size = database.stat().st_size
    with database.open("r+b") as f:
        f.seek(PAGE)
        f.write(b"\xde\xad" * ((size - PAGE) // 2))


def test_a_full_disk_is_named_on_the_lobby_status_line_and_the_citizen_asks_the_staff(tmp_path):
    config = lobby_config(tmp_path)
    with small_tmpfs(config.device.data_dir), running_lobby(tmp_path, config=config) as (app, _):
        welcome = app.root.get_screen("welcome")
        assert "Máy in sẵn sàng" in welcome.ids.status_line.text
        filler = fill(config.device.data_dir)

        fields = go_to_fields(app)
        field_button(fields, "ho-tich").dispatch("on_release")
        assert pump(lambda: fields.message != "")
        assert fields.message == (
            "Máy hiện chưa cấp được số. Xin Ông/Bà vui lòng liên hệ cán bộ để được hỗ trợ."
        )
        assert app.storage.fault is StorageFault.FULL
        assert pump(lambda: "Bộ nhớ đầy" in app.status_text)
        assert app.status_alert and "Máy in sẵn sàng" not in app.status_text
        app.go_home()
        screenshot(tmp_path / "storage-full.png")
        fields = go_to_fields(app)

        filler.unlink()  # the technician frees space: the next ticket is issued
        field_button(fields, "ho-tich").dispatch("on_release")
        assert pump(lambda: app.root.current == "ticket")
        assert pump(lambda: "Bộ nhớ đầy" not in app.status_text)
        assert "Máy in sẵn sàng" in app.status_text and app.storage.fault is None


def test_a_full_disk_is_named_on_the_counter_status_line(tmp_path):
    config = office_device_config(
        tmp_path, device_id="counter-01", role="counter", kiosk="[counter]\nnumber = 1\n"
    )
    with small_tmpfs(config.device.data_dir), running_counter(config) as app:
        fill(config.device.data_dir)
        app.sign_in("officer-an", "0000")  # a wrong PIN is counted: a write
        assert pump(lambda: "Bộ nhớ đầy" in app.status_text)
        assert app.status_alert and app.storage.fault is StorageFault.FULL


def test_a_damaged_database_is_found_at_start_and_kiosk_tickets_names_it(tmp_path):
    config = device_config(tmp_path)
    database = damaged_database(config)

    with pytest.raises(DataUnavailable) as refused:
        open_device_data(config)
    assert refused.value.fault is StorageFault.CORRUPT
    assert "Database damaged" in str(refused.value)

    listed = kiosk_tickets(tmp_path / "etc")
    assert listed.returncode == 1 and listed.stdout == ""
    assert "Traceback" not in listed.stderr and len(listed.stderr.splitlines()) == 1
    assert listed.stderr.startswith("Cannot open the database: Database damaged:")
    assert "its outbox may hold events not yet sent" in listed.stderr
    assert database.stat().st_size > PAGE  # nothing was deleted


def test_a_read_only_card_is_named_at_start_and_by_kiosk_tickets(tmp_path):
    config = device_config(tmp_path)
    with small_tmpfs(config.device.data_dir):
        data = open_device_data(config)
        issue_one(data)
        data.close()
        remount_read_only(config.device.data_dir)

        with pytest.raises(DataUnavailable) as refused:
            open_device_data(config)
        assert refused.value.fault is StorageFault.READ_ONLY
        listed = kiosk_tickets(tmp_path / "etc")
    assert listed.returncode == 1 and "Traceback" not in listed.stderr
    assert "Memory card read-only" in listed.stderr and "replace the card" in listed.stderr


def test_a_page_limit_reached_is_storage_full_and_a_write_clears_it(tmp_path):
    """SQLITE_FULL without a mount: the database's own page limit, reached for real."""
    conn = sqlite3.connect(tmp_path / "small.db", isolation_level=None)
    conn.execute("CREATE TABLE t (x BLOB)")
    conn.execute("PRAGMA max_page_count = 3")
    with pytest.raises(sqlite3.OperationalError) as full:
        conn.execute("INSERT INTO t VALUES (?)", (b"x" * 3 * PAGE,))
    conn.close()
    assert classify(full.value) is StorageFault.FULL

    changes = []
    health = StorageHealth(tmp_path, on_change=lambda: changes.append(health.fault))
    health.observe(StorageFull("kiosk.db: the storage is full; nothing was written"))
    health.observe(StorageFull("again"))  # told once
    health.observe(None)
    assert changes == [StorageFault.FULL, None]
    assert classify(ValueError("not storage"), tmp_path) is None


def test_kiosk_run_shows_a_damaged_database_until_the_technician_moves_it_aside():
    """Not a restart every 2 s with a black screen: the fault on the device's screen (the same
    error screen as a configuration error), READY=1 with STATUS=Storage fault for systemd and
    the installer's readiness check; once the technician has moved the damaged file aside (the
    README's recovery), the kiosk starts again by itself (exit 0: systemd restarts it)."""
    with folder_outside_pytest() as folder:  # Kivy reads a command line without "pytest"
        kiosk_run_shows_a_damaged_database_until_it_is_moved_aside(folder)


def kiosk_run_shows_a_damaged_database_until_it_is_moved_aside(tmp_path: Path) -> None:
    config = device_config(tmp_path, kiosk='[device]\nrole = "lobby"\n')
    database = damaged_database(config)
    notify = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(notify))
        server.settimeout(60)
        run = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--config", str(tmp_path / "etc"), "run"],
            cwd=REPO,
            env=kiosk_run_env(NOTIFY_SOCKET=str(notify)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = server.recv(4096).decode()  # after the error screen's first frame
            assert ready.startswith("READY=1\nSTATUS=Storage fault: Cannot open the database:")
            assert "Database damaged" in ready
            assert run.poll() is None  # showing it, not exiting to be restarted
            database.rename(tmp_path / "kiosk.db.damaged")  # kept for the recovery
            assert run.wait(timeout=30) == 0
        finally:
            run.kill()
            _, stderr = run.communicate()
    assert "the kiosk starts again" in stderr and "Traceback" not in stderr
    assert (tmp_path / "kiosk.db.damaged").stat().st_size > PAGE  # nothing was deleted
