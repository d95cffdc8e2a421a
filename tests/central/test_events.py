"""POST /api/v1/events: accepted, duplicate, rejected with a reason, limits, exactly-once."""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from central.context import Central
from central.day_keys import DayKeys
from central.db import Database
from central.housekeeping import forget_past_identities
from central.schema import events, identities, ratings, tickets
from tests.support.api import OTHER_OFFICE, Api, Events, minutes, now, today
from tests.support.central import enroll_device, query

Change = Callable[[dict[str, Any]], Any]


def test_every_type_is_accepted_and_a_resend_is_a_duplicate(
    lobby: Api, counter: Api, make: Events
) -> None:
    ticket = make.issued("1001")
    printed = make.event(
        "ticket.printed",
        {
            "ticket_id": ticket["data"]["ticket_id"],
            "day": ticket["data"]["day"],
            "field_id": "ho-tich",
            "label": "1001",
            "attempts": 1,
        },
        device_id="lobby-01",
    )
    session = str(uuid.uuid4())
    from_lobby = [ticket, printed, make.identified(ticket)]
    from_counter = [
        make.called(ticket, session_id=session),
        make.called(ticket, type="ticket.recalled", session_id=session),
        make.called(ticket, type="ticket.skipped", session_id=session),
        make.session_closed(called_at=now() - minutes(5), closed_at=now(), session_id=session),
        make.citizen_rating(level=1, session_id=session),
    ]
    for api, batch in ((lobby, from_lobby), (counter, from_counter)):
        results = api.results(batch)
        assert results == [{"id": sent["id"], "status": "accepted"} for sent in batch]
        again = api.results(batch)
        assert again == [{"id": sent["id"], "status": "duplicate"} for sent in batch]


def test_extra_data_keys_are_kept(lobby: Api, make: Events, database_url: str) -> None:
    ticket = make.issued("1001")
    ticket["data"]["kiosk_note"] = {"paper": "low"}
    assert lobby.results([ticket])[0]["status"] == "accepted"
    [stored] = query(database_url, select(events.c.data).where(events.c.id == ticket["id"]))
    assert stored.data["kiosk_note"] == {"paper": "low"}


def test_the_lobbys_waiting_source_is_accepted_and_kept(
    lobby: Api, make: Events, database_url: str
) -> None:
    sent = [make.issued("1001"), make.issued("1002")]
    sent[0]["data"]["waiting_source"] = "server"
    sent[1]["data"]["waiting_source"] = "local"
    assert [result["status"] for result in lobby.results(sent)] == ["accepted", "accepted"]
    for event, source in zip(sent, ("server", "local"), strict=True):
        [stored] = query(database_url, select(events.c.data).where(events.c.id == event["id"]))
        assert stored.data["waiting_source"] == source


def _without(key: str) -> Change:
    def change(sent: dict[str, Any]) -> dict[str, Any]:
        del sent[key]
        return sent

    return change


def _set(path: str, value: Any) -> Change:
    def change(sent: dict[str, Any]) -> dict[str, Any]:
        *parents, last = path.split(".")
        target = sent
        for part in parents:
            target = target[part]
        target[last] = value
        return sent

    return change


def _without_data(key: str) -> Change:
    def change(sent: dict[str, Any]) -> dict[str, Any]:
        del sent["data"][key]
        return sent

    return change


def _nested(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth):
        value = [value]
    return value


REJECTIONS: dict[str, tuple[Change, str]] = {
    "not an object": (lambda sent: [sent], "not a valid envelope: expected a JSON object"),
    "no id": (_without("id"), "not a valid envelope: id"),
    "id not a uuid": (_set("id", "ticket-1"), "not a valid envelope: id"),
    "no timestamp offset": (
        _set("occurred_at", "2025-07-01T08:00:00"),
        "not a valid envelope: occurred_at",
    ),
    "data not an object": (_set("data", [1, 2]), "not a valid envelope: data"),
    "unknown type": (_set("type", "ticket.eaten"), 'unknown event type "ticket.eaten"'),
    "schema 2": (_set("schema", 2), "schema 2 is not supported"),
    "schema as text": (_set("schema", "1"), "not a valid envelope: schema"),
    "other office": (_set("office", OTHER_OFFICE), "is not the token's office"),
    "other device": (_set("device_id", "lobby-02"), "is not the token's device"),
    "missing data key": (_without_data("label"), "data does not match ticket.issued: label"),
    "label too long": (_set("data.label", "1" * 13), "data does not match ticket.issued: label"),
    "number as text": (_set("data.number", "7"), "data does not match ticket.issued: number"),
    "priority as 1": (_set("data.priority", 1), "data does not match ticket.issued: priority"),
    "unknown waiting source": (
        _set("data.waiting_source", "guess"),
        "data does not match ticket.issued: waiting_source",
    ),
    "bad day": (_set("data.day", "2025-02-30"), "data does not match ticket.issued: day"),
    "day far away": (_set("data.day", "1900-01-01"), "data does not match ticket.issued: day"),
    "NUL in text": (_set("data.field_id", "ho\x00tich"), "NUL character"),
    "lone surrogate": (_set("data.extra", "\ud800"), "not valid Unicode"),
    "deep nesting": (_set("data.extra", _nested(20)), "nested deeper"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_a_bad_event_is_rejected_with_its_reason(lobby: Api, make: Events, case: str) -> None:
    change, reason = REJECTIONS[case]
    sent = change(copy.deepcopy(make.issued("1002")))
    results = lobby.results([make.issued("1001"), sent, make.issued("1003")])
    assert [result["status"] for result in results] == ["accepted", "rejected", "accepted"]
    assert reason in results[1]["reason"]


@pytest.mark.parametrize(
    ("type", "change", "where"),
    [
        ("ticket.called", _set("data.counter", 1000), "counter"),
        ("ticket.called", _set("data.session_id", None), "session_id"),
        ("session.closed", _set("data.officer_rating", {"scale": 3, "level": 4}), "officer_rating"),
        ("session.closed", _set("data.closed_at", "yesterday"), "closed_at"),
        ("session.closed", _set("data.dossier_code", "H26-0001\nH26-0002"), "line break"),
        ("session.closed", _set("data.dossier_code", "H" * 65), "dossier_code"),
        ("session.closed", _set("data.dossier_code", ""), "dossier_code"),
        ("rating.citizen", _set("data.level", None), "level must be given"),
        ("rating.citizen", _set("data.scale", 4), "scale must be 3 or 5"),
        ("rating.citizen", _set("data.level", 4), "beyond the scale"),
    ],
)
def test_counter_events_are_checked_by_type(
    counter: Api, make: Events, type: str, change: Change, where: str
) -> None:
    examples = {
        "ticket.called": make.called(make.issued("1001")),
        "session.closed": make.session_closed(called_at=now() - minutes(3), closed_at=now()),
        "rating.citizen": make.citizen_rating(level=2),
    }
    [result] = counter.results([change(examples[type])])
    assert result["status"] == "rejected"
    assert result["reason"].startswith(f"data does not match {type}")
    assert where in result["reason"]


def test_rejected_events_are_not_stored(
    lobby: Api, make: Events, office: str, database_url: str
) -> None:
    lobby.results([_set("schema", 2)(make.issued("1001"))])
    count = select(func.count()).select_from(events).where(events.c.office == office)
    assert query(database_url, count) == [(0,)]


def test_an_event_id_of_another_device_is_not_a_duplicate(
    lobby: Api, make: Events, office: str, base_url: str, database_url: str
) -> None:
    sent = make.issued("1001")
    lobby.results([sent])
    token = enroll_device(database_url, office, "lobby", "lobby-02")
    with Api(base_url, token, office=office) as other:
        [result] = other.results([{**sent, "device_id": "lobby-02"}])
    assert result["status"] == "rejected"
    assert "another device" in result["reason"]


def test_an_event_far_in_the_future_is_accepted_and_flagged(lobby: Api, make: Events) -> None:
    late = make.issued("1001", issued_at=now() + minutes(10))
    soon = make.issued("1002", issued_at=now() + minutes(1))
    results = lobby.results([late, soon])
    assert results[0] == {"id": late["id"], "status": "accepted", "flags": ["future"]}
    assert results[1] == {"id": soon["id"], "status": "accepted"}


def test_batch_sizes(lobby: Api, make: Events) -> None:
    results = lobby.results([make.issued(str(1000 + n)) for n in range(500)])
    assert len(results) == 500
    assert {result["status"] for result in results} == {"accepted"}
    too_many = lobby.post_events([make.issued(str(2000 + n)) for n in range(501)])
    assert too_many.status_code == 422
    assert "500" in too_many.json()["detail"]
    assert lobby.post_events([]).status_code == 422


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"events": "all of them"}',
        b'{"batch": []}',
        b"[]",
        b"",
        b'{"events": [NaN]}',
        b'{"events": ["\xff"]}',
        b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    ],
    ids=["text", "not a list", "no events", "list", "empty", "NaN", "not UTF-8", "deep"],
)
def test_a_malformed_body_is_refused_whole(lobby: Api, body: bytes) -> None:
    response = lobby.http.post(
        "/api/v1/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_a_body_over_one_mebibyte_is_refused_before_parsing(lobby: Api) -> None:
    big = b'{"events": ["' + b"x" * (1024 * 1024) + b'"]}'
    response = lobby.http.post(
        "/api/v1/events", content=big, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413

    def chunks() -> Any:  # streamed: no Content-Length, so the server must count
        yield b'{"events": ["'
        for _ in range(17):
            yield b"x" * 65536
        yield b'"]}'

    streamed = lobby.http.post(
        "/api/v1/events", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert "1 MiB" in streamed.json()["detail"]


def test_concurrent_identical_batches_store_each_event_once(
    lobby: Api, make: Events, office: str, base_url: str, database_url: str
) -> None:
    batch = [make.issued(str(1000 + n)) for n in range(100)]
    senders = 8
    start = threading.Barrier(senders)
    answers: list[list[dict[str, Any]]] = []

    def send() -> None:
        with httpx.Client(base_url=base_url, headers=lobby.http.headers, timeout=60) as http:
            start.wait()
            response = http.post("/api/v1/events", json={"events": batch})
        assert response.status_code == 200, response.text
        answers.append(response.json()["results"])

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == senders
    statuses = Counter((r["id"], r["status"]) for answer in answers for r in answer)
    for sent in batch:
        assert statuses[sent["id"], "accepted"] == 1
        assert statuses[sent["id"], "duplicate"] == senders - 1
    for table in (events, tickets):
        count = select(func.count()).select_from(table).where(table.c.office == office)
        assert query(database_url, count) == [(100,)]


def test_identity_is_kept_apart_and_forgotten_when_the_session_closes(
    lobby: Api, counter: Api, make: Events, office: str, database_url: str
) -> None:
    ticket = make.issued("1001")
    identity = make.identified(ticket)
    lobby.results([ticket, identity])
    [stored] = query(database_url, select(events.c.data).where(events.c.id == identity["id"]))
    assert "identity" not in stored.data
    assert "Nguyễn" not in str(stored.data)
    kept = select(identities.c.identity).where(identities.c.office == office)
    [row] = query(database_url, kept)
    assert set(row.identity) == {"sealed"}  # at rest only sealed (test_personal_at_rest)
    assert "Nguyễn" not in str(row.identity)
    closed = make.session_closed(label="1001", called_at=now() - minutes(4), closed_at=now())
    counter.results([closed])
    assert query(database_url, kept) == []
    # An identity that arrives after its session closed is not kept at all.
    assert lobby.results([make.identified(ticket)])[0]["status"] == "accepted"
    assert query(database_url, kept) == []


def test_identity_of_a_past_day_is_not_kept_and_is_swept(
    lobby: Api, make: Events, office: str, database_url: str, tmp_path: Path
) -> None:
    kept = select(identities.c.day).where(identities.c.office == office)
    old = make.identified(make.issued("1001", day=today() - timedelta(days=1)))
    assert lobby.results([old])[0]["status"] == "accepted"
    assert query(database_url, kept) == []
    lobby.results([make.identified(make.issued("1002"))])
    assert query(database_url, kept) == [(today(),)]
    db = Database(database_url)
    try:
        tomorrow = Central(db, DayKeys(tmp_path / "keys"), clock=lambda: now() + timedelta(days=1))
        assert forget_past_identities(tomorrow) >= 1
    finally:
        db.dispose()
    assert query(database_url, kept) == []


def test_a_second_rating_of_a_session_is_kept_flagged_and_not_counted(
    counter: Api, make: Events, office: str, database_url: str
) -> None:
    session = str(uuid.uuid4())
    first = make.citizen_rating(level=1, session_id=session)
    second = make.citizen_rating(level=3, session_id=session)
    results = counter.results([first, second])
    assert results[0] == {"id": first["id"], "status": "accepted"}
    assert results[1] == {"id": second["id"], "status": "accepted", "flags": ["duplicate_rating"]}
    stored = query(
        database_url,
        select(ratings.c.level, ratings.c.counted, ratings.c.flags).where(
            ratings.c.office == office
        ),
    )
    assert sorted((row.level, row.counted, row.flags) for row in stored) == [
        (1, True, []),
        (3, False, ["duplicate_rating"]),
    ]
    [flags] = query(database_url, select(events.c.flags).where(events.c.id == second["id"]))
    assert flags == (["duplicate_rating"],)


def test_a_call_that_arrives_before_its_ticket_is_not_undone_by_the_issue(
    lobby: Api, counter: Api, make: Events, database_url: str
) -> None:
    ticket = make.issued("1001", issued_at=now() - minutes(2))
    counter.results([make.called(ticket, at=now() - minutes(1))])
    lobby.results([ticket])
    fields = lobby.queue().json()["fields"]
    assert fields == [
        {
            "field_id": "ho-tich",
            "waiting": 0,
            "priority_waiting": 0,
            "estimated_wait_minutes": None,
            "next_label": None,
        }
    ]
    # An older skip does not undo a newer call either; a newer one does.
    state = select(tickets.c.state).where(tickets.c.ticket_id == ticket["data"]["ticket_id"])
    counter.results([make.called(ticket, type="ticket.skipped", at=now() - minutes(2))])
    assert query(database_url, state) == [("called",)]
    counter.results([make.called(ticket, type="ticket.skipped")])
    assert query(database_url, state) == [("skipped",)]


@pytest.mark.parametrize(
    "number",
    ["1e400", "-1e400", "1" + "0" * 30, "-" + "9" * 25],
    ids=["inf", "-inf", "big", "-big"],
)
def test_a_number_no_database_can_store_rejects_only_its_event(
    lobby: Api, make: Events, office: str, database_url: str, number: str
) -> None:
    """1e400 is valid JSON and reads as infinity: only its event is rejected, with a reason;
    the batch and the identity's neighbours go through, and nothing is stored of it."""
    good = make.issued("1001")
    in_identity = make.identified(good)
    in_extra = make.issued("1002")
    marker = "__NUMBER__"
    in_identity["data"]["identity"]["score"] = marker
    in_extra["data"]["extra"] = marker
    body = json.dumps({"events": [good, in_identity, in_extra]}).replace(f'"{marker}"', number)
    response = lobby.http.post(
        "/api/v1/events", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected"]
    for result in results[1:]:
        assert "a number is out of range" in result["reason"]
    stored = query(database_url, select(identities.c.label).where(identities.c.office == office))
    assert stored == []
