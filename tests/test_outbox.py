"""The outbox as the sync worker sees it: batches in order, settled only by the server's answer,
poison events quarantined without blocking the rest, counts for the screens and the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from kiosk.store import MIGRATIONS, Store
from tests.support.events import identified_event, ticket_events


def test_batches_come_in_the_order_events_were_written(tmp_path: Path) -> None:
    written = ticket_events(7)
    with Store(tmp_path / "kiosk.db") as store:
        store.outbox.add(written[:3])
        store.outbox.add(written[3:])
        batch = store.outbox.batch(5)
        assert [entry["id"] for entry in batch] == [e["id"] for e in written[:5]]
        assert [entry["body"] for entry in batch] == written[:5]
        assert not any(entry["personal"] for entry in batch)
        assert [e["id"] for e in store.outbox.batch(500)] == [e["id"] for e in written]


def test_only_acknowledged_events_leave_and_rejected_ones_stay_quarantined(
    tmp_path: Path,
) -> None:
    written = ticket_events(5)
    ids = [e["id"] for e in written]
    with Store(tmp_path / "kiosk.db") as store:
        store.outbox.add(written)
        store.outbox.settle(ids[:2], {ids[2]: "data: label is too long"})
        assert [e["id"] for e in store.outbox.batch(500)] == ids[3:]
        assert store.outbox.quarantined() == [
            {
                "id": ids[2],
                "type": "ticket.issued",
                "occurred_at": written[2]["occurred_at"],
                "reason": "data: label is too long",
                "personal": False,
            }
        ]
        assert store.outbox.summary() == {
            "pending": 2,
            "quarantined": 1,
            "oldest_pending": written[3]["occurred_at"],
            "personal_pending": 0,
        }
        store.outbox.settle(ids[3:], {})
        assert store.outbox.batch(500) == []
        assert store.outbox.summary()["oldest_pending"] is None
        assert len(store.outbox.quarantined()) == 1


def test_a_failed_attempt_is_counted_and_the_events_kept(tmp_path: Path) -> None:
    written = ticket_events(3)
    with Store(tmp_path / "kiosk.db") as store:
        store.outbox.add(written)
        store.outbox.record_send_failure(
            [written[0]["id"], written[1]["id"]], "No answer within 10 s."
        )
        store.outbox.record_send_failure([written[0]["id"]], "HTTP 503")
        assert len(store.outbox.batch(500)) == 3
    rows = sqlite3.connect(tmp_path / "kiosk.db").execute(
        "SELECT attempts, last_error FROM outbox ORDER BY seq"
    )
    assert rows.fetchall() == [(2, "HTTP 503"), (1, "No answer within 10 s."), (0, None)]


def test_settling_events_that_are_already_gone_changes_nothing(tmp_path: Path) -> None:
    # The app and `kiosk sync --once` may both send the same batch: the later answer is a no-op.
    written = ticket_events(2)
    with Store(tmp_path / "kiosk.db") as store:
        store.outbox.add(written)
        store.outbox.settle([written[0]["id"]], {})
        store.outbox.settle([written[0]["id"]], {written[0]["id"]: "late"})
        assert store.outbox.summary()["pending"] == 1
        assert store.outbox.quarantined() == []


def test_a_personal_event_in_clear_is_refused_by_the_store(tmp_path: Path) -> None:
    with Store(tmp_path / "kiosk.db") as store:
        with pytest.raises(ValueError, match="never stored in clear"):
            store.outbox.add([identified_event("Nguyễn Văn An", "001099012345")])
        assert store.outbox.summary()["pending"] == 0


def test_a_version_1_database_is_migrated_with_its_waiting_events(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.db"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    (event,) = ticket_events(1)
    db.execute(
        "INSERT INTO outbox (id, type, occurred_at, body) VALUES (?, ?, ?, ?)",
        (event["id"], event["type"], event["occurred_at"], json.dumps(event)),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Store(path) as store:
        assert [entry["id"] for entry in store.outbox.batch(10)] == [event["id"]]
        assert store.outbox.summary()["personal_pending"] == 0
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
