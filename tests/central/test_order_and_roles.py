"""Order is an input, and every event is checked against who may send it.

A call or skip that arrives before its ticket is kept and applied when the ticket arrives; the
final state of an office day is the same for every order in which the devices' outboxes reach
the server. The lobby may not call, skip or rate; a counter only speaks for its own counter and
cannot take a ticket another counter holds.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from central.schema import identities, sessions, tickets
from tests.support.api import Api, Events, minutes, now, today
from tests.support.central import enroll_device, query

NAMESPACE = uuid.UUID("6f1c2d3e-0000-4000-8000-000000000000")


def typed(ticket: dict[str, Any], **options: Any) -> dict[str, Any]:
    """What a counter sends for a number typed (or a ticket QR scanned) while the server was
    unreachable: the ticket's day and label, no ticket id."""
    make = Events(ticket["office"])
    event = make.called(ticket, **options)
    event["data"]["ticket_id"] = None
    return event


def state_of(database_url: str, office: str) -> list[tuple[Any, ...]]:
    return [
        tuple(row)
        for row in query(
            database_url,
            select(tickets.c.label, tickets.c.state, tickets.c.counter, tickets.c.session_id)
            .where(tickets.c.office == office)
            .order_by(tickets.c.label),
        )
    ]


def identity_status(api: Api, counter: int, ticket: dict[str, Any]) -> int:
    reply = api.http.get(
        f"/api/v1/offices/{api.office}/counters/{counter}/identity",
        params={"day": ticket["data"]["day"], "label": ticket["data"]["label"]},
    )
    return reply.status_code


@pytest.fixture
def counter1(base_url: str, database_url: str, office: str):
    token = enroll_device(database_url, office, "counter", "counter-01", counter=1)
    with Api(base_url, token, office=office) as api:
        yield api


# ------------------------------------------------------------------ who may say what


@pytest.mark.parametrize(
    "kind", ["ticket.called", "ticket.recalled", "ticket.skipped", "session.closed", "rating"]
)
def test_the_lobby_may_not_call_skip_close_or_rate(
    lobby: Api, counter: Api, make: Events, kind: str
) -> None:
    ticket = make.issued("1001")
    assert lobby.results([ticket])[0]["status"] == "accepted"
    if kind == "session.closed":
        event = make.session_closed(called_at=now() - minutes(3), closed_at=now())
    elif kind == "rating":
        event = make.citizen_rating(level=1)
    else:
        event = make.called(ticket, type=kind)
    event["device_id"] = "lobby-01"
    result = lobby.results([event])[0]
    assert result["status"] == "rejected"
    assert "a lobby device may not send" in result["reason"]
    assert counter.queue().json()["fields"][0]["waiting"] == 1
    day = today().isoformat()
    assert counter.report(**{"from": day, "to": day, "by": "day"}).json()["total"]["ballots"] == 0


def test_a_counter_may_not_issue_or_speak_for_the_lobby(counter: Api, make: Events) -> None:
    ticket = make.issued("1001", device_id="counter-02")
    identified = make.identified(ticket, device_id="counter-02")  # a lobby's read, not its own
    issued, lobby_read = counter.results([ticket, identified])
    assert issued["status"] == "rejected"
    assert "a counter device may not send" in issued["reason"]
    assert lobby_read["status"] == "rejected"
    assert "must have source counter" in lobby_read["reason"]


def test_a_counter_speaks_only_for_its_own_counter(
    lobby: Api, counter: Api, make: Events, database_url: str, office: str
) -> None:
    ticket = make.issued("1001")
    lobby.results([ticket])
    for event in (
        make.called(ticket, counter=7),
        make.session_closed(called_at=now() - minutes(3), closed_at=now(), counter=7),
        make.citizen_rating(level=1, counter=7),
    ):
        result = counter.results([event])[0]
        assert result == {
            "id": event["id"],
            "status": "rejected",
            "reason": "data.counter 7 is not this device's counter",
        }
    assert state_of(database_url, office)[0][1:3] == ("waiting", None)


def test_a_ticket_served_at_one_counter_cannot_be_taken_by_another(
    lobby: Api, counter: Api, counter1: Api, make: Events, database_url: str, office: str
) -> None:
    ticket = make.issued("1001")
    lobby.results([ticket, make.identified(ticket)])
    called = counter.call_next(2, ["ho-tich"]).json()
    assert called["label"] == "1001"
    for takeover in (
        make.called(ticket, counter=1, device_id="counter-01"),
        typed(ticket, counter=1, device_id="counter-01"),
    ):
        result = counter1.results([takeover])[0]
        assert result["status"] == "rejected"
        assert result["reason"] == f"ticket 1001 of {today()} is being served at counter 2"
    assert identity_status(counter1, 1, ticket) == 404
    assert identity_status(counter, 2, ticket) == 200
    assert state_of(database_url, office) == [("1001", "called", 2, called["session_id"])]


def test_a_no_show_may_be_taken_again_at_another_counter(
    lobby: Api, counter: Api, counter1: Api, make: Events, database_url: str, office: str
) -> None:
    ticket = make.issued("1001")
    lobby.results([ticket])
    called = counter.call_next(2, ["ho-tich"]).json()
    skip = make.called(ticket, type="ticket.skipped", session_id=called["session_id"])
    assert counter.results([skip])[0]["status"] == "accepted"
    again = make.called(ticket, counter=1, device_id="counter-01", at=now() + minutes(1))
    assert counter1.results([again])[0]["status"] == "accepted"
    assert state_of(database_url, office)[0][1:3] == ("called", 1)


# ------------------------------------------------------------------ a call before its ticket


@pytest.mark.parametrize("path", ["typed", "scanned", "typed then skipped", "with ticket id"])
def test_a_call_that_arrives_before_its_ticket_is_applied_when_it_arrives(
    lobby: Api,
    counter: Api,
    counter1: Api,
    make: Events,
    database_url: str,
    office: str,
    path: str,
) -> None:
    ticket = make.issued("1001", issued_at=now() - minutes(10))
    session = str(uuid.uuid4())
    at = now() - minutes(5)
    if path == "with ticket id":
        first = [make.called(ticket, session_id=session, at=at)]
    else:
        first = [typed(ticket, session_id=session, at=at)]
    if path == "scanned":
        first[0]["data"]["field_id"] = None  # a QR names the field only by the number range
    if path == "typed then skipped":
        first.append(typed(ticket, type="ticket.skipped", session_id=session, at=at + minutes(2)))
    assert [r["status"] for r in counter.results(first)] == ["accepted"] * len(first)
    assert [r["status"] for r in lobby.results([ticket, make.identified(ticket)])] == [
        "accepted",
        "accepted",
    ]
    expected_state = "skipped" if path == "typed then skipped" else "called"
    assert state_of(database_url, office) == [("1001", expected_state, 2, session)]
    assert counter.queue().json()["fields"][0]["waiting"] == 0
    assert counter1.call_next(1, ["ho-tich"]).status_code == 204
    assert identity_status(counter1, 1, ticket) == 404
    if expected_state == "called":
        assert identity_status(counter, 2, ticket) == 200


# ------------------------------------------------------------------ any order, one final state


def office_day_events(make: Events) -> tuple[dict[str, list[dict[str, Any]]], str]:
    """One office day's outboxes: a lobby and counters 1 and 2, tickets typed offline, called
    with their id, skipped and taken again, closed and rated, identities given; and the
    session id of the retake."""
    start = now() - minutes(120)
    issued = [make.issued(f"100{n}", issued_at=start + minutes(n)) for n in range(1, 7)]
    lobby = list(issued) + [make.identified(issued[n]) for n in (0, 2, 4)]
    counters: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    plan = [
        (0, 2, "id", True, 1),  # 1001 called at 2 with its id, served, rated 1
        (1, 1, "typed", True, 3),  # 1002 typed at 1 offline, served, rated 3
        (2, 2, "typed", True, None),  # 1003 typed at 2, served, not rated
        (3, 1, "skip", False, None),  # 1004 called at 1, skipped (no show)
        (4, 2, "typed", False, None),  # 1005 typed at 2 and still at the desk
    ]
    for index, number, how, served, level in plan:
        ticket = issued[index]
        device = f"counter-{number:02d}"
        session = str(uuid.uuid4())
        called_at = start + minutes(30 + 10 * index)
        options = {"counter": number, "device_id": device, "session_id": session}
        call = typed(ticket, at=called_at, **options)
        if how == "id" or how == "skip":
            call = make.called(ticket, at=called_at, **options)
        events = [
            call,
            make.called(ticket, type="ticket.recalled", at=called_at + minutes(1), **options),
        ]
        if how == "skip":
            events.append(
                make.called(ticket, type="ticket.skipped", at=called_at + minutes(2), **options)
            )
        if served:
            closed = make.session_closed(
                label=ticket["data"]["label"],
                called_at=called_at,
                closed_at=called_at + minutes(6),
                session_id=session,
                counter=number,
                device_id=device,
            )
            rating = make.citizen_rating(
                level=level, session_id=session, counter=number, device_id=device
            )
            events += [closed, rating]
        counters[number] += events
    # 1004, skipped at counter 1, comes back and is taken at counter 2 later.
    retake = str(uuid.uuid4())
    counters[2].append(
        make.called(
            issued[3], at=start + minutes(90), counter=2, device_id="counter-02", session_id=retake
        )
    )
    return {"lobby-01": lobby, "counter-01": counters[1], "counter-02": counters[2]}, retake


def final_state(database_url: str, office: str, api: Api) -> dict[str, Any]:
    day = today().isoformat()
    return {
        "tickets": state_of(database_url, office),
        "sessions": sorted(
            tuple(row)
            for row in query(
                database_url,
                select(sessions.c.label, sessions.c.counter, sessions.c.session_id).where(
                    sessions.c.office == office
                ),
            )
        ),
        "identities": sorted(
            row.label
            for row in query(
                database_url, select(identities.c.label).where(identities.c.office == office)
            )
        ),
        "queue": [(f["field_id"], f["waiting"]) for f in api.queue().json()["fields"]],
        "report": api.report(**{"from": day, "to": day, "by": "counter"}).json(),
    }


def test_outboxes_in_any_order_give_the_same_final_state(
    base_url: str, database_url: str, office: str
) -> None:
    make = Events(office)
    outboxes, retake = office_day_events(make)
    tokens = {
        "lobby-01": enroll_device(database_url, office, "lobby", "lobby-01"),
        "counter-01": enroll_device(database_url, office, "counter", "counter-01", counter=1),
        "counter-02": enroll_device(database_url, office, "counter", "counter-02", counter=2),
    }
    reference: dict[str, Any] | None = None
    generator = random.Random(20261201)
    for trial in range(8):
        trial_office = office if trial == 0 else f"{int(office) + 50000 + trial:05d}"
        if trial:
            tokens = {
                device: enroll_device(
                    database_url,
                    trial_office,
                    "lobby" if device == "lobby-01" else "counter",
                    device,
                    counter=None if device == "lobby-01" else int(device[-1]),
                )
                for device in outboxes
            }
        apis = {
            device: Api(base_url, token, office=trial_office) for device, token in tokens.items()
        }
        try:
            batches = []
            for device, events in outboxes.items():
                copies = [
                    dict(
                        event,
                        office=trial_office,
                        id=str(uuid.uuid5(NAMESPACE, f"{trial}{event['id']}")),
                    )
                    for event in events
                ]
                generator.shuffle(copies)
                while copies:
                    size = generator.randint(1, 4)
                    batches.append((device, copies[:size]))
                    copies = copies[size:]
            generator.shuffle(batches)
            for device, batch in batches:
                for event, result in zip(batch, apis[device].results(batch), strict=True):
                    # The retake of 1004 at counter 2 is refused while counter 1's skip of it
                    # has not arrived: kept all the same, it applies when the skip arrives.
                    if result["status"] != "accepted":
                        assert event["data"]["session_id"] == retake, result
                        assert result["reason"].endswith("is being served at counter 1")
            state = final_state(database_url, trial_office, apis["counter-02"])
        finally:
            for api in apis.values():
                api.http.close()
        state["report"].pop("office")
        if reference is None:
            reference = state
            assert [row[1:3] for row in state["tickets"]] == [
                ("called", 2),
                ("called", 1),
                ("called", 2),
                ("called", 2),
                ("called", 2),
                ("waiting", None),
            ]
            assert state["identities"] == ["1005"]  # its session is still open
            assert state["report"]["total"]["ballots"] == 2
        else:
            assert state == reference, f"trial {trial}"


def take(api: Api, counter: int, ticket: dict[str, Any]) -> Any:
    return api.http.post(
        f"/api/v1/offices/{api.office}/counters/{counter}/take",
        json={
            "officer_id": "cb-09",
            "day": ticket["data"]["day"],
            "label": ticket["data"]["label"],
            "field_id": None,
        },
    )


def test_a_made_up_ticket_id_takes_nothing_and_reads_no_identity(
    lobby: Api, counter: Api, counter1: Api, make: Events
) -> None:
    ticket = make.issued("1001")
    lobby.results([ticket, make.identified(ticket)])
    assert counter1.call_next(1, ["ho-tich"]).json()["label"] == "1001"
    forged = make.called(ticket, counter=2)
    forged["data"]["ticket_id"] = str(uuid.uuid4())
    result = counter.results([forged])[0]
    assert result["status"] == "rejected"
    assert result["reason"] == f"ticket_id is not the id of ticket 1001 of {today()}"
    assert identity_status(counter, 2, ticket) == 404
    assert identity_status(counter1, 1, ticket) == 200


def test_take_answers_409_when_a_later_fold_puts_it_between_anothers_call_and_skip(
    lobby: Api, counter: Api, counter1: Api, make: Events, database_url: str, office: str
) -> None:
    """Counter 2's clock runs ahead: its call and skip straddle the server's time of a take
    at counter 1, so the fold gives the ticket to counter 2 at that moment: 409, never 500,
    and the refused take leaves nothing behind."""
    ticket = make.issued("1001", issued_at=now() - minutes(10))
    lobby.results([ticket])
    session = str(uuid.uuid4())
    counter.results(
        [
            make.called(ticket, session_id=session, at=now() - minutes(0.5)),
            make.called(ticket, type="ticket.skipped", session_id=session, at=now() + minutes(2)),
        ]
    )
    reply = take(counter1, 1, ticket)
    assert reply.status_code == 409, reply.text
    assert reply.json()["counter"] == 2
    assert state_of(database_url, office)[0][1:3] == ("skipped", 2)
    later = make.called(ticket, counter=1, device_id="counter-01", at=now() + minutes(5))
    assert counter1.results([later])[0]["status"] == "accepted"  # free after the skip


def test_take_calls_a_waiting_ticket_and_refuses_one_held_elsewhere(
    lobby: Api, counter: Api, counter1: Api, make: Events, database_url: str, office: str
) -> None:
    first = make.issued("1001", issued_at=now() - minutes(2))
    second = make.issued("1002", issued_at=now() - minutes(1))
    lobby.results([first, second])
    assert counter.call_next(2, ["ho-tich"]).json()["label"] == "1001"
    held = take(counter1, 1, first)
    assert held.status_code == 409
    assert held.json() == {
        "detail": f"ticket 1001 of {today()} is being served at counter 2",
        "counter": 2,
        "served": False,
    }
    taken = take(counter1, 1, second)
    assert taken.status_code == 200 and taken.json()["label"] == "1002"
    assert [row[1:3] for row in state_of(database_url, office)] == [("called", 2), ("called", 1)]
    unknown = dict(first, data={**first["data"], "label": "1999"})
    assert take(counter1, 1, unknown).status_code == 404
    assert take(counter, 1, second).status_code == 403  # counter 2's token at counter 1


def test_an_identity_of_another_day_is_not_kept(
    lobby: Api, make: Events, database_url: str, office: str
) -> None:
    future = make.issued("1001", day=today() + timedelta(days=3))
    assert lobby.results([future, make.identified(future)])[1]["status"] == "accepted"
    kept = query(database_url, select(identities.c.label).where(identities.c.office == office))
    assert kept == []


def test_call_next_racing_another_counters_calls_never_gives_a_ticket_to_both(
    lobby: Api, counter: Api, counter1: Api, make: Events, database_url: str, office: str
) -> None:
    """Counter 1 calls next while counter 2's events for the same tickets arrive (dated later):
    a ticket call-next handed to counter 1 is never also accepted for counter 2."""
    tickets = [make.issued(f"{1001 + n}", issued_at=now() - minutes(30 - n)) for n in range(24)]
    lobby.results(tickets)
    handed: list[str] = []
    accepted: list[str] = []

    def calls_next() -> None:
        while (reply := counter1.call_next(1, ["ho-tich"])).status_code == 200:
            handed.append(reply.json()["label"])

    def calls_each() -> None:
        for ticket in tickets:
            event = make.called(ticket, at=now() + minutes(1))
            if counter.results([event])[0]["status"] == "accepted":
                accepted.append(ticket["data"]["label"])

    import threading

    workers = [threading.Thread(target=calls_next), threading.Thread(target=calls_each)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert not set(handed) & set(accepted), sorted(set(handed) & set(accepted))
    final = {row[0]: row[2] for row in state_of(database_url, office)}
    assert all(final[label] == 1 for label in handed)
    assert all(final[label] == 2 for label in accepted)
