"""POST /api/v1/events: accepted, duplicate, rejected with a reason, limits, exactly-once."""

from __future__ import annotations

import copy
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from central.db import Database
from central.schema import events, identities, ratings, tickets
from tests.central.api import (
    OFFICE,
    OTHER_OFFICE,
    Api,
    called,
    citizen_rating,
    event,
    identified,
    issued,
    minutes,
    now,
    session_closed,
    today,
)
from tests.central.server import enroll_device


def scalar(database_url: str, query: Any) -> Any:
    db = Database(database_url)
    try:
        return db.read(lambda conn: conn.execute(query).scalar())
    finally:
        db.dispose()


def rows(database_url: str, query: Any) -> list[Any]:
    db = Database(database_url)
    try:
        return db.read(lambda conn: conn.execute(query).all())
    finally:
        db.dispose()


def one_of_each_type() -> list[dict[str, Any]]:
    ticket = issued("1001")
    printed = event(
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
    return [ticket, printed, identified(ticket)]


def test_every_type_is_accepted_and_a_resend_is_a_duplicate(lobby: Api, counter: Api) -> None:
    from_lobby = one_of_each_type()
    ticket = from_lobby[0]
    session = str(uuid.uuid4())
    from_counter = [
        called(ticket, session_id=session),
        called(ticket, type="ticket.recalled", session_id=session),
        called(ticket, type="ticket.skipped", session_id=session),
        session_closed(called_at=now() - minutes(5), closed_at=now(), session_id=session),
        citizen_rating(level=1, session_id=session),
    ]
    for api, batch in ((lobby, from_lobby), (counter, from_counter)):
        results = api.results(batch)
        assert results == [{"id": sent["id"], "status": "accepted"} for sent in batch]
        again = api.results(batch)
        assert again == [{"id": sent["id"], "status": "duplicate"} for sent in batch]


def test_extra_data_keys_are_kept(lobby: Api, database_url: str) -> None:
    ticket = issued("1001")
    ticket["data"]["kiosk_note"] = {"paper": "low"}
    assert lobby.results([ticket])[0]["status"] == "accepted"
    stored = scalar(database_url, select(events.c.data).where(events.c.id == ticket["id"]))
    assert stored["kiosk_note"] == {"paper": "low"}


def _without(key: str) -> Callable[[dict[str, Any]], Any]:
    def change(sent: dict[str, Any]) -> dict[str, Any]:
        del sent[key]
        return sent

    return change


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    def change(sent: dict[str, Any]) -> dict[str, Any]:
        *parents, last = path.split(".")
        target = sent
        for part in parents:
            target = target[part]
        target[last] = value
        return sent

    return change


def nested(depth: int) -> list[Any]:
    value: list[Any] = [1]
    for _ in range(depth):
        value = [value]
    return value


REJECTIONS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
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
    "missing data key": (
        lambda sent: _without("label")(sent["data"]) and sent,
        "data does not match ticket.issued: label",
    ),
    "label too long": (_set("data.label", "1" * 13), "data does not match ticket.issued: label"),
    "number as text": (_set("data.number", "7"), "data does not match ticket.issued: number"),
    "priority as 1": (_set("data.priority", 1), "data does not match ticket.issued: priority"),
    "bad day": (_set("data.day", "2025-02-30"), "data does not match ticket.issued: day"),
    "day far away": (_set("data.day", "1900-01-01"), "data does not match ticket.issued: day"),
    "NUL in text": (_set("data.field_id", "ho\x00tich"), "NUL character"),
    "lone surrogate": (_set("data.extra", "\ud800"), "not valid Unicode"),
    "NaN in data": (_set("data.extra", float("nan")), "not finite"),
    "deep nesting": (_set("data.extra", nested(20)), "nested deeper"),
}


@pytest.mark.parametrize("case", sorted(REJECTIONS))
def test_a_bad_event_is_rejected_with_its_reason(lobby: Api, case: str) -> None:
    change, reason = REJECTIONS[case]
    good, bad = issued("1001"), issued("1002")
    sent = change(copy.deepcopy(bad))
    results = lobby.results([good, sent, issued("1003")])
    assert [result["status"] for result in results] == ["accepted", "rejected", "accepted"]
    assert reason in results[1]["reason"]


@pytest.mark.parametrize(
    ("type", "change", "where"),
    [
        ("ticket.called", _set("data.counter", 1000), "counter"),
        ("ticket.called", _set("data.session_id", None), "session_id"),
        ("session.closed", _set("data.officer_rating", {"scale": 3, "level": 4}), "officer_rating"),
        ("session.closed", _set("data.closed_at", "yesterday"), "closed_at"),
        ("rating.citizen", _set("data.level", None), "level must be given"),
        ("rating.citizen", _set("data.scale", 4), "scale must be 3 or 5"),
        ("rating.citizen", _set("data.level", 4), "beyond the scale"),
    ],
)
def test_counter_events_are_checked_by_type(
    counter: Api, type: str, change: Callable[[dict[str, Any]], Any], where: str
) -> None:
    ticket = issued("1001")
    examples = {
        "ticket.called": called(ticket),
        "session.closed": session_closed(called_at=now() - minutes(3), closed_at=now()),
        "rating.citizen": citizen_rating(level=2),
    }
    [result] = counter.results([change(examples[type])])
    assert result["status"] == "rejected"
    assert result["reason"].startswith(f"data does not match {type}")
    assert where in result["reason"]


def test_rejected_events_are_not_stored(lobby: Api, database_url: str) -> None:
    lobby.results([_set("schema", 2)(issued("1001"))])
    assert scalar(database_url, select(func.count()).select_from(events)) == 0


def test_an_event_id_of_another_device_is_not_a_duplicate(
    lobby: Api, base_url: str, database_url: str
) -> None:
    sent = issued("1001")
    lobby.results([sent])
    token = enroll_device(database_url, OFFICE, "lobby", "lobby-02")
    with Api(base_url, token) as other:
        clash = {**sent, "device_id": "lobby-02"}
        [result] = other.results([clash])
    assert result["status"] == "rejected"
    assert "another device" in result["reason"]


def test_an_event_far_in_the_future_is_accepted_and_flagged(lobby: Api) -> None:
    late = issued("1001", issued_at=now() + minutes(10))
    soon = issued("1002", issued_at=now() + minutes(1))
    results = lobby.results([late, soon])
    assert results[0] == {"id": late["id"], "status": "accepted", "flags": ["future"]}
    assert results[1] == {"id": soon["id"], "status": "accepted"}


def test_batch_sizes(lobby: Api) -> None:
    batch = [issued(str(1000 + n)) for n in range(500)]
    results = lobby.results(batch)
    assert len(results) == 500
    assert {result["status"] for result in results} == {"accepted"}
    too_many = lobby.post_events([issued(str(2000 + n)) for n in range(501)])
    assert too_many.status_code == 422
    assert "500" in too_many.json()["detail"]
    assert lobby.post_events([]).status_code == 422


@pytest.mark.parametrize(
    "body",
    [b"not json", b'{"events": "all of them"}', b'{"batch": []}', b"[]"],
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
    lobby: Api, base_url: str, database_url: str
) -> None:
    batch = [issued(str(1000 + n)) for n in range(100)]
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
    accepted = Counter(r["id"] for answer in answers for r in answer if r["status"] == "accepted")
    duplicates = Counter(
        r["id"] for answer in answers for r in answer if r["status"] == "duplicate"
    )
    assert accepted == Counter(sent["id"] for sent in batch)
    assert all(duplicates[sent["id"]] == senders - 1 for sent in batch)
    assert scalar(database_url, select(func.count()).select_from(events)) == 100
    assert scalar(database_url, select(func.count()).select_from(tickets)) == 100


def test_identity_is_kept_apart_and_forgotten_when_the_session_closes(
    lobby: Api, counter: Api, database_url: str
) -> None:
    ticket = issued("1001")
    identity = identified(ticket)
    lobby.results([ticket, identity])
    stored = scalar(database_url, select(events.c.data).where(events.c.id == identity["id"]))
    assert "identity" not in stored
    assert "Nguyễn" not in str(stored)
    kept = rows(database_url, select(identities.c.identity))
    assert [row.identity for row in kept] == [identity["data"]["identity"]]
    counter.results([session_closed(label="1001", called_at=now() - minutes(4), closed_at=now())])
    assert rows(database_url, select(identities)) == []
    # An identity that arrives after its session closed is not kept at all.
    late = identified(ticket)
    assert lobby.results([late])[0]["status"] == "accepted"
    assert rows(database_url, select(identities)) == []


def test_identity_of_a_past_day_is_not_kept_and_is_swept(lobby: Api, database_url: str) -> None:
    from central.context import Central
    from central.housekeeping import forget_past_identities
    from tests.central.api import OFFICE_ZONE

    old = identified(issued("1001", day=today() - timedelta(days=1)))
    assert lobby.results([old])[0]["status"] == "accepted"
    assert rows(database_url, select(identities)) == []
    current = identified(issued("1002"))
    lobby.results([current])
    db = Database(database_url)
    try:
        tomorrow = Central(db, OFFICE_ZONE)
        object.__setattr__(tomorrow, "now", lambda: now() + timedelta(days=1))
        assert forget_past_identities(tomorrow) == 1
    finally:
        db.dispose()
    assert rows(database_url, select(identities)) == []


def test_a_second_rating_of_a_session_is_kept_flagged_and_not_counted(
    counter: Api, database_url: str
) -> None:
    session = str(uuid.uuid4())
    first = citizen_rating(level=1, session_id=session)
    second = citizen_rating(level=3, session_id=session)
    results = counter.results([first, second])
    assert results[0] == {"id": first["id"], "status": "accepted"}
    assert results[1] == {"id": second["id"], "status": "accepted", "flags": ["duplicate_rating"]}
    stored = rows(database_url, select(ratings.c.level, ratings.c.counted, ratings.c.flags))
    assert sorted((row.level, row.counted, row.flags) for row in stored) == [
        (1, True, []),
        (3, False, ["duplicate_rating"]),
    ]
    flags = scalar(database_url, select(events.c.flags).where(events.c.id == second["id"]))
    assert flags == ["duplicate_rating"]
