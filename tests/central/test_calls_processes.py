"""The calls feed across real server processes (`python -m central serve`) on one database: a
call made through one process reaches a display long-polling another within a second
(PostgreSQL LISTEN/NOTIFY, SQLite's poll), numbered without gap or repeat whichever process
wrote it; one hall key for the office; and a stopping server answers its long-polls at once.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from common.office_clock import aware_now, default_rule
from kiosk.hall_calls import call_key, recall_key
from tests.support.api import Api, Events
from tests.support.calls import LongPoll, follow, last_seq
from tests.support.central import CentralProcess, enroll_device, running_central_process

DELIVERY_S = 1.0
PROMPT_STOP_S = 5.0  # a pending long-poll waits 30 s: a stop that waited for it takes longer


def todays_tickets(make: Events, count: int) -> list[dict[str, Any]]:
    """Tickets of the office day of the real clock (the processes run on it)."""
    moment = aware_now()
    day = default_rule().day_of(moment)
    return [make.issued(f"{1001 + n}", issued_at=moment, day=day) for n in range(count)]


def test_a_call_through_one_process_reaches_a_long_poll_on_the_other(
    database_url: str, office: str, tmp_path: Path
) -> None:
    make = Events(office)
    lobby = enroll_device(database_url, office, "lobby", "lobby-01")
    counter = enroll_device(database_url, office, "counter", "counter-02", counter=2)
    display = enroll_device(database_url, office, "display", "display-01")
    with (
        running_central_process(database_url, tmp_path / "a.log") as first,
        running_central_process(database_url, tmp_path / "b.log") as second,
        Api(first, lobby, office=office) as at_lobby,
        Api(first, display, office=office) as at_display,
        Api(second, counter, office=office) as at_counter,
    ):
        (ticket,) = todays_tickets(make, 1)
        assert at_lobby.results([ticket])[0]["status"] == "accepted"
        start = last_seq(at_display.http, office)
        poll = LongPoll(first, display, office, after=start)
        called = at_counter.call_next(2, ["ho-tich"])
        answered = time.monotonic()
        assert called.status_code == 200, called.text
        (item,) = poll.answer().json()["calls"]
        assert poll.answered_at is not None and poll.answered_at - answered < DELIVERY_S
        assert item["key"] == call_key(called.json()["session_id"])

        poll = LongPoll(first, display, office, after=item["seq"])
        session = called.json()["session_id"]
        recall = make.called(ticket, type="ticket.recalled", session_id=session)
        assert at_counter.results([recall])[0]["status"] == "accepted"
        answered = time.monotonic()
        (again,) = poll.answer().json()["calls"]
        assert poll.answered_at is not None and poll.answered_at - answered < DELIVERY_S
        assert (again["key"], again["seq"]) == (recall_key(recall["id"]), item["seq"] + 1)


def test_writers_on_two_processes_give_every_seq_once_in_order(
    database_url: str, office: str, tmp_path: Path
) -> None:
    make = Events(office)
    lobby = enroll_device(database_url, office, "lobby", "lobby-01")
    display = enroll_device(database_url, office, "display", "display-01")
    counters = {
        n: enroll_device(database_url, office, "counter", f"counter-0{n}", counter=n)
        for n in (1, 2, 3, 4)
    }
    with (
        running_central_process(database_url, tmp_path / "a.log") as first,
        running_central_process(database_url, tmp_path / "b.log") as second,
        Api(first, display, office=office) as at_display,
    ):
        with Api(first, lobby, office=office) as at_lobby:
            results = at_lobby.results(todays_tickets(make, 60))
            assert all(result["status"] == "accepted" for result in results)
        start = last_seq(at_display.http, office)

        def calls_next(number: int) -> None:
            with Api(first if number % 2 else second, counters[number], office=office) as api:
                for _ in range(15):
                    assert api.call_next(number, ["ho-tich"]).status_code == 200

        seen: list[dict[str, Any]] = []
        reader = threading.Thread(
            target=lambda: seen.extend(follow(at_display.http, office, start, 60))
        )
        reader.start()
        writers = [threading.Thread(target=calls_next, args=(n,)) for n in counters]
        for thread in writers:
            thread.start()
        for thread in [*writers, reader]:
            thread.join(180)
    assert [item["seq"] for item in seen] == list(range(start + 1, start + 61))
    assert len({item["label"] for item in seen}) == 60


def test_two_processes_make_one_hall_key(database_url: str, office: str, tmp_path: Path) -> None:
    display = enroll_device(database_url, office, "display", "display-01")
    answers: list[dict[str, str]] = []
    with (
        running_central_process(database_url, tmp_path / "a.log") as first,
        running_central_process(database_url, tmp_path / "b.log") as second,
    ):
        ready = threading.Barrier(4)

        def ask(url: str) -> None:
            with Api(url, display, office=office) as api:
                ready.wait()
                reply = api.http.get(f"/api/v1/offices/{office}/hall-key")
                assert reply.status_code == 200, reply.text
                answers.append(reply.json())

        askers = [threading.Thread(target=ask, args=(url,)) for url in (first, second) * 2]
        for thread in askers:
            thread.start()
        for thread in askers:
            thread.join(60)
    assert len(answers) == 4
    assert all(answer == answers[0] for answer in answers)


def test_a_stopping_server_answers_its_long_polls_at_once(
    database_url: str, office: str, tmp_path: Path
) -> None:
    display = enroll_device(database_url, office, "display", "display-01")
    with CentralProcess(database_url, log=tmp_path / "serve.log") as server:
        server.start()
        poll = LongPoll(server.url, display, office, after=0, wait=30)
        assert poll.pending
        stopping = time.monotonic()
        server.stop()
        stopped = time.monotonic() - stopping
        reply = poll.answer(PROMPT_STOP_S)
    assert stopped < PROMPT_STOP_S
    assert reply.status_code == 200
    assert reply.json()["calls"] == []
