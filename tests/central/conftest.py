"""Fixtures of the central server tests: every test runs against SQLite and PostgreSQL, behind a
real uvicorn server on 127.0.0.1.

Each test module gets a new database (and server) per backend, and each test an office of its
own in it: the server keeps offices apart, so no test sees another's tickets or ratings.

PostgreSQL comes from KIOSK_TEST_POSTGRES_URL (a database the role may connect to; the role
needs CREATEDB: each test module creates and drops its own database). Without it the PostgreSQL
tests are skipped, or fail when CI is set. The set-up CI needs, as root on Debian:

    apt-get install -y postgresql
    pg_ctlcluster 15 main start
    su postgres -c "psql -c \"CREATE ROLE kiosk LOGIN PASSWORD 'kiosk' CREATEDB\""
    su postgres -c "createdb -O kiosk kiosk_test"
    export KIOSK_TEST_POSTGRES_URL=postgresql+psycopg://kiosk:kiosk@127.0.0.1:5432/kiosk_test
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.api import CLOCK, Api, Events
from tests.support.central import enroll_device, running_central

POSTGRES_ENV = "KIOSK_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if url:
        return url
    reason = (
        f"{POSTGRES_ENV} is not set: the central server's PostgreSQL tests need a database "
        "(see tests/central/conftest.py)"
    )
    if os.environ.get("CI"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _libpq(url: str) -> str:
    """The psycopg connection string of an SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def postgresql_url() -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped after the module."""
    admin = _postgres_admin_url()
    name = f"kiosk_central_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('central') / 'central.db'}"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that uses it runs twice: on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(scope="module")
def base_url(database_url: str) -> Iterator[str]:
    with running_central(database_url, clock=CLOCK) as url:
        yield url


_offices = itertools.count(10000)


@pytest.fixture
def office() -> str:
    """An office code no other test uses."""
    return f"{next(_offices):05d}"


@pytest.fixture
def make(office: str) -> Events:
    return Events(office)


@pytest.fixture
def lobby(base_url: str, database_url: str, office: str) -> Iterator[Api]:
    """The API as the office's lobby kiosk `lobby-01` sees it."""
    token = enroll_device(database_url, office, "lobby", "lobby-01")
    with Api(base_url, token, office=office) as api:
        yield api


@pytest.fixture
def counter(base_url: str, database_url: str, office: str) -> Iterator[Api]:
    """The API as the tablet of counter 2, `counter-02`, sees it."""
    token = enroll_device(database_url, office, "counter", "counter-02", counter=2)
    with Api(base_url, token, office=office) as api:
        yield api
