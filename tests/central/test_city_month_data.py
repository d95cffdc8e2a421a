"""bench/city_month_data.py writes what the projections write: a small city's visits played
through the API as their devices' events (on SQLite and PostgreSQL) leave exactly the
generator's rows in every table it writes, and the same visits loaded by its COPY into a
database of their own give the same rows and the same reports."""

from __future__ import annotations

import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from central import schema
from central.db import Database
from central.service_report import (
    office_totals,
    office_totals_in_python,
    service_report,
    service_report_in_python,
)
from tests.support.api import CLOCK, Api
from tests.support.central import enroll_device, query, running_central, viewer_token
from tests.support.processes import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
import city_month_data as city

SIZE = {"offices": 2, "days": 2, "tickets": 40, "seed": 7}
BATCH = 50


def city_visits() -> list[city.Visit]:
    return [visit for _, visits in city.city_days(**SIZE) for visit in visits]


def offices() -> list[str]:
    return city.office_codes(SIZE["offices"])


@pytest.fixture(scope="module")
def played(base_url: str, database_url: str) -> list[city.Visit]:
    """Each device's events sent in batches, in the order it made them."""
    visits = city_visits()
    sent: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for visit in visits:
        for event in city.events_of(visit):
            sent[(event["office"], event["device_id"])].append(event)
    for (office, device_id), events in sent.items():
        role, _, number = device_id.partition("-")
        counter = int(number) if role == "counter" else None
        token = enroll_device(database_url, office, role, device_id, counter=counter)
        with Api(base_url, token, office=office) as api:
            for start in range(0, len(events), BATCH):
                results = api.results(events[start : start + BATCH])
                assert {result["status"] for result in results} == {"accepted"}, results
    return visits


def generated_rows(visits: list[city.Visit], table: str) -> list[tuple[Any, ...]]:
    rows = [row for visit in visits for _, of, row in city.rows_of(visit) if of == table]
    return sorted(_values(row, table) for row in rows)


def stored_rows(database_url: str, table: str) -> list[tuple[Any, ...]]:
    found = schema.metadata.tables[table]
    rows = query(database_url, select(found).where(found.c.office.in_(offices())))
    return sorted(_values(row._asdict(), table) for row in rows)


def _values(row: dict[str, Any], table: str) -> tuple[Any, ...]:
    """The row in the generator's column order, lists (JSON flags) as tuples: comparable."""
    return tuple(
        tuple(row[name]) if isinstance(row[name], list) else row[name]
        for name in city.COLUMNS[table]
    )


@pytest.mark.parametrize("table", city.TABLES)
def test_played_events_leave_the_generated_rows(
    played: list[city.Visit], database_url: str, table: str
) -> None:
    expected = generated_rows(played, table)
    assert expected, f"the small city has {table}"
    assert stored_rows(database_url, table) == expected


def test_the_small_city_has_the_cases_reports_count() -> None:
    visits = city_visits()
    changes = [change for visit in visits for change in visit.changes]
    assert any(change.state == city.SKIPPED for change in changes)
    assert any(visit.session is None and visit.changes for visit in visits)  # no-shows
    assert any(visit.rating and visit.rating["level"] is None for visit in visits)
    assert any(visit.consent and visit.consent["withdrawn_at"] for visit in visits)
    recalled = [
        visit
        for visit in visits
        if len({c.session_id for c in visit.changes if c.state == city.CALLED})
        < sum(c.state == city.CALLED for c in visit.changes)
    ]
    assert recalled


def test_the_generator_is_deterministic() -> None:
    first, again = city_visits(), city_visits()
    for table in city.TABLES:
        assert generated_rows(first, table) == generated_rows(again, table)


@pytest.fixture(scope="module")
def loaded_url(postgresql_url: str) -> Iterator[str]:
    """A database of its own, given the small city by the generator's COPY."""
    name = f"kiosk_city_{uuid.uuid4().hex[:12]}"
    admin = make_url(postgresql_url).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgresql_url).set(database=name).render_as_string(hide_password=False)
    try:
        city.load(url, **SIZE, reset=False)
        yield url
    finally:
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("table", city.TABLES)
def test_loaded_rows_are_the_played_ones(
    played: list[city.Visit], database_url: str, loaded_url: str, table: str
) -> None:
    assert stored_rows(loaded_url, table) == stored_rows(database_url, table)


def reports(base_url: str, database_url: str) -> dict[tuple[str, str], Any]:
    """Every office's service report by each grouping and satisfaction report by each, over
    the generated month."""
    days = city.working_days(SIZE["days"])
    period = {"from": date(2026, 10, 1).isoformat(), "to": days[-1].isoformat()}
    found = {}
    for office in offices():
        with Api(base_url, viewer_token(database_url, office), office=office) as api:
            for report, groupings in (
                ("service", ("day", "field", "counter", "officer", "hour")),
                ("satisfaction", ("day", "field", "counter", "officer")),
            ):
                for by in groupings:
                    path = f"/api/v1/offices/{office}/reports/{report}"
                    response = api.http.get(path, params={**period, "by": by})
                    assert response.status_code == 200, response.text
                    found[(office, f"{report} by {by}")] = response.json()
    return found


def test_loaded_city_reports_as_the_played_one(
    played: list[city.Visit], base_url: str, database_url: str, loaded_url: str
) -> None:
    with running_central(loaded_url, clock=CLOCK) as loaded_base:
        loaded = reports(loaded_base, loaded_url)
    assert loaded == reports(base_url, database_url)
    assert all(body["total"]["issued"] for key, body in loaded.items() if "service" in key[1])


LARGER = {"offices": 3, "days": 3, "tickets": 300, "seed": 11}


@pytest.fixture(scope="module")
def larger_city(postgresql_url: str) -> Iterator[Database]:
    """A city of 2,700 tickets on PostgreSQL, by the generator's COPY."""
    name = f"kiosk_city_{uuid.uuid4().hex[:12]}"
    admin = make_url(postgresql_url).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(postgresql_url).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    try:
        city.load(url, **LARGER, reset=False)
        yield db
    finally:
        db.dispose()
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("by", ["day", "field", "counter", "officer", "hour"])
def test_postgresql_computes_the_figures_python_does(larger_city: Database, by: str) -> None:
    """central.service_sql against the Python path on the same rows: every figure identical
    (several thousand medians and percentiles of millisecond durations, halves among them)."""
    first, last = date(2026, 10, 1), city.working_days(LARGER["days"])[-1]
    for office in city.office_codes(LARGER["offices"]):
        period = {"office": office, "first": first, "last": last, "zone": city.ZONE}
        assert service_report(larger_city, **period, by=by) == service_report_in_python(
            larger_city, **period, by=by
        )
    offices = city.office_codes(LARGER["offices"])
    period = {"offices": offices, "first": first, "last": last, "zone_of": lambda _: city.ZONE}
    assert office_totals(larger_city, **period) == office_totals_in_python(larger_city, **period)
