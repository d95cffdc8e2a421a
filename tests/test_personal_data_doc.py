"""docs/personal-data.md's table of places the card data travels, checked against the code: every
reference in it exists, and every place the code gives card data to is in it (the server's
routes found black-box: each GET route asked with every kind of credential, on a server holding
a card of a called ticket)."""

from __future__ import annotations

import importlib.util
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
from fastapi.routing import APIRoute

from central.app import create_app
from central.db import Database
from central.enrolment import create_city_token, create_desk_token
from central.envelope import DATA_MODELS
from central.offices import set_office_labels
from central.schema import metadata
from kiosk.store import Store
from tests.support.api import CLOCK, Api, Events, now, today
from tests.support.central import enroll_device, running_central, viewer_token

DOC = Path(__file__).resolve().parents[1] / "docs" / "personal-data.md"
NAME = "Nguyễn Văn Mẫu"
ID_NUMBER = "001099012345"
OFFICE = "00637"
CITY = "Hà Nội"


def references() -> list[str]:
    """The backticked references of the "In the code" column of the places table."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Where the card data travels", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(rows) >= 8
    return [ref for row in rows for ref in re.findall(r"`([^`]+)`", row.rsplit("|", 2)[1])]


def of_kind(prefix: str) -> set[str]:
    return {ref.removeprefix(prefix) for ref in references() if ref.startswith(prefix)}


def test_every_module_named_exists() -> None:
    modules = [r for r in references() if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+", r)]
    assert modules
    assert [m for m in modules if importlib.util.find_spec(m) is None] == []


def test_the_event_types_that_carry_card_data_are_those_listed() -> None:
    carrying = {kind for kind, model in DATA_MODELS.items() if "identity" in model.model_fields}
    assert of_kind("event:") == carrying


def test_the_server_tables_holding_card_data_are_those_listed() -> None:
    holding = {name for name, table in metadata.tables.items() if "identity" in table.columns}
    assert of_kind("table:") == holding


def test_the_device_tables_of_personal_events_are_those_listed(tmp_path: Path) -> None:
    Store(tmp_path / "kiosk.db").close()
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert of_kind("store:") <= tables
    assert of_kind("store:") == {name for name in tables if "personal" in name}


def get_routes(routes: list[Any]) -> list[str]:
    """The paths of every GET route, included routers' too (newer FastAPI keeps an included
    router as one entry; its routes carry their full paths)."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute) and "GET" in route.methods:
            found.append(route.path)
        elif hasattr(route, "original_router"):
            found += get_routes(route.original_router.routes)
    return found


def test_the_routes_that_answer_with_card_data_are_those_listed(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'central.db'}"
    lobby = enroll_device(database_url, OFFICE, "lobby", "lobby-01")
    counter = enroll_device(database_url, OFFICE, "counter", "counter-02", counter=2)
    db = Database(database_url)
    try:
        desk = create_desk_token(db, office=OFFICE, counter=None, now=now()).token
        set_office_labels(db, OFFICE, city=CITY)  # a city token reads the office's reports
        city = create_city_token(db, city=CITY, now=now()).token
    finally:
        db.dispose()
    tokens = [lobby, counter, desk, viewer_token(database_url, OFFICE), city]
    make = Events(OFFICE)
    ticket = make.issued("1001")
    card = {
        "id": ID_NUMBER,
        "old_id": "",
        "name": NAME,
        "birth": "1999-03-15",
        "sex": "M",
        "address": "Hà Nội",
        "issued": "2021-04-20",
        "warnings": [],
    }
    identified = make.event(
        "citizen.identified",
        {**{k: ticket["data"][k] for k in ("day", "label", "ticket_id")}, "identity": card},
        device_id="lobby-01",
    )
    routes = get_routes(create_app(database_url).routes)
    day = today().isoformat()
    params = {"day": day, "label": "1001", "from": day, "to": day, "by": "day"}
    answering: set[str] = set()
    with running_central(database_url, CLOCK) as url:
        with Api(url, lobby, office=OFFICE) as as_lobby:
            assert {r["status"] for r in as_lobby.results([ticket, identified])} == {"accepted"}
        with Api(url, counter, office=OFFICE) as as_counter:
            assert as_counter.call_next(2, ["ho-tich"]).status_code == 200
            code = as_counter.http.post(
                f"/api/v1/offices/{OFFICE}/counters/2/desk-pairing", json={}
            ).json()["code"]
        browser = httpx.Client(base_url=url, timeout=30)
        browser.post(
            "/desk/pair",
            content=f"code={code}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        for path in routes:
            target = path.replace("{office}", OFFICE).replace("{counter}", "2")
            target = target.replace("{city}", CITY)
            callers = [{"Authorization": f"Bearer {token}"} for token in tokens]
            for headers in callers:
                reply = httpx.get(url + target, params=params, headers=headers, timeout=30)
                if NAME in reply.text or ID_NUMBER in reply.text:
                    answering.add(path)
            if NAME in browser.get(target, params=params).text:
                answering.add(path)
        browser.close()
    assert {"/desk/current", "/api/v1/offices/{office}/counters/{counter}/desk"} <= answering
    assert of_kind("GET ") == answering
