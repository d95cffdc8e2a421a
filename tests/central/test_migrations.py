"""The central server's schema migrations (central/migrations), on SQLite and PostgreSQL.

A database made by the release before migrations (tests/central/release_051533c_schema.py, its
schema.py copied) and filled with a day of an office is upgraded by the real `kiosk-central
migrate`: no row is lost and the server serves them. The chain of revisions from an empty
database and the create_all + stamp the server does on a brand-new one both give exactly the
tables of central/schema.py (Alembic's compare_metadata and the DDL the database keeps), so an
edit of schema.py without its revision fails here; the baseline alone gives exactly the
release's tables, so an edit of the baseline fails too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url

from central import migrations
from central.app import create_app
from central.cli import DB_VARIABLE, main
from central.day_keys import DayKeys, seal
from central.db import Database
from central.migrations import SchemaError
from central.schema import metadata, sessions
from central.tokens import digest
from tests.central import release_051533c_schema as release
from tests.support.api import CLOCK, Api, Events, now, today
from tests.support.central import running_central
from tests.support.ports import free_port
from tests.support.processes import REPO_ROOT

OFFICE = "10900"
BACKUP_SCRIPT = str(REPO_ROOT / "install/central/kiosk-central-backup.sh")
NEWEST = f"The database is now at revision {migrations.head()}, the newest."


@pytest.fixture(scope="module")
def new_database(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[], str]]:
    """Makes empty databases of the module's backend (PostgreSQL: beside the module's own,
    dropped after the module)."""
    made: list[str] = []
    admin = make_url(database_url)

    def libpq() -> str:
        return admin.set(drivername="postgresql").render_as_string(hide_password=False)

    def make() -> str:
        if admin.get_backend_name() == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'central.db'}"
        name = f"{admin.database}_{len(made)}"
        with psycopg.connect(libpq(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return admin.set(database=name).render_as_string(hide_password=False)

    yield make
    if made:
        with psycopg.connect(libpq(), autocommit=True) as conn:
            for name in made:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str) -> subprocess.CompletedProcess[str]:
    """The real `kiosk-central migrate`, in its own process, given the database as the systemd
    unit gives it (KIOSK_CENTRAL_DB from its EnvironmentFile)."""
    return subprocess.run(
        [sys.executable, "-m", "central", "migrate"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, DB_VARIABLE: url},
        timeout=60,
        check=False,
    )


def on(url: str, work: Callable[[Connection], Any]) -> Any:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return work(conn)
    finally:
        engine.dispose()


def schema_differences(conn: Connection) -> list[Any]:
    return compare_metadata(MigrationContext.configure(conn), metadata)


def ddl(conn: Connection) -> list[tuple[str, ...]]:
    """The database's own text of its tables and indexes (partial indexes included), but
    Alembic's version table."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE tbl_name <> 'alembic_version'"
    else:
        query = (
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
    rows = conn.execute(text(query)).all()
    if conn.dialect.name == "sqlite":
        # A table remade by a migration (0004) is renamed into place, and SQLite then quotes
        # its name in the table's text: the same table as create_all's unquoted one.
        return sorted((name, sql and sql.replace('"', "")) for name, sql in rows)
    return sorted(tuple(row) for row in rows)


def every_row(conn: Connection, tables: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table.name: [
            tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))
        ]
        for table in tables.sorted_tables
    }


def test_the_chain_and_a_new_database_both_give_the_schema_of_schema_py(
    new_database: Callable[[], str],
) -> None:
    chained, created = new_database(), new_database()
    assert main(["migrate", "--db", chained]) == 0
    db = Database(created)
    try:
        db.create_schema()  # what serve does on a brand-new database: create_all + stamp head
    finally:
        db.dispose()

    for url in (chained, created):
        assert on(url, migrations.current) == migrations.head()
        assert on(url, schema_differences) == []
    assert on(chained, ddl) == on(created, ddl)


def test_the_baseline_is_the_schema_of_the_previous_release(
    new_database: Callable[[], str],
) -> None:
    """Revision 0001 alone, whatever revisions come after it, against the release's schema.py."""
    baseline, released = new_database(), new_database()
    on(baseline, lambda conn: command.upgrade(migrations.alembic_config(conn), migrations.BASELINE))
    on(released, release.metadata.create_all)

    def differences(conn: Connection) -> list[Any]:
        return compare_metadata(MigrationContext.configure(conn), release.metadata)

    assert on(baseline, differences) == []
    assert on(baseline, ddl) == on(released, ddl)


def test_migrate_says_what_it_did_and_a_second_run_changes_nothing(
    new_database: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = new_database()
    assert main(["migrate", "--db", url]) == 0
    first, *later, last = capsys.readouterr().out.splitlines()
    assert first == (
        "Applied revision 0001: Baseline: the schema of the release before migrations"
        " (central/schema.py at 051533c)."
    )
    assert all(line.startswith("Applied revision ") for line in later)
    assert last == NEWEST
    assert main(["migrate", "--db", url]) == 0
    assert capsys.readouterr().out == (
        f"The database is already at the newest revision, {migrations.head()}.\n"
    )


def test_two_migrations_at_once_take_turns(new_database: Callable[[], str]) -> None:
    """Two servers' units starting together on one PostgreSQL database: both wait for the
    schema lock (held here until both do), then one upgrades and the other finds it done."""
    url = new_database()
    if make_url(url).get_backend_name() != "postgresql":
        pytest.skip("on SQLite, BEGIN IMMEDIATE makes writers take turns by itself")
    engine = create_engine(url)
    lock = {"key": migrations.SCHEMA_LOCK}
    waiting = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = :key"
    )
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT pg_advisory_lock(:key)"), lock)
            command = [sys.executable, "-m", "central", "migrate", "--db", url]
            runs = [
                subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
                for _ in range(2)
            ]
            deadline = time.monotonic() + 30
            while holder.execute(waiting, lock).scalar_one() < 2:
                assert time.monotonic() < deadline and all(run.poll() is None for run in runs)
                time.sleep(0.05)
            holder.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
    finally:
        engine.dispose()
    outputs = sorted(run.communicate(timeout=60)[0].splitlines()[-1] for run in runs)
    assert [run.returncode for run in runs] == [0, 0]
    already = f"The database is already at the newest revision, {migrations.head()}."
    assert outputs == [already, NEWEST]
    assert on(url, schema_differences) == []


def test_the_revisions_form_one_chain() -> None:
    """Two branches that each add the next revision give two heads: renumber one of them."""
    scripts = ScriptDirectory.from_config(migrations.alembic_config())
    assert len(scripts.get_heads()) == 1


class Tokens:
    """The bearer tokens of the day's devices (the database keeps their hashes)."""

    lobby = "lobby-token-" + "x" * 32
    counter = "counter-token-" + "x" * 32
    display = "display-token-" + "x" * 32


def fill_like_a_day(conn: Connection, key_dir: Path) -> dict[str, Any]:
    """What a day of an office leaves in the previous release's tables: three devices, three
    tickets (1001 waiting, 1002 called at counter 2 with its citizen's identity, 1003 served
    and rated), their events, changes, calls and the hall key. Returns what the server must
    serve back."""
    day, moment = today(), now() - timedelta(minutes=30)
    make = Events(OFFICE)
    conn.execute(
        insert(release.offices),
        [{"office": OFFICE, "timezone": "Asia/Ho_Chi_Minh", "day_starts_at": "04:00"}],
    )
    conn.execute(
        insert(release.enroll_codes),
        [
            {
                "code_hash": digest("USED-CODE-0001"),
                "office": OFFICE,
                "role": "lobby",
                "counter": None,
                "device_id": "lobby-01",
                "created_at": moment,
                "expires_at": moment + timedelta(days=7),
                "used_at": moment,
            }
        ],
    )
    conn.execute(
        insert(release.devices),
        [
            {
                "office": OFFICE,
                "device_id": device_id,
                "role": role,
                "counter": counter,
                "version": "0.9.0",
                "token_hash": digest(token),
                "enrolled_at": moment,
                "revoked_at": None,
            }
            for device_id, role, counter, token in (
                ("lobby-01", "lobby", None, Tokens.lobby),
                ("counter-02", "counter", 2, Tokens.counter),
                ("display-01", "display", None, Tokens.display),
            )
        ],
    )
    issued = [
        make.issued(label, issued_at=moment + timedelta(minutes=n))
        for n, label in enumerate(("1001", "1002", "1003"))
    ]
    sessions = {"1002": str(uuid.uuid4()), "1003": str(uuid.uuid4())}
    called = [
        make.called(issued[n], session_id=sessions[label], at=moment + timedelta(minutes=5 + n))
        for n, label in ((1, "1002"), (2, "1003"))
    ]
    conn.execute(
        insert(release.events),
        [
            {
                "id": event["id"],
                "office": OFFICE,
                "device_id": event["device_id"],
                "type": event["type"],
                "occurred_at": moment,
                "received_at": moment,
                "data": event["data"],
                "flags": [],
            }
            for event in issued + called
        ],
    )
    conn.execute(
        insert(release.tickets),
        [
            {
                "office": OFFICE,
                "ticket_id": event["data"]["ticket_id"],
                "day": day,
                "label": event["data"]["label"],
                "number": event["data"]["number"],
                "field_id": "ho-tich",
                "priority": False,
                "issued_at": moment + timedelta(minutes=n),
                "state": "waiting" if n == 0 else "called",
                "state_at": None if n == 0 else moment + timedelta(minutes=5 + n),
                "called_at": None if n == 0 else moment + timedelta(minutes=5 + n),
                "counter": None if n == 0 else 2,
                "officer_id": None if n == 0 else "cb-01",
                "session_id": sessions.get(event["data"]["label"]),
            }
            for n, event in enumerate(issued)
        ],
    )
    conn.execute(
        insert(release.ticket_changes),
        [
            {
                "office": OFFICE,
                "change_id": event["id"],
                "day": day,
                "label": event["data"]["label"],
                "field_id": "ho-tich",
                "ticket_id": event["data"]["ticket_id"],
                "state": "called",
                "occurred_at": moment + timedelta(minutes=5 + n),
                "counter": 2,
                "officer_id": "cb-01",
                "session_id": event["data"]["session_id"],
            }
            for n, event in enumerate(called, 1)
        ],
    )
    conn.execute(
        insert(release.sessions),
        [
            {
                "office": OFFICE,
                "session_id": sessions["1003"],
                "day": day,
                "label": "1003",
                "field_id": "ho-tich",
                "counter": 2,
                "officer_id": "cb-01",
                "called_at": moment + timedelta(minutes=7),
                "closed_at": moment + timedelta(minutes=20),
                "outcome": "Hồ sơ đầy đủ – đã tiếp nhận",
                "same_day_result": True,
                "officer_rating_scale": 3,
                "officer_rating_level": 1,
                "flags": [],
            }
        ],
    )
    conn.execute(
        insert(release.ratings),
        [
            {
                "event_id": str(uuid.uuid4()),
                "office": OFFICE,
                "session_id": sessions["1003"],
                "day": day,
                "counter": 2,
                "officer_id": "cb-01",
                "field_id": "ho-tich",
                "rated": True,
                "scale": 3,
                "level": 3,
                "rated_at": moment + timedelta(minutes=21),
                "counted": True,
                "flags": [],
            }
        ],
    )
    identity = {"id_number": "001099012345", "name": "Nguyễn Văn An"}  # a test sample
    identity_event = str(uuid.uuid4())
    key = DayKeys(key_dir).key(OFFICE, day, create=True)
    assert key is not None
    conn.execute(
        insert(release.identities),
        [
            {
                "event_id": identity_event,
                "office": OFFICE,
                "day": day,
                "label": "1002",
                "ticket_id": issued[1]["data"]["ticket_id"],
                "identity": seal(identity, key, identity_event),
                "received_at": moment,
            }
        ],
    )
    conn.execute(insert(release.call_sequences), [{"office": OFFICE, "seq": 2}])
    conn.execute(
        insert(release.calls),
        [
            {
                "office": OFFICE,
                "seq": n,
                "key": f"call:{event['data']['session_id']}",
                "kind": "call",
                "day": day,
                "label": event["data"]["label"],
                "field_id": "ho-tich",
                "counter": 2,
                "occurred_at": moment + timedelta(minutes=5 + n),
                "recorded_at": moment + timedelta(minutes=5 + n),
            }
            for n, event in enumerate(called, 1)
        ],
    )
    conn.execute(
        insert(release.hall_keys),
        [{"office": OFFICE, "key_id": "0a1b2c3d4e5f", "secret": "k" * 43, "created_at": moment}],
    )
    return {"day": day, "identity": identity}


def test_a_database_of_the_previous_release_is_upgraded_without_losing_a_row(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    url = new_database()
    on(url, release.metadata.create_all)
    day = on(url, lambda conn: fill_like_a_day(conn, tmp_path))
    before = on(url, lambda conn: every_row(conn, release.metadata))
    assert all(before.values()), "every table of the release has rows"

    done = migrate(url)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "The database was made before migrations were recorded; its tables are those of"
        " revision 0001, now recorded as such."
    )
    assert done.stdout.splitlines()[-1] == NEWEST
    assert on(url, lambda conn: every_row(conn, release.metadata)) == before
    assert on(url, schema_differences) == []
    with running_central(url, clock=CLOCK, key_dir=tmp_path) as base:
        served_back(base, day["day"].isoformat(), day["identity"])


def served_back(base: str, day: str, identity: dict[str, str]) -> None:
    """The upgraded database's day, as its devices see it; and it takes new work."""
    with (
        Api(base, Tokens.lobby, office=OFFICE) as lobby,
        Api(base, Tokens.counter, office=OFFICE) as counter,
        Api(base, Tokens.display, office=OFFICE) as display,
    ):
        queue = lobby.queue().json()
        assert [(f["field_id"], f["waiting"], f["next_label"]) for f in queue["fields"]] == [
            ("ho-tich", 1, "1001")
        ]
        assert {call["label"] for call in queue["recently_called"]} == {"1002", "1003"}
        calls = display.http.get(f"/api/v1/offices/{OFFICE}/calls", params={"wait": 0}).json()
        assert [(c["seq"], c["label"]) for c in calls["calls"]] == [(1, "1002"), (2, "1003")]
        report = lobby.report(**{"from": day, "to": day, "by": "officer"}).json()
        assert (report["rows"][0]["key"], report["total"]["ballots"]) == ("cb-01", 1)
        assert display.http.get(f"/api/v1/offices/{OFFICE}/hall-key").json()["key_id"] == (
            "0a1b2c3d4e5f"
        )
        held = counter.http.get(
            f"/api/v1/offices/{OFFICE}/counters/2/identity", params={"day": day, "label": "1002"}
        )
        assert held.json() == {"identity": identity}

        taken = counter.call_next(2, ["ho-tich"])
        assert taken.status_code == 200, taken.text
        assert taken.json()["label"] == "1001"
        after = display.http.get(
            f"/api/v1/offices/{OFFICE}/calls", params={"after": 2, "wait": 0}
        ).json()
        assert [(c["seq"], c["label"]) for c in after["calls"]] == [(3, "1001")]
        new = lobby.results([Events(OFFICE).issued("1004")])
        assert [result["status"] for result in new] == ["accepted"]


def test_a_nightly_dump_restores_into_a_database_the_server_serves(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    """install/central/kiosk-central-backup.sh, and the restore of docs/central-deploy.md."""
    original = new_database()
    url = make_url(original)
    if url.get_backend_name() != "postgresql" or not shutil.which("pg_restore"):
        pytest.skip("the nightly dump is of a PostgreSQL database (pg_dump, pg_restore)")
    on(original, release.metadata.create_all)
    day = on(original, lambda conn: fill_like_a_day(conn, tmp_path))
    assert migrate(original).returncode == 0
    backups = tmp_path / "backups"
    backups.mkdir()
    expired = backups / f"{url.database}-20200101T023000Z.dump"
    expired.touch()
    os.utime(expired, (0, 0))
    libpq = {"PGHOST": url.host or "", "PGPORT": str(url.port or 5432),
             "PGUSER": url.username or "", "PGPASSWORD": url.password or ""}  # fmt: skip

    dumped = subprocess.run(
        [BACKUP_SCRIPT, url.database or "", str(backups), "14"],
        capture_output=True, text=True, env={**os.environ, **libpq}, timeout=60, check=False,
    )  # fmt: skip

    assert dumped.returncode == 0, dumped.stderr
    [dump] = backups.iterdir()  # the expired one is gone, no .partial is left
    assert dumped.stdout == f"Backed up the database {url.database} to {dump}.\n"
    restored = new_database()
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={make_url(restored).database}", str(dump)],
        env={**os.environ, **libpq}, timeout=60, check=True,
    )  # fmt: skip
    with running_central(restored, clock=CLOCK, key_dir=tmp_path) as base:
        served_back(base, day["day"].isoformat(), day["identity"])


def test_a_database_of_an_earlier_release_gets_the_tables_it_lacked(
    new_database: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Before ticket_changes (and the hall's tables), a called ticket's state was all there
    was: the change it stands for is added, so the next fold of its changes keeps the call."""
    url = new_database()
    earlier = [table for table in release.metadata.sorted_tables if table.name not in
               ("ticket_changes", "call_sequences", "calls", "hall_keys")]  # fmt: skip
    on(url, lambda conn: release.metadata.create_all(conn, tables=earlier))
    called_at = now() - timedelta(minutes=5)
    ticket = {
        "office": OFFICE, "ticket_id": str(uuid.uuid4()), "day": today(), "label": "1001",
        "number": 1001, "field_id": "ho-tich", "priority": False, "issued_at": called_at,
        "state": "called", "state_at": called_at, "called_at": called_at, "counter": 2,
        "officer_id": "cb-01", "session_id": str(uuid.uuid4()),
    }  # fmt: skip
    on(url, lambda conn: conn.execute(insert(release.tickets), [ticket]))

    assert main(["migrate", "--db", url]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "The database was made by a release before migrations were recorded, without the tables"
        " call_sequences, calls, hall_keys, ticket_changes; revision 0001 adds them."
    )
    assert main(["migrate", "--db", url]) == 0  # a second run adds nothing
    changes = on(url, lambda conn: conn.execute(select(release.ticket_changes)).all())
    assert [(c.change_id, c.state, c.counter, c.officer_id) for c in changes] == [
        (f"before-upgrade:{ticket['ticket_id']}", "called", 2, "cb-01")
    ]
    assert on(url, schema_differences) == []


def test_sessions_closed_before_the_dossier_code_keep_their_rows_without_one(
    new_database: Callable[[], str],
) -> None:
    """Revision 0004 adds sessions.dossier_code to a database of 0002 holding a session."""
    url = new_database()
    on(url, lambda conn: command.upgrade(migrations.alembic_config(conn), "0002"))
    closed_at = now()
    session = {
        "office": OFFICE, "session_id": str(uuid.uuid4()), "day": today(), "label": "1001",
        "field_id": "ho-tich", "counter": 2, "officer_id": "cb-01",
        "called_at": closed_at - timedelta(minutes=5), "closed_at": closed_at,
        "outcome": "da-tiep-nhan", "same_day_result": True, "officer_rating_scale": 3,
        "officer_rating_level": 1, "flags": [],
    }  # fmt: skip
    on(url, lambda conn: conn.execute(insert(release.sessions), [session]))

    assert main(["migrate", "--db", url]) == 0
    rows = on(url, lambda conn: conn.execute(select(sessions)).mappings().all())
    assert [dict(row) for row in rows] == [{**session, "dossier_code": None}]
    assert on(url, schema_differences) == []


def test_the_server_refuses_a_database_that_is_behind(
    new_database: Callable[[], str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = new_database()
    on(url, release.metadata.create_all)

    assert main(["serve", "--db", url, "--port", str(free_port())]) == 1
    assert capsys.readouterr().err == (
        "The database was made by an earlier version of kiosk-central: back it up, then run"
        " kiosk-central migrate.\n"
    )
    with pytest.raises(SchemaError, match="run kiosk-central migrate"):
        create_app(url)
    assert on(url, migrations.current) is None  # nothing was changed


def test_migrate_refuses_an_unknown_revision_part_of_the_tables_or_no_database(
    new_database: Callable[[], str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    newer, partial = new_database(), new_database()
    assert main(["migrate", "--db", newer]) == 0
    on(newer, lambda conn: conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'")))
    on(partial, lambda conn: release.offices.create(conn))
    capsys.readouterr()

    assert main(["migrate", "--db", newer]) == 1
    assert capsys.readouterr().err == (
        "The database is at revision ffff, which this version of kiosk-central does not know:"
        " it was upgraded by a newer version; install that version again.\n"
    )
    assert main(["migrate", "--db", partial]) == 1
    assert capsys.readouterr().err.startswith(
        "The database has some of the server's tables but not devices, enroll_codes, events,"
    )
    assert on(partial, lambda conn: inspect(conn).get_table_names()) == ["offices"]
    nowhere = f"sqlite:///{tmp_path / 'no-such-folder' / 'central.db'}"
    assert main(["migrate", "--db", nowhere]) == 1
    assert capsys.readouterr().err == (
        f"Cannot open the database {nowhere}: it is unreachable, busy or not writable.\n"
    )
