"""The officer's desk: pairing a browser with a counter, the called citizen's card data for that
counter only while its session is open, the provincial software's desk token, the counter's own
scan, and the access log that never holds the data (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from central.desk_page import FIELD_LABELS
from central.schema import desk_access
from tests.support.api import CLOCK, Api, Events, minutes, now, today
from tests.support.central import enroll_device, query, running_central, viewer_token
from tests.support.processes import REPO_ROOT

CARD = {
    "id": "001099012345",
    "old_id": "013456789",
    "name": "Nguyễn Văn Mẫu",
    "birth": "1999-03-15",
    "sex": "M",
    "address": "Số 12 ngõ 34 phố Thử Nghiệm, Phường Trung Văn, Hà Nội",
    "issued": "2021-04-20",
    "warnings": [],
}


@pytest.fixture
def desk_browser(base_url: str) -> Iterator[httpx.Client]:
    """A browser of the officer's PC: a cookie jar, no token."""
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        yield client


def identified(make: Events, ticket: dict, card: dict = CARD, **extra: object) -> dict:
    data = {
        "day": ticket["data"]["day"],
        "label": ticket["data"]["label"],
        "ticket_id": ticket["data"]["ticket_id"],
        "identity": card,
        **extra,
    }
    device = "counter-02" if extra.get("source") == "counter" else "lobby-01"
    return make.event("citizen.identified", data, device_id=device)


def pair(counter: Api, browser: httpx.Client, office: str) -> httpx.Response:
    code = counter.http.post(f"/api/v1/offices/{office}/counters/2/desk-pairing", json={})
    assert code.status_code == 200, code.text
    assert re.fullmatch(r"\d{3}-\d{3}", code.json()["code"])
    return browser.post(
        "/desk/pair",
        content=f"code={code.json()['code']}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def current(browser: httpx.Client) -> dict:
    reply = browser.get("/desk/current")
    assert reply.status_code == 200, reply.text
    assert reply.headers["cache-control"] == "no-store"
    return reply.json()


def test_a_paired_browser_sees_the_called_citizens_card_until_the_session_closes(
    base_url, database_url, office, make, lobby, counter, desk_browser
):
    assert "Mã ghép" in desk_browser.get("/desk").text  # not paired: the form
    assert desk_browser.get("/desk/current").status_code == 401
    paired = pair(counter, desk_browser, office)
    assert paired.status_code == 303 and paired.headers["location"] == "/desk"
    cookie = paired.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/desk" in cookie
    page = desk_browser.get("/desk")
    assert "Quầy 2" in page.text and "nonce-" in page.headers["content-security-policy"]
    assert current(desk_browser)["state"] == "no_ticket"

    ticket = make.issued("1001")
    assert {r["status"] for r in lobby.results([ticket, identified(make, ticket)])} == {"accepted"}
    called = counter.call_next(2, ["ho-tich"]).json()
    record = current(desk_browser)
    assert record["state"] == "card" and record["ticket"]["label"] == "1001"
    card = record["card"]
    assert {name: card[name] for name, _, _ in FIELD_LABELS} == {
        name: CARD[name] for name, _, _ in FIELD_LABELS
    }
    assert card["source"] == "lobby"

    closed = make.session_closed(
        label="1001", called_at=now() - minutes(1), closed_at=now(), session_id=called["session_id"]
    )
    assert counter.results([closed])[0]["status"] == "accepted"
    assert current(desk_browser)["state"] == "no_ticket"

    # The access log: each citizen's read once (polls collapsed), who and which ticket, no data.
    for _ in range(3):
        current(desk_browser)
    viewer = Api(base_url, viewer_token(database_url, office), office=office)
    entries = viewer.http.get(
        f"/api/v1/offices/{office}/desk-access", params={"day": today().isoformat()}
    ).json()["entries"]
    kinds = [(e["kind"], e["label"]) for e in entries]
    assert kinds == [
        ("paired", None),
        ("read_no_card", None),
        ("read_card", "1001"),
        ("read_no_card", None),
    ]
    assert entries[-1]["reads"] == 4 and entries[0]["reader"].startswith("desk-page-")
    token = viewer_token(database_url, office)
    page = desk_browser.get(
        f"/api/v1/offices/{office}/desk-access/page",
        params={"day": today().isoformat(), "token": token},
    )
    assert page.status_code == 200 and "Xem dữ liệu thẻ" in page.text and "1001" in page.text
    assert CARD["name"] not in page.text and CARD["id"] not in page.text
    rows = query(database_url, select(desk_access).where(desk_access.c.office == office))
    assert all(CARD["name"] not in str(row) and CARD["id"] not in str(row) for row in rows)
    viewer.http.close()


def test_a_citizen_who_gave_no_card_is_said_so(office, make, lobby, counter, desk_browser):
    pair(counter, desk_browser, office)
    lobby.results([make.issued("1002")])
    counter.call_next(2, ["ho-tich"])
    record = current(desk_browser)
    assert (record["state"], record["ticket"]["label"], record["card"]) == ("no_card", "1002", None)


def test_the_officers_own_scan_at_the_counter_supersedes_the_lobbys(
    database_url, office, make, lobby, counter, desk_browser
):
    pair(counter, desk_browser, office)
    ticket = make.issued("1003")
    lobby.results([ticket])
    called = counter.call_next(2, ["ho-tich"]).json()
    at_counter = {**CARD, "name": "Trần Thị Bình"}
    extra = {"source": "counter", "counter": 2, "session_id": called["session_id"]}
    assert counter.results([identified(make, ticket, at_counter, **extra)])[0]["status"] == (
        "accepted"
    )
    card = current(desk_browser)["card"]
    assert (card["name"], card["source"]) == ("Trần Thị Bình", "counter")
    # Another counter's device may not say it read this citizen's card.
    other = Api(
        counter.http.base_url,
        enroll_device(database_url, office, "counter", "counter-03", counter=3),
        office=office,
    )
    wrong = {**extra, "counter": 2}
    result = other.results([identified(make, ticket, CARD, **wrong) | {"device_id": "counter-03"}])
    assert result[0]["status"] == "rejected" and "counter" in result[0]["reason"]
    # A lobby may not claim a counter's read, a counter may not send a lobby's.
    assert lobby.results([identified(make, ticket, CARD, source="counter")])[0]["status"] == (
        "rejected"
    )
    assert counter.results([identified(make, ticket) | {"device_id": "counter-02"}])[0][
        "status"
    ] == ("rejected")
    other.http.close()


def test_wrong_used_and_foreign_codes_are_refused_and_guessing_is_slowed(
    base_url, database_url, office, lobby, counter, desk_browser
):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (
        lobby.http.post(f"/api/v1/offices/{office}/counters/2/desk-pairing", json={}).status_code
        == 403
    )
    assert (
        counter.http.post(f"/api/v1/offices/{office}/counters/3/desk-pairing", json={}).status_code
        == 403
    )
    code = counter.http.post(f"/api/v1/offices/{office}/counters/2/desk-pairing", json={}).json()
    newer = counter.http.post(f"/api/v1/offices/{office}/counters/2/desk-pairing", json={}).json()
    replaced = desk_browser.post("/desk/pair", content=f"code={code['code']}", headers=form)
    if code["code"] != newer["code"]:
        assert replaced.status_code == 400 and "hết hạn" in replaced.text
    assert (
        desk_browser.post("/desk/pair", content=f"code={newer['code']}", headers=form).status_code
        == 303
    )
    with httpx.Client(base_url=base_url, timeout=30) as second:
        reused = second.post("/desk/pair", content=f"code={newer['code']}", headers=form)
        assert reused.status_code == 400  # one-time
    # A server of its own: the guesser's address stays blocked for a minute.
    with (
        running_central(database_url, CLOCK) as url,
        httpx.Client(base_url=url, timeout=30) as guesser,
    ):
        answers = [
            guesser.post("/desk/pair", content="code=000-000", headers=form) for _ in range(7)
        ]
    assert [a.status_code for a in answers][-2:] == [429, 429]
    assert "chờ một phút" in answers[-1].text


def test_the_desk_token_reads_its_counters_desk_and_nothing_else(
    base_url, database_url, office, make, lobby, counter
):
    from central.db import Database
    from central.enrolment import create_desk_token

    db = Database(database_url)
    try:
        everyone = create_desk_token(db, office=office, counter=None, now=now()).token
        only_3 = create_desk_token(db, office=office, counter=3, now=now()).token
    finally:
        db.dispose()
    ticket = make.issued("1004")
    lobby.results([ticket, identified(make, ticket)])
    counter.call_next(2, ["ho-tich"])
    path = f"/api/v1/offices/{office}/counters/2/desk"
    with (
        Api(base_url, everyone, office=office) as desk,
        Api(base_url, only_3, office=office) as three,
    ):
        body = desk.http.get(path).json()
        assert body["state"] == "card" and body["card"]["id"] == CARD["id"]
        assert three.http.get(path).status_code == 403
        assert desk.http.get("/api/v1/offices/99999/counters/2/desk").status_code == 403
        assert desk.queue().status_code == 403  # the desk only
        assert desk.report(**{"from": "2026-01-01", "to": "2026-01-02"}).status_code == 403
        assert desk.post_events([make.issued("1005")]).status_code == 403
    assert counter.http.get(path).status_code == 403
    with Api(base_url, viewer_token(database_url, office), office=office) as viewer:
        assert viewer.http.get(path).status_code == 403


def test_kiosk_central_desk_token_prints_a_token_and_its_revocable_id(database_url, office):
    import subprocess
    import sys

    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "central",
            "desk-token",
            "--db",
            database_url,
            "--office",
            office,
            "--counter",
            "2",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert len(made.stdout.strip()) >= 40
    assert re.search(r"desk-[0-9a-f]{8} of office \d{5} \(counter 2\)", made.stderr)


def test_the_officers_scan_stays_first_when_a_lobby_read_arrives_after_it(
    office, make, lobby, counter, desk_browser
):
    pair(counter, desk_browser, office)
    ticket = make.issued("1006")
    lobby.results([ticket])
    called = counter.call_next(2, ["ho-tich"]).json()
    extra = {"source": "counter", "counter": 2, "session_id": called["session_id"]}
    counter.results([identified(make, ticket, {**CARD, "name": "Trần Thị Bình"}, **extra)])
    lobby.results([identified(make, ticket)])  # the lobby's outbox drains after an outage
    assert current(desk_browser)["card"]["name"] == "Trần Thị Bình"


def test_a_card_read_carries_the_cards_fields_and_nothing_else(office, make, lobby):
    ticket = make.issued("1007")
    lobby.results([ticket])
    extra_key = identified(make, ticket)
    extra_key["data"]["name"] = CARD["name"]  # would be kept in clear with the event
    odd_field = identified(make, ticket, {**CARD, "phone": "0912345678"})
    not_text = identified(make, ticket, {**CARD, "id": 123})
    for result in lobby.results([extra_key, odd_field, not_text]):
        assert result["status"] == "rejected", result


def test_revoking_a_desk_page_or_its_counter_ends_the_browsers_session(
    database_url, office, counter, desk_browser, base_url, capsys
):
    from central.cli import main

    def revoke(device_id: str) -> str:
        assert (
            main(["revoke", "--db", database_url, "--office", office, "--device-id", device_id])
            == 0
        )
        return capsys.readouterr().out

    pair(counter, desk_browser, office)
    assert desk_browser.get("/desk/current").status_code == 200
    assert "Ended the desk page session" in revoke(current_reader(database_url, office))
    assert desk_browser.get("/desk/current").status_code == 401
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as second:
        pair(counter, second, office)
        assert second.get("/desk/current").status_code == 200
        assert "Ended 1 desk page session(s)" in revoke("counter-02")
        assert second.get("/desk/current").status_code == 401


def current_reader(database_url: str, office: str) -> str:
    rows = query(database_url, select(desk_access.c.reader).where(desk_access.c.office == office))
    return rows[-1].reader
