"""The local store: schema and migrations, and faults (full disk, read-only, damaged file)
that must end in a plain StoreError and never in a half-written database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.store import (
    MIGRATIONS,
    SchemaTooNew,
    StorageCorrupt,
    StorageReadOnly,
    Store,
    StoreError,
)
from kiosk.tickets import TicketService
from tests.support.clocks import HCM, Clock
from tests.support.device import small_config
from tests.support.processes import REPO_ROOT

KEY = bytes(32)


def columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_a_new_store_has_the_schema_wal_and_its_version(tmp_path: Path) -> None:
    Store(tmp_path / "kiosk.db").close()
    db = sqlite3.connect(tmp_path / "kiosk.db")
    assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert columns(db, "tickets") == [
        "id",
        "request_id",
        "office",
        "day",
        "field_id",
        "number",
        "label",
        "priority",
        "issued_at",
        "waiting_ahead",
        "qr_payload",
        "print_status",
        "print_error",
        "print_attempts",
        "printed_at",
        "waiting_source",
    ]
    assert columns(db, "outbox") == [
        "seq",
        "id",
        "type",
        "occurred_at",
        "body",
        "created_at",
        "attempts",
        "last_error",
        "quarantined",
        "quarantine_reason",
    ]
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO tickets (id, request_id, office, day, field_id, number, label, priority,"
            " issued_at, waiting_ahead, qr_payload, print_status)"
            " VALUES ('t', 'r', 'o', 'd', 'f', 1, 'l', 0, 'i', 0, 'q', 'lost')"
        )


def test_a_store_of_the_previous_release_keeps_its_tickets_and_takes_the_new_print_states(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kiosk.db"
    db = sqlite3.connect(path)
    for statements in MIGRATIONS[:4]:  # the schema before "printing" and "unknown"
        for statement in statements:
            db.execute(statement)
    db.execute("PRAGMA user_version = 4")
    db.execute(
        "INSERT INTO tickets (id, request_id, office, day, field_id, number, label, priority,"
        " issued_at, waiting_ahead, qr_payload, print_status, print_error, waiting_source)"
        " VALUES ('t', 'r', '00637', '2026-06-03', 'beta', 500, '500', 0,"
        " '2026-06-03T09:00:00+07:00', 2, 'q', 'failed', 'out of paper', 'server')"
    )
    db.commit()
    db.close()
    with Store(path) as store:
        ticket = store.tickets.get("t")
        assert (ticket.label, ticket.print_status, ticket.print_error) == (
            "500",
            "failed",
            "out of paper",
        )
        assert (ticket.waiting_ahead, ticket.waiting_source) == (2, "server")
        assert store.tickets.mark_printing("t", unknown_too=False) is not None
        assert store.tickets.mark_print_unknown("t", error="cut off").print_status == "unknown"
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    index = "SELECT COUNT(*) FROM sqlite_master WHERE name = 'tickets_by_day_status'"
    assert db.execute(index).fetchone() == (1,)
    db.close()


def test_reopening_a_current_store_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Store(path).close()
    before = path.read_bytes()
    Store(path).close()
    assert path.read_bytes() == before


def test_a_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.close()
    with pytest.raises(SchemaTooNew, match="newer than this software"):
        Store(path)


def test_a_file_that_is_not_a_database_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    path.write_bytes(b"this is not SQLite, it is a note left by someone\n" * 100)
    with pytest.raises(StorageCorrupt, match="damaged or is not a kiosk database"):
        Store(path)


def test_processes_opening_a_new_file_at_once_all_succeed(tmp_path: Path) -> None:
    # Switching a new file to WAL does not wait for other processes by itself.
    code = (
        "import sys; from pathlib import Path; from kiosk.store import Store;"
        "Store(Path(sys.argv[1]))"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path / "kiosk.db")],
            cwd=REPO_ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    errors = [child.communicate()[1] for child in children]
    assert [child.returncode for child in children] == [0] * 8, errors
    with Store(tmp_path / "kiosk.db") as store:
        assert store.outbox.counts() == {"pending": 0, "quarantined": 0}


def test_outbox_keeps_events_in_order_and_counts_them(tmp_path: Path) -> None:
    service = TicketService(Store(tmp_path / "kiosk.db"), small_config(tmp_path), KEY)
    tickets = [
        service.issue("beta", priority=False, request_id=str(uuid.uuid4())) for _ in range(3)
    ]
    service.mark_printed(tickets[1].id)
    store = Store(tmp_path / "kiosk.db")  # a second connection, as the CLI would open
    events = store.outbox.pending()
    assert [(e["type"], e["data"]["ticket_id"]) for e in events] == [
        ("ticket.issued", tickets[0].id),
        ("ticket.issued", tickets[1].id),
        ("ticket.issued", tickets[2].id),
        ("ticket.printed", tickets[1].id),
    ]
    assert store.outbox.pending(limit=2) == events[:2]
    assert store.outbox.counts() == {"pending": 4, "quarantined": 0}


def run_child(mode: str, db: Path, tmp_path: Path, *wrapper: str) -> list[str]:
    child = subprocess.run(
        [
            *wrapper,
            sys.executable,
            "-m",
            "tests.support.issuing",
            mode,
            str(db),
            str(tmp_path / "device.key"),
            str(tmp_path / "etc"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    return child.stdout.splitlines()


def check_nothing_lost(db_path: Path, issued: list[str], first_number: int) -> list[int]:
    """The store after the fault: intact, every promised ticket there, one event each."""
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = dict(db.execute("SELECT id, label FROM tickets"))
    for line in issued:
        ticket_id, _field_id, label = line.split(" ")
        assert stored[ticket_id] == label
    numbers = [n for (n,) in db.execute("SELECT number FROM tickets ORDER BY number")]
    assert numbers == list(range(first_number, first_number + len(numbers)))
    assert db.execute("SELECT COUNT(*) FROM outbox").fetchone() == (len(numbers),)
    db.close()
    return numbers


def test_a_failing_write_mid_transaction_refuses_plainly_and_loses_nothing(
    tmp_path: Path,
) -> None:
    config = small_config(tmp_path)
    path = tmp_path / "kiosk.db"
    with Store(path) as store:  # the file exists before the child caps its size
        TicketService(store, config, KEY).issue("beta", priority=False, request_id="before")
    *issued, refusal = run_child("until-size-limit", path, tmp_path)
    assert issued, "some tickets fitted under the limit"
    assert refusal.startswith("REFUSED StorageUnavailable "), refusal
    assert "the storage failed to read or write" in refusal
    numbers = check_nothing_lost(path, issued, 500)
    assert len(numbers) == len(issued) + 1
    with Store(path) as store:  # the limit is gone: issuing carries on from the next number
        after = TicketService(store, config, KEY).issue("beta", priority=False, request_id="after")
        assert after.number == numbers[-1] + 1


def private_small_filesystem(mount_point: Path) -> list[str] | None:
    """A command prefix that runs a command with a 256 KiB tmpfs mounted on `mount_point`, in
    private user and mount namespaces (no root needed), or None where that is not allowed."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None
    prefix = [unshare, "--user", "--map-root-user", "--mount", "sh", "-c"]
    mount = f'mount -t tmpfs -o size=256k tmpfs "{mount_point}"'
    probe = subprocess.run([*prefix, mount], capture_output=True, check=False)
    if probe.returncode:
        return None
    # Run the command, then keep the database files: the tmpfs vanishes with the namespace.
    keep = f'cp "{mount_point}"/kiosk.db* "{mount_point.parent}/kept/"'
    return [*prefix, f'{mount} && "$@"; status=$?; {keep}; exit $status', "sh"]


def test_a_full_disk_refuses_plainly_and_loses_nothing(tmp_path: Path) -> None:
    config = small_config(tmp_path)
    small = tmp_path / "small"
    small.mkdir()
    (tmp_path / "kept").mkdir()
    wrapper = private_small_filesystem(small)
    if wrapper is None:
        pytest.skip("no unprivileged user namespaces here to mount a small tmpfs")
    *issued, refusal = run_child("until-refused", small / "kiosk.db", tmp_path, *wrapper)
    assert issued, "some tickets fitted on the small disk"
    assert refusal.startswith("REFUSED StorageFull "), refusal
    assert "the storage is full; nothing was written" in refusal
    (tmp_path / "kept" / "kiosk.db-shm").unlink(missing_ok=True)
    numbers = check_nothing_lost(tmp_path / "kept" / "kiosk.db", issued, 500)
    with Store(tmp_path / "kept" / "kiosk.db") as store:
        after = TicketService(store, config, KEY).issue("beta", priority=False, request_id="after")
        assert after.number == numbers[-1] + 1


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file truly unwritable: chmod for a normal user, the immutable flag for root
    (root ignores permissions). Skips when neither is possible here."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)
        return
    chattr = shutil.which("chattr")
    if chattr is None or subprocess.run([chattr, "+i", str(path)], check=False).returncode:
        pytest.skip("cannot make a file read-only for root here (no chattr +i)")
    try:
        yield
    finally:
        subprocess.run([chattr, "-i", str(path)], check=True)


def test_a_read_only_database_can_be_read_but_refuses_writes(tmp_path: Path) -> None:
    config = small_config(tmp_path)
    clock = Clock(datetime(2025, 7, 1, 9, 0, tzinfo=HCM))
    path = tmp_path / "kiosk.db"
    with Store(path) as store:
        first = TicketService(store, config, KEY, clock).issue(
            "beta", priority=False, request_id="r1"
        )
    with read_only(path), Store(path) as store:
        service = TicketService(store, config, KEY, clock)
        assert service.get(first.id) == first
        with pytest.raises(StorageReadOnly, match="read-only; nothing was written"):
            service.issue("beta", priority=False, request_id="r2")
        with pytest.raises(StoreError):
            service.mark_printed(first.id)
    with Store(path) as store:
        service = TicketService(store, config, KEY, clock)
        assert [t.label for t in service.tickets_of_day(first.day)] == ["500"]
        assert service.issue("beta", priority=False, request_id="r2").label == "501"
