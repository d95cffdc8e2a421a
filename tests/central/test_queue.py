"""GET /api/v1/offices/{office}/queue: waiting per field, estimated wait, recently called."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.api import Api, Events, minutes, now, today


def test_waiting_counts_next_label_and_recent_calls(
    lobby: Api, counter: Api, make: Events, office: str
) -> None:
    start = now() - minutes(90)
    ho_tich = [
        make.issued(f"10{n:02d}", issued_at=start + minutes(n), priority=n in (5, 6))
        for n in range(1, 16)
    ]
    lobby.results(
        [
            *ho_tich,
            make.issued("2001", field_id="dat-dai", issued_at=start),
            make.issued("1099", day=today() - timedelta(days=1), issued_at=start - minutes(1440)),
        ]
    )
    calls = [
        make.called(ticket, at=start + minutes(30 + n)) for n, ticket in enumerate(ho_tich[:12])
    ]
    calls.append(make.called(ho_tich[12], type="ticket.skipped", at=start + minutes(50)))
    counter.results(calls)

    body = lobby.queue().json()
    assert body["office"] == office
    assert datetime.fromisoformat(body["generated_at"]).tzinfo is not None
    assert body["fields"] == [
        {
            "field_id": "dat-dai",
            "waiting": 1,
            "priority_waiting": 0,
            "estimated_wait_minutes": None,
            "next_label": "2001",
        },
        {
            "field_id": "ho-tich",
            "waiting": 2,
            "priority_waiting": 0,
            "estimated_wait_minutes": None,
            "next_label": "1014",
        },
    ]
    recent = body["recently_called"]
    assert [call["label"] for call in recent] == [f"10{n:02d}" for n in range(12, 2, -1)]
    assert recent[0]["field_id"] == "ho-tich"
    assert recent[0]["counter"] == 2
    last_call = datetime.fromisoformat(calls[11]["occurred_at"])
    assert datetime.fromisoformat(recent[0]["called_at"]) == last_call


def test_priority_tickets_are_next(lobby: Api, make: Events) -> None:
    lobby.results(
        [
            make.issued("1001", issued_at=now() - minutes(5)),
            make.issued("1002", issued_at=now() - minutes(1), priority=True),
        ]
    )
    [field] = lobby.queue().json()["fields"]
    assert (field["waiting"], field["priority_waiting"], field["next_label"]) == (2, 1, "1002")


def test_estimated_wait_is_waiting_times_the_median_of_the_last_20_sessions(
    lobby: Api, counter: Api, make: Events
) -> None:
    lobby.results([make.issued(f"10{n:02d}") for n in range(3)])
    start = now() - minutes(600)
    slow_old = [
        make.session_closed(
            called_at=start + minutes(10 * n), closed_at=start + minutes(10 * n + 100)
        )
        for n in range(15)
    ]
    recent = [
        make.session_closed(
            called_at=start + minutes(300 + n),
            closed_at=start + minutes(300 + n + (4 if n % 2 else 8)),
        )
        for n in range(20)
    ]
    other_day = make.session_closed(
        called_at=start, closed_at=start + minutes(1), day=today() - timedelta(days=1)
    )
    counter.results([*slow_old, *recent, other_day])
    [field] = lobby.queue().json()["fields"]
    assert field["waiting"] == 3
    assert field["estimated_wait_minutes"] == 18.0  # 3 × median(4, 8, …) = 3 × 6
