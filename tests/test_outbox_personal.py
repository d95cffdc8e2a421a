"""Personal data in the outbox: never in clear on disk, opened only to be sent, gone at the
end of its office day, its key private."""

from __future__ import annotations

import logging
import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from kiosk.personal_data import (
    KEY_FILE,
    PersonalData,
    PersonalKeyError,
    SealBroken,
    load_or_create_personal_key,
    office_day_end,
    open_personal_data,
)
from kiosk.store import Store
from tests.support.clocks import HCM, Clock
from tests.support.device import device_config
from tests.support.events import identified_event, ticket_events

NAME = "Trần Thị Bích Ngọc"
ID_NUMBER = "079185001234"


def test_the_sqlite_files_never_hold_the_name_or_id_number(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    path = tmp_path / "kiosk.db"
    event = identified_event(NAME, ID_NUMBER)
    with Store(path) as store:
        personal = open_personal_data(store, tmp_path, config.office)
        personal.add_event(event)
        files = [path, path.with_name("kiosk.db-wal")]
        assert files[1].stat().st_size > 0, "the event is in the WAL, not yet checkpointed"
        for needle in (NAME, ID_NUMBER, "id_number", "identity"):
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                for file in files:
                    assert needle.encode(encoding) not in file.read_bytes(), (needle, file)
        (entry,) = store.outbox.batch(10)
        assert entry["personal"] and "data" not in entry["body"]
        assert personal.open(entry["body"]) == event
        assert store.outbox.summary()["personal_pending"] == 1


def test_an_acknowledged_personal_event_is_deleted(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    with Store(tmp_path / "kiosk.db") as store:
        open_personal_data(store, tmp_path, config.office).add_event(
            identified_event(NAME, ID_NUMBER)
        )
        (entry,) = store.outbox.batch(10)
        store.outbox.settle([entry["id"]], {})
        assert store.outbox.summary() == {
            "pending": 0,
            "quarantined": 0,
            "oldest_pending": None,
            "personal_pending": 0,
        }


def test_a_sealed_event_does_not_open_with_another_key_or_altered(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    with Store(tmp_path / "kiosk.db") as store:
        open_personal_data(store, tmp_path / "a", config.office).add_event(
            identified_event(NAME, ID_NUMBER)
        )
        (entry,) = store.outbox.batch(10)
        other = open_personal_data(store, tmp_path / "b", config.office)
        with pytest.raises(SealBroken, match="cannot be decrypted"):
            other.open(entry["body"])
        mine = open_personal_data(store, tmp_path / "a", config.office)
        with pytest.raises(SealBroken):  # the sealed data moved to another event id
            mine.open({**entry["body"], "id": ticket_events(1)[0]["id"]})


@pytest.mark.parametrize(
    ("occurred", "ends"),
    [
        (datetime(2025, 7, 1, 9, 30, tzinfo=HCM), datetime(2025, 7, 2, 4, 0, tzinfo=HCM)),
        (datetime(2025, 7, 1, 23, 59, tzinfo=HCM), datetime(2025, 7, 2, 4, 0, tzinfo=HCM)),
        # before day_starts_at (04:00) it is still the previous office day
        (datetime(2025, 7, 2, 3, 59, tzinfo=HCM), datetime(2025, 7, 2, 4, 0, tzinfo=HCM)),
        (datetime(2025, 7, 2, 4, 0, tzinfo=HCM), datetime(2025, 7, 3, 4, 0, tzinfo=HCM)),
    ],
)
def test_the_office_day_ends_at_the_next_day_start(
    tmp_path: Path, occurred: datetime, ends: datetime
) -> None:
    assert office_day_end(occurred, device_config(tmp_path).office) == ends


def test_unsent_personal_events_are_dropped_when_their_office_day_ends(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    clock = Clock(datetime(2025, 7, 1, 16, 0, tzinfo=HCM))
    event = identified_event(NAME, ID_NUMBER)
    event["occurred_at"] = clock.now.isoformat()
    with Store(tmp_path / "kiosk.db") as store:
        key = load_or_create_personal_key(tmp_path / KEY_FILE)
        personal = PersonalData(store, key, config.office, clock)
        personal.add_event(event)
        store.outbox.add(ticket_events(2))
        clock.now = datetime(2025, 7, 2, 3, 59, 59, tzinfo=HCM)
        assert personal.purge_expired() == 0
        clock.now = datetime(2025, 7, 2, 4, 0, tzinfo=HCM)
        assert personal.purge_expired() == 1
        summary = store.outbox.summary()
        assert (summary["pending"], summary["personal_pending"]) == (2, 0)


def test_a_quarantined_personal_event_is_dropped_at_the_end_of_its_day_too(
    tmp_path: Path,
) -> None:
    config = device_config(tmp_path)
    clock = Clock(datetime(2025, 7, 1, 16, 0, tzinfo=HCM))
    event = identified_event(NAME, ID_NUMBER)
    event["occurred_at"] = clock.now.isoformat()
    with Store(tmp_path / "kiosk.db") as store:
        personal = PersonalData(store, bytes(32), config.office, clock)
        personal.add_event(event)
        store.outbox.settle([], {event["id"]: "data: identity is not valid"})
        clock.now = datetime(2025, 7, 2, 4, 0, tzinfo=HCM)
        assert personal.purge_expired() == 1
        assert store.outbox.quarantined() == []


def test_only_citizen_identified_events_are_sealed(tmp_path: Path) -> None:
    config = device_config(tmp_path)
    with Store(tmp_path / "kiosk.db") as store:
        personal = PersonalData(store, bytes(32), config.office)
        with pytest.raises(ValueError, match="carry no personal data"):
            personal.add_event(ticket_events(1)[0])


def test_the_key_is_created_private_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "data" / KEY_FILE
    key = load_or_create_personal_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 32
    assert load_or_create_personal_key(path) == key
    assert [p.name for p in path.parent.iterdir()] == [KEY_FILE]  # no temporary file left


def test_a_key_readable_by_others_is_made_private_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / KEY_FILE
    key = load_or_create_personal_key(path)
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        assert load_or_create_personal_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by others" in caplog.text


def test_a_damaged_key_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / KEY_FILE
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(PersonalKeyError, match="must be exactly 32 bytes"):
        load_or_create_personal_key(path)


def forms(text: str) -> list[bytes]:
    """The byte forms a text may take in a file: NFC and NFD, UTF-8 and UTF-16, JSON-escaped."""
    import json
    import unicodedata

    found = []
    for normal in ("NFC", "NFD"):
        variant = unicodedata.normalize(normal, text)
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            found.append(variant.encode(encoding))
        found.append(json.dumps(variant).strip('"').encode("ascii"))
    return found


def test_an_acknowledged_identity_leaves_no_copy_in_any_file_while_the_kiosk_runs(
    tmp_path: Path,
) -> None:
    """Deleted rows are overwritten (secure_delete), and the WAL, which still held them for
    the next tickets, is emptied: nothing the personal key could open is left on disk."""
    config = device_config(tmp_path)
    path = tmp_path / "kiosk.db"
    with Store(path) as store:
        personal = open_personal_data(store, tmp_path, config.office)
        personal.add_event(identified_event(NAME, ID_NUMBER))
        (entry,) = store.outbox.batch(10)
        sealed = entry["body"]["sealed"].encode("ascii")
        files = [path, path.with_name("kiosk.db-wal")]
        assert any(sealed in file.read_bytes() for file in files)
        store.outbox.settle([entry["id"]], {})
        store.outbox.add(ticket_events(5))  # the kiosk goes on issuing tickets
        for file in files:
            content = file.read_bytes() if file.exists() else b""
            assert sealed not in content and sealed[:40] not in content, file
            for needle in (*forms(NAME), *forms(ID_NUMBER)):
                assert needle not in content, (needle, file)
