"""call-next: priority first then issue time, 204 when none wait, atomic under concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from central.db import Database
from central.schema import tickets
from tests.support.api import Api, Events, minutes, now, today
from tests.support.central import enroll_device


def test_priority_first_then_issue_order(lobby: Api, counter: Api, make: Events) -> None:
    start = now() - minutes(30)
    lobby.results(
        [
            make.issued("1001", issued_at=start),
            make.issued("1002", issued_at=start + minutes(1)),
            make.issued("1003", issued_at=start + minutes(2), priority=True),
            make.issued("2001", issued_at=start, field_id="dat-dai"),
            make.issued("1004", issued_at=start + minutes(3), priority=True),
        ]
    )
    labels = []
    for _ in range(4):
        response = counter.call_next(2, ["ho-tich"])
        assert response.status_code == 200, response.text
        labels.append(response.json()["label"])
    assert labels == ["1003", "1004", "1001", "1002"]
    none_left = counter.call_next(2, ["ho-tich"])
    assert none_left.status_code == 204
    assert none_left.content == b""
    assert counter.call_next(2, ["ho-tich", "dat-dai"]).json()["label"] == "2001"


def test_the_answer_names_the_ticket_and_a_new_session(
    lobby: Api, counter: Api, make: Events
) -> None:
    ticket = make.issued("1001", priority=True)
    lobby.results([ticket])
    body = counter.call_next(2, ["ho-tich"]).json()
    assert body == {
        "ticket_id": ticket["data"]["ticket_id"],
        "label": "1001",
        "field_id": "ho-tich",
        "priority": True,
        "issued_at": body["issued_at"],
        "day": today().isoformat(),
        "session_id": body["session_id"],
    }
    assert len(body["session_id"]) == 36
    queue = lobby.queue().json()
    assert queue["fields"][0]["waiting"] == 0
    assert queue["recently_called"][0]["counter"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"officer_id": "cb\x00", "fields": ["ho-tich"]},
        {"officer_id": "cb-01", "fields": []},
        {"officer_id": "cb-01", "fields": ["x" * 65]},
        {"officer_id": "cb-01", "fields": "ho-tich"},
    ],
    ids=["NUL", "no field", "long field", "not a list"],
)
def test_a_bad_call_next_request_is_422(counter: Api, body: dict[str, Any]) -> None:
    response = counter.http.post(
        f"/api/v1/offices/{counter.office}/counters/2/call-next", json=body
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("invalid request: body.")


def test_skipped_and_past_day_tickets_are_not_called(
    lobby: Api, counter: Api, make: Events
) -> None:
    skipped = make.issued("1002")
    lobby.results([make.issued("1001", day=today() - timedelta(days=1)), skipped])
    counter.results([make.called(skipped, type="ticket.skipped")])
    assert counter.call_next(2, ["ho-tich"]).status_code == 204


def test_two_counters_calling_concurrently_never_share_a_ticket(
    lobby: Api, make: Events, office: str, base_url: str, database_url: str
) -> None:
    tickets_issued = 1900
    calls_per_counter = 1000
    threads_per_counter = 4
    start = now() - minutes(60)
    batch = [
        make.issued(f"{n:04d}", issued_at=start + minutes(n / 100), priority=n % 10 == 0)
        for n in range(tickets_issued)
    ]
    for first in range(0, tickets_issued, 500):
        lobby.results(batch[first : first + 500])
    tokens = {
        number: enroll_device(database_url, office, "counter", f"counter-{number}", counter=number)
        for number in (1, 2)
    }
    answers: list[tuple[int, int, dict[str, Any] | None]] = []
    lock = threading.Lock()
    go = threading.Barrier(2 * threads_per_counter)

    def officer(number: int) -> None:
        headers = {"Authorization": f"Bearer {tokens[number]}"}
        mine = []
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
            go.wait()
            for _ in range(calls_per_counter // threads_per_counter):
                response = http.post(
                    f"/api/v1/offices/{office}/counters/{number}/call-next",
                    json={"officer_id": f"cb-{number}", "fields": ["ho-tich"]},
                )
                body = response.json() if response.status_code == 200 else None
                mine.append((number, response.status_code, body))
        with lock:
            answers.extend(mine)

    threads = [
        threading.Thread(target=officer, args=(number,))
        for number in (1, 2)
        for _ in range(threads_per_counter)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == 2 * calls_per_counter
    statuses = Counter(status for _, status, _ in answers)
    assert statuses == {200: tickets_issued, 204: 2 * calls_per_counter - tickets_issued}
    called = {body["ticket_id"]: (number, body) for number, _, body in answers if body}
    assert len(called) == tickets_issued  # no ticket twice
    assert set(called) == {sent["data"]["ticket_id"] for sent in batch}  # none lost
    assert len({body["session_id"] for _, body in called.values()}) == tickets_issued

    db = Database(database_url)
    try:
        stored = db.read(
            lambda conn: conn.execute(
                select(
                    tickets.c.ticket_id, tickets.c.state, tickets.c.counter, tickets.c.session_id
                ).where(tickets.c.office == office)
            ).all()
        )
    finally:
        db.dispose()
    assert len(stored) == tickets_issued
    for row in stored:
        number, body = called[row.ticket_id]
        assert (row.state, row.counter, row.session_id) == ("called", number, body["session_id"])
