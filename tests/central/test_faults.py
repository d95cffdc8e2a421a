"""A database that refuses an event: the batch is not failed for ever, and the log never holds
the refused data.

The fault is real: a constraint (PostgreSQL) or trigger (SQLite) added to the identities table
makes the database itself refuse the row, as a full disk or a bad value would. PostgreSQL's
message for it quotes the whole failing row, the citizen's ID number and name included.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from central.db import Database
from common.office_clock import aware_now, default_rule
from tests.support.api import Api, Events
from tests.support.central import enroll_device, running_central_process

ID_NUMBER = "001099012345"
NAME = "Nguyễn Văn An"


def refuse_identities(database_url: str, refuse: bool) -> None:
    db = Database(database_url)
    try:
        if db.kind == "postgresql":
            statement = (
                "ALTER TABLE identities ADD CONSTRAINT refuse_all CHECK (office = 'none') NOT VALID"
                if refuse
                else "ALTER TABLE identities DROP CONSTRAINT refuse_all"
            )
        else:
            statement = (
                "CREATE TRIGGER refuse_all BEFORE INSERT ON identities "
                "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                if refuse
                else "DROP TRIGGER refuse_all"
            )
        db.run(lambda conn: conn.execute(text(statement)))
    finally:
        db.dispose()


def test_an_event_the_database_refuses_is_rejected_alone_and_never_logged(
    database_url: str, office: str, tmp_path: Path
) -> None:
    make = Events(office)
    token = enroll_device(database_url, office, "lobby", "lobby-01")
    # The server process runs on the real clock: the events are of its office day.
    moment = aware_now()
    day = default_rule().day_of(moment)
    ticket = make.issued("1001", issued_at=moment, day=day)
    identified = make.identified(ticket)
    batch = [ticket, identified, make.issued("1002", issued_at=moment, day=day)]
    log = tmp_path / "serve.log"
    refuse_identities(database_url, True)
    try:
        with (
            running_central_process(database_url, log) as url,
            Api(url, token, office=office) as api,
        ):
            first = api.post_events(batch)
            again = api.post_events(batch)
    finally:
        refuse_identities(database_url, False)
    assert first.status_code == again.status_code == 200
    assert [r["status"] for r in first.json()["results"]] == ["accepted", "rejected", "accepted"]
    assert first.json()["results"][1]["reason"] == "the server cannot store this event"
    assert [r["status"] for r in again.json()["results"]] == ["duplicate", "rejected", "duplicate"]
    written = log.read_text(encoding="utf-8")
    assert "cannot be stored" in written
    assert ID_NUMBER not in written and NAME not in written and "Failing row" not in written
