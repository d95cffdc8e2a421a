"""Identities at rest on the server: sealed under a key per office day that dies with the day,
so no file (database, WAL, free pages, heap, WAL segments, backups) holds one that can be read
once its day is over; database and key files private."""

from __future__ import annotations

import base64
import json
import re
import stat
import unicodedata
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from central.context import Central
from central.day_keys import DayKeys, unseal
from central.db import Database
from central.housekeeping import forget_past_identities
from central.schema import identities
from tests.support.api import CLOCK, Api, Events, today
from tests.support.central import enroll_device, query, running_central

NAME = "Nguyễn Văn An"  # what Events.identified sends
ID_NUMBER = "001099012345"


def forms(text: str) -> list[bytes]:
    """NFC and NFD, UTF-8 and UTF-16, and JSON-escaped."""
    found = []
    for normal in ("NFC", "NFD"):
        variant = unicodedata.normalize(normal, text)
        found += [variant.encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be")]
        found.append(json.dumps(variant).strip('"').encode("ascii"))
    return found


def sealed_blobs(content: bytes) -> list[bytes]:
    return [
        base64.b64decode(m) for m in re.findall(rb'"sealed": ?"([A-Za-z0-9+/=]{40,})"', content)
    ]


def test_identities_are_sealed_in_every_file_and_unreadable_after_their_day(
    tmp_path: Path, database_url: str, office: str
) -> None:
    keys_dir = tmp_path / "keys"
    is_sqlite = database_url.startswith("sqlite")
    if is_sqlite:
        database_url = f"sqlite:///{tmp_path / 'central.db'}"
    token = enroll_device(database_url, office, "lobby", "lobby-01")
    make = Events(office)
    ticket = make.issued("1001")
    with (
        running_central(database_url, CLOCK, key_dir=keys_dir) as url,
        Api(url, token, office=office) as lobby,
    ):
        assert [r["status"] for r in lobby.results([ticket, make.identified(ticket)])] == [
            "accepted",
            "accepted",
        ]
    (stored,) = query(
        database_url,
        select(identities.c.event_id, identities.c.identity).where(identities.c.office == office),
    )
    written = json.dumps(stored.identity, ensure_ascii=False).encode()
    for needle in (*forms(NAME), *forms(ID_NUMBER)):
        assert needle not in written  # what the heap and the WAL receive is this, sealed
    key_file = keys_dir / office / f"{today().isoformat()}.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys_dir.stat().st_mode) == 0o700
    assert unseal(stored.identity, key_file.read_bytes(), stored.event_id)["name"] == NAME
    files: list[Path] = []
    if is_sqlite:
        files = [
            tmp_path / name
            for name in ("central.db", "central.db-wal")
            if (tmp_path / name).exists()
        ]
        assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
        for file in files:
            for needle in (*forms(NAME), *forms(ID_NUMBER)):
                assert needle not in file.read_bytes(), file

    db = Database(database_url)
    try:
        tomorrow = Central(db, DayKeys(keys_dir), clock=lambda: CLOCK() + timedelta(days=1))
        forget_past_identities(tomorrow)
    finally:
        db.dispose()
    assert not key_file.exists()
    remaining = [path.read_bytes() for path in keys_dir.rglob("*.key")]
    blobs = sealed_blobs(written) + [b for file in files for b in sealed_blobs(file.read_bytes())]
    assert blobs
    for key in remaining:
        for blob in blobs:
            assert unseal({"sealed": base64.b64encode(blob).decode()}, key, stored.event_id) is None


def test_on_sqlite_a_closed_sessions_identity_leaves_the_files_at_the_next_sweep(
    tmp_path: Path, office: str
) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    lobby_token = enroll_device(database_url, office, "lobby", "lobby-01")
    counter_token = enroll_device(database_url, office, "counter", "counter-02", counter=2)
    make = Events(office)
    ticket = make.issued("1001")
    with (
        running_central(database_url, CLOCK, key_dir=tmp_path / "keys") as url,
        Api(url, lobby_token, office=office) as lobby,
        Api(url, counter_token, office=office) as counter,
    ):
        lobby.results([ticket, make.identified(ticket)])
        (stored,) = query(database_url, select(identities.c.identity))
        sealed = stored.identity["sealed"].encode("ascii")
        closed = make.session_closed(called_at=CLOCK() - timedelta(minutes=3), closed_at=CLOCK())
        assert counter.results([closed])[0]["status"] == "accepted"
        assert query(database_url, select(identities.c.identity)) == []
        db = Database(database_url)
        try:
            db.scrub()
        finally:
            db.dispose()
    for name in ("central.db", "central.db-wal"):
        file = tmp_path / name
        content = file.read_bytes() if file.exists() else b""
        assert sealed[:40] not in content, name
