"""The schema's history (Alembic revisions in versions/) and the check that a database is at it.

`migrate` brings any database of ours to the newest revision: an empty one through every
revision; one made before migrations were recorded (no alembic_version) is recognised by its
tables: with all of the baseline's (the release of 051533c) it is stamped as the baseline, with
those of an earlier release the baseline creates the tables it lacks. `check` is what
the server and the administrator's commands run at start: a brand-new database gets the schema
at once (create_all and a stamp of head, the practice Alembic documents, and faster than running
the chain; tests/central/test_migrations.py proves both give the same schema), and a database
behind or at a revision this version does not know is refused with the sentence to act on.

Both run inside the caller's transaction, which on PostgreSQL first takes an advisory lock, so
several processes starting at once take turns.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from central.schema import metadata

log = logging.getLogger(__name__)

BASELINE = "0001"
VERSION_TABLE = "alembic_version"
SCHEMA_LOCK = 7_212_026  # the advisory lock key of schema changes (any constant of ours)


class SchemaError(Exception):
    """A database this version cannot use as it is; the message is one sentence to act on."""


@dataclass(frozen=True)
class Step:
    """One revision applied by `migrate`."""

    revision: str
    title: str  # the first paragraph of its docstring


@dataclass(frozen=True)
class Upgrade:
    """What `migrate` did: the revision the database was at (None: empty or made before
    migrations), whether it was made before migrations and which of the baseline's tables it
    lacked then, the revisions applied, oldest first, and the revision it is at now."""

    start: str | None
    before_migrations: bool
    lacked: Sequence[str]
    steps: Sequence[Step]
    end: str


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration without alembic.ini: the scripts of this package, and the
    connection env.py runs them on."""
    config = Config()
    config.set_main_option("script_location", "central:migrations")
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision."""
    newest = _scripts().get_current_head()
    assert newest is not None, "central/migrations/versions has no revision"
    return newest


def current(conn: Connection) -> str | None:
    """The revision the database is stamped with (None: not stamped)."""
    return MigrationContext.configure(conn).get_current_revision()


def check(conn: Connection) -> None:
    """Give a brand-new database the newest schema; refuse one that is not at it."""
    _lock(conn)
    revision = current(conn)
    if revision == head():
        return
    if revision is None and not _our_tables(conn):
        metadata.create_all(conn)
        MigrationContext.configure(conn).stamp(_scripts(), "head")
        log.info("created the schema of revision %s in the new database", head())
        return
    if revision is not None and not _known(revision):
        raise SchemaError(_unknown(revision))
    raise SchemaError(
        "The database was made by an earlier version of kiosk-central: back it up, then run"
        " kiosk-central migrate"
    )


def migrate(conn: Connection) -> Upgrade:
    """Upgrade the database to the newest revision."""
    _lock(conn)
    start = current(conn)
    tables = _our_tables(conn) if start is None else set()
    lacked = sorted(_baseline().TABLES.keys() - tables) if tables else []
    if start is not None and not _known(start):
        raise SchemaError(_unknown(start))
    if tables and not lacked:
        MigrationContext.configure(conn).stamp(_scripts(), BASELINE)
        start = BASELINE
    elif tables and not tables.issuperset(_baseline().FIRST_TABLES):
        absent = ", ".join(sorted(_baseline().FIRST_TABLES - tables))
        raise SchemaError(
            f"The database has some of the server's tables but not {absent}:"
            " it was not made by a release of kiosk-central this version can upgrade"
        )
    steps = [
        Step(script.revision, " ".join(script.doc.split()))
        for script in reversed(list(_scripts().iterate_revisions(head(), start)))
    ]
    command.upgrade(alembic_config(conn), "head")
    return Upgrade(start, bool(tables), lacked, steps, head())


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})


def _our_tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {VERSION_TABLE}


def _baseline() -> Any:
    """The baseline revision's module: the tables of the releases before migrations."""
    return _scripts().get_revision(BASELINE).module


def _known(revision: str) -> bool:
    return any(script.revision == revision for script in _scripts().walk_revisions())


def _unknown(revision: str) -> str:
    return (
        f"The database is at revision {revision}, which this version of kiosk-central does not"
        " know: it was upgraded by a newer version; install that version again"
    )
