"""The hall displays' calls feed: every accepted call and recall once, numbered per office in
commit order, read at start-up (the newest of the day) and then by long-poll (after=last_seq).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from central.db import Database
from central.enrolment import create_viewer_token
from kiosk.central_client import CentralClient, CentralRefused
from kiosk.hall_calls import HallCall, call_key, recall_key
from tests.support.api import OTHER_OFFICE, Api, Events, minutes, now, today
from tests.support.calls import LongPoll, calls_path, follow, last_seq
from tests.support.central import enroll_device, issue_enroll_code

DELIVERY_S = 1.0  # the issue's bound: a call is on the display within 1 s


@pytest.fixture
def display(base_url: str, database_url: str, office: str) -> Iterator[Api]:
    """The API as the office's hall display `display-01` sees it."""
    token = enroll_device(database_url, office, "display", "display-01")
    with Api(base_url, token, office=office) as api:
        yield api


def token_of(api: Api) -> str:
    return api.http.headers["Authorization"].removeprefix("Bearer ")


def feed(api: Api, **params: Any) -> dict[str, Any]:
    reply = api.http.get(calls_path(api.office), params=params)
    assert reply.status_code == 200, reply.text
    return reply.json()


def issue(lobby: Api, make: Events, *labels: str) -> list[dict[str, Any]]:
    tickets = [make.issued(label) for label in labels]
    assert all(r["status"] == "accepted" for r in lobby.results(tickets))
    return tickets


def test_a_waiting_long_poll_gets_a_call_next_within_a_second(
    base_url: str, lobby: Api, counter: Api, display: Api, make: Events
) -> None:
    issue(lobby, make, "1001")
    start = last_seq(display.http, display.office)
    poll = LongPoll(base_url, token_of(display), display.office, after=start)
    assert poll.pending
    called = counter.call_next(2, ["ho-tich"])
    answered = time.monotonic()
    assert called.status_code == 200
    body = poll.answer().json()
    assert poll.answered_at is not None and poll.answered_at - answered < DELIVERY_S
    (item,) = body["calls"]
    assert body["last_seq"] == item["seq"] == start + 1
    call = HallCall.from_json(item, office=display.office)
    assert call.key == call_key(called.json()["session_id"])
    assert (call.kind, call.label, call.counter, call.field_id) == ("call", "1001", 2, "ho-tich")
    assert call.day == today()


def test_the_counters_own_called_event_is_the_same_call_and_a_recall_is_a_new_one(
    lobby: Api, counter: Api, display: Api, make: Events
) -> None:
    (ticket,) = issue(lobby, make, "1001")
    session = counter.call_next(2, ["ho-tich"]).json()["session_id"]
    start = feed(display)["last_seq"]
    own = make.called(ticket, session_id=session)
    recall = make.called(ticket, type="ticket.recalled", session_id=session)
    assert [r["status"] for r in counter.results([own, recall])] == ["accepted", "accepted"]
    body = feed(display, after=start - 1, wait=0)
    assert [item["key"] for item in body["calls"]] == [call_key(session), recall_key(recall["id"])]
    assert [item["kind"] for item in body["calls"]] == ["call", "recall"]
    assert body["last_seq"] == start + 1
    again = make.called(ticket, type="ticket.recalled", session_id=session)
    counter.results([again, recall])  # a second recall, and the first one sent again
    after = feed(display, after=start + 1, wait=0)
    assert [item["key"] for item in after["calls"]] == [recall_key(again["id"])]


def test_a_call_typed_offline_is_in_the_feed_before_its_ticket_arrives(
    lobby: Api, counter: Api, display: Api, make: Events
) -> None:
    start = feed(display)["last_seq"]
    ticket = make.issued("1001")
    typed = make.called(ticket, at=now() - minutes(1))
    typed["data"]["ticket_id"] = None
    typed["data"]["field_id"] = None
    assert counter.results([typed])[0]["status"] == "accepted"
    assert lobby.results([ticket])[0]["status"] == "accepted"
    (item,) = feed(display, after=start, wait=0)["calls"]
    assert item["key"] == call_key(typed["data"]["session_id"])
    assert (item["label"], item["field_id"]) == ("1001", None)


def test_a_late_event_of_an_earlier_moment_is_recorded_with_its_time(
    lobby: Api, counter: Api, display: Api, make: Events
) -> None:
    """After an outage the outbox drains: the display decides what is too old to announce."""
    (ticket,) = issue(lobby, make, "1001")
    start = feed(display)["last_seq"]
    moment = now() - timedelta(hours=2)
    late = make.called(ticket, at=moment)
    assert counter.results([late])[0]["status"] == "accepted"
    (item,) = feed(display, after=start, wait=0)["calls"]
    assert HallCall.from_json(item, office=display.office).occurred_at == moment.replace(
        microsecond=moment.microsecond // 1000 * 1000
    )


def test_a_refused_call_is_not_in_the_feed(
    base_url: str, database_url: str, lobby: Api, counter: Api, display: Api, make: Events
) -> None:
    (ticket,) = issue(lobby, make, "1001")
    counter.call_next(2, ["ho-tich"])
    start = feed(display)["last_seq"]
    token = enroll_device(database_url, display.office, "counter", "counter-01", counter=1)
    with Api(base_url, token, office=display.office) as other:
        taken = other.http.post(
            f"/api/v1/offices/{display.office}/counters/1/take",
            json={"officer_id": "cb-02", "day": today().isoformat(), "label": "1001"},
        )
        assert taken.status_code == 409
        result = other.results([make.called(ticket, counter=1, device_id="counter-01")])[0]
        assert result["status"] == "rejected"
    body = feed(display, after=start, wait=0)
    assert (body["calls"], body["last_seq"]) == ([], start)


def test_a_take_is_a_call(lobby: Api, counter: Api, display: Api, make: Events) -> None:
    issue(lobby, make, "1001")
    start = feed(display)["last_seq"]
    taken = counter.http.post(
        f"/api/v1/offices/{display.office}/counters/2/take",
        json={"officer_id": "cb-01", "day": today().isoformat(), "label": "1001"},
    )
    assert taken.status_code == 200, taken.text
    (item,) = feed(display, after=start, wait=0)["calls"]
    assert item["key"] == call_key(taken.json()["session_id"])
    assert item["field_id"] == "ho-tich"


def test_a_display_starting_up_gets_the_last_20_calls_of_the_day(
    lobby: Api, counter: Api, display: Api, make: Events
) -> None:
    empty = feed(display)
    assert (empty["calls"], empty["last_seq"]) == ([], 0)
    yesterday = today() - timedelta(days=1)
    old = make.issued("1999", day=yesterday, issued_at=now() - timedelta(days=1))
    assert lobby.results([old])[0]["status"] == "accepted"
    assert counter.results([make.called(old, at=now() - timedelta(days=1))])[0]["status"] == (
        "accepted"
    )
    issue(lobby, make, *(f"{1001 + n}" for n in range(25)))
    sessions = [counter.call_next(2, ["ho-tich"]).json()["session_id"] for _ in range(25)]
    body = feed(display, wait=30)  # no after: at once, whatever the wait
    assert body["last_seq"] == 26
    assert [item["seq"] for item in body["calls"]] == list(range(7, 27))
    assert [item["key"] for item in body["calls"]] == [call_key(s) for s in sessions[5:]]
    assert all(item["day"] == today().isoformat() for item in body["calls"])
    everything = feed(display, after=0, wait=0)
    assert everything["calls"][0]["label"] == "1999"  # old calls are there, after an after
    assert len(everything["calls"]) == 26


def test_wait_zero_answers_at_once_and_a_long_poll_ends_empty_at_its_wait(
    display: Api,
) -> None:
    assert feed(display, after=0, wait=0)["calls"] == []
    started = time.monotonic()
    body = feed(display, after=0, wait=0.5)
    assert body["calls"] == [] and body["last_seq"] == 0
    assert time.monotonic() - started >= 0.5


def test_an_after_beyond_the_feed_answers_at_once_with_where_the_feed_is(
    display: Api, lobby: Api, counter: Api, make: Events
) -> None:
    """A display that followed another database (one restored from a backup): it goes on from
    the feed's own last_seq instead of waiting for numbers that will not come."""
    issue(lobby, make, "1001")
    counter.call_next(2, ["ho-tich"])
    body = feed(display, after=1000, wait=30)
    assert body["calls"] == [] and body["last_seq"] == 1


@pytest.mark.parametrize(
    "params", [{"after": -1}, {"after": "x"}, {"wait": 31}, {"wait": -1}, {"wait": "nan"}]
)
def test_bad_feed_parameters_are_422(display: Api, params: dict[str, Any]) -> None:
    reply = display.http.get(calls_path(display.office), params=params)
    assert reply.status_code == 422, reply.text


def test_every_seq_once_in_order_under_concurrent_writers(
    base_url: str, database_url: str, lobby: Api, display: Api, make: Events
) -> None:
    """4 counters × 25 call-nexts at once while a display follows: no gap, no repeat."""
    labels = [f"{1001 + n}" for n in range(100)]
    for chunk in range(0, 100, 50):
        issue(lobby, make, *labels[chunk : chunk + 50])
    start = feed(display)["last_seq"]
    tokens = {
        n: enroll_device(database_url, display.office, "counter", f"counter-0{n}", counter=n)
        for n in (1, 3, 4, 5)
    }
    sessions: list[str] = []
    lock = threading.Lock()

    def calls_next(number: int) -> None:
        with Api(base_url, tokens[number], office=display.office) as api:
            for _ in range(25):
                reply = api.call_next(number, ["ho-tich"])
                assert reply.status_code == 200, reply.text
                with lock:
                    sessions.append(reply.json()["session_id"])

    seen: list[dict[str, Any]] = []
    reader = threading.Thread(
        target=lambda: seen.extend(follow(display.http, display.office, start, 100))
    )
    reader.start()
    writers = [threading.Thread(target=calls_next, args=(n,)) for n in tokens]
    for thread in writers:
        thread.start()
    for thread in [*writers, reader]:
        thread.join(180)
    assert [item["seq"] for item in seen] == list(range(start + 1, start + 101))
    assert sorted(item["key"] for item in seen) == sorted(call_key(s) for s in sessions)
    assert sorted(item["label"] for item in seen) == labels


# ------------------------------------------------------------------ who may read and send


def test_a_display_enrols_reads_and_sends_nothing(
    base_url: str, database_url: str, lobby: Api, office: str, make: Events
) -> None:
    code = issue_enroll_code(database_url, office, "display", device_id="display-02")
    enrolled = lobby.http.post(
        "/api/v1/enroll", json={"code": code, "device": {"role": "display", "version": "1"}}
    )
    assert enrolled.status_code == 200, enrolled.text
    assert (enrolled.json()["role"], enrolled.json()["counter"]) == ("display", None)
    (ticket,) = issue(lobby, make, "1001")
    with Api(base_url, enrolled.json()["token"], office=office) as display:
        refused = display.post_events([make.called(ticket, device_id="display-02")])
        assert refused.status_code == 403
        assert refused.json() == {"detail": "a display device may only read"}
        assert display.call_next(2, ["ho-tich"]).status_code == 403
        took = display.http.post(
            f"/api/v1/offices/{office}/counters/2/take",
            json={"officer_id": "cb-01", "day": today().isoformat(), "label": "1001"},
        )
        assert took.status_code == 403
        identity = display.http.get(
            f"/api/v1/offices/{office}/counters/2/identity",
            params={"day": today().isoformat(), "label": "1001"},
        )
        assert identity.status_code == 403
        assert display.queue().status_code == 200
        assert feed(display)["calls"] == []
        assert display.http.get(f"/api/v1/offices/{office}/hall-key").status_code == 200


def test_the_hall_key_is_for_counters_and_displays_and_stays_the_same(
    base_url: str, database_url: str, lobby: Api, counter: Api, display: Api, office: str
) -> None:
    path = f"/api/v1/offices/{office}/hall-key"
    first = display.http.get(path)
    assert first.status_code == 200, first.text
    assert counter.http.get(path).json() == first.json() == display.http.get(path).json()
    assert lobby.http.get(path).status_code == 403
    assert lobby.http.get(path).json()["detail"] == (
        "only a counter or display device may read the hall key"
    )
    db = Database(database_url)
    try:
        viewer = create_viewer_token(db, office=office, now=now()).token
    finally:
        db.dispose()
    with Api(base_url, viewer, office=office) as reader:
        assert reader.http.get(path).status_code == 403
        assert reader.http.get(calls_path(office)).status_code == 200  # a viewer may read calls
    client = CentralClient(base_url, token=token_of(display))
    try:
        key_id, key = client.hall_key(office)
    finally:
        client.close()
    assert key_id == first.json()["key_id"] and len(key) == 32


def test_another_offices_token_may_read_neither_its_calls_nor_its_key(
    base_url: str, display: Api, counter: Api
) -> None:
    for api in (display, counter):
        assert api.http.get(calls_path(OTHER_OFFICE)).status_code == 403
        assert api.http.get(f"/api/v1/offices/{OTHER_OFFICE}/hall-key").status_code == 403
    with Api(base_url, None, office=display.office) as anonymous:
        assert anonymous.http.get(calls_path(display.office)).status_code == 401


def test_the_client_reads_the_feed_and_lobbies_cannot_read_the_key(
    base_url: str, database_url: str, lobby: Api, counter: Api, display: Api, make: Events
) -> None:
    issue(lobby, make, "1001")
    client = CentralClient(base_url, token=token_of(display), timeout=5)
    try:
        start = client.calls(display.office, None, 25)
        counter.call_next(2, ["ho-tich"])
        body = client.calls(display.office, start["last_seq"], 5)
    finally:
        client.close()
    (call,) = [HallCall.from_json(item, office=display.office) for item in body["calls"]]
    assert call.label == "1001" and body["last_seq"] == start["last_seq"] + 1
    lobby_client = CentralClient(base_url, token=token_of(lobby))
    try:
        with pytest.raises(CentralRefused) as refused:
            lobby_client.hall_key(lobby.office)
    finally:
        lobby_client.close()
    assert refused.value.status == 403
