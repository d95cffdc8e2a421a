"""The key flows at the hours where devices and server used to disagree about "today".

Lobby, counter and central server run on one injected clock, set to local 00:30, 03:59, 04:01,
12:00 and 23:59 (the office's `day_starts_at` is 04:00): a ticket issued at any of them is
synced, called by call-next, its identity reaches the calling counter, it is rated, and the
report of its office day counts the ballot.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import requests

from common.office_clock import default_rule
from kiosk import events
from tests.support.central import central_server
from tests.support.clocks import HCM, Clock
from tests.support.counter import PINS, Counter, Lobby, report

OVERALL = "phien-lam-viec"
DAY = date(2026, 12, 1)
HOURS = {
    "00:30": (time(0, 30), DAY - timedelta(days=1)),
    "03:59": (time(3, 59), DAY - timedelta(days=1)),
    "04:01": (time(4, 1), DAY),
    "12:00": (time(12, 0), DAY),
    "23:59": (time(23, 59), DAY),
}


@pytest.fixture(params=sorted(HOURS))
def at_hour(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Clock, date, tuple]]:
    hour, expected_day = HOURS[request.param]
    clock = Clock(datetime.combine(DAY, hour, HCM))
    with central_server(tmp_path, clock=clock) as central:
        yield clock, expected_day, central


def test_issue_sync_call_identity_rating_and_report_at_any_hour(at_hour, tmp_path: Path):
    clock, expected_day, central = at_hour
    base_url = central[0]
    assert default_rule().day_of(clock.now) == expected_day
    lobby = Lobby(tmp_path / "lobby", clock)
    counter = Counter(tmp_path / "counter", clock, number=2, fields=("ho-tich",))
    try:
        lobby.enrol(central)
        counter.enrol(central, counter=2)
        ticket = lobby.issue("ho-tich")
        assert ticket.day == expected_day
        lobby.personal.add_event(
            events.new_event(
                events.CITIZEN_IDENTIFIED,
                {
                    "day": ticket.day.isoformat(),
                    "label": ticket.label,
                    "ticket_id": ticket.id,
                    "identity": {"id": "001099012345", "name": "Nguyễn Văn Mẫu"},
                },
                office="00637",
                device_id="lobby-01",
                occurred_at=ticket.issued_at,
            )
        )
        assert lobby.sync()["accepted"] == 2
        queue = requests.get(
            f"{base_url}/api/v1/offices/00637/queue",
            headers={"Authorization": f"Bearer {lobby.token()}"},
            timeout=10,
        ).json()
        assert [(f["field_id"], f["waiting"]) for f in queue["fields"]] == [("ho-tich", 1)]

        clock.now += timedelta(seconds=30)
        counter.officers.sign_in("officer-an", PINS["officer-an"])
        called = counter.service.call_next()
        assert called is not None and called.label == ticket.label
        assert called.day == expected_day
        identity = counter.service.identity_of(called)
        assert identity is not None and identity["name"] == "Nguyễn Văn Mẫu"

        counter.service.start_serving()
        clock.now += timedelta(minutes=3)
        counter.service.close_session("da-tiep-nhan", True, {OVERALL: 1})
        counter.service.open_rating()
        clock.now += timedelta(seconds=3)
        counter.service.record_citizen_rating(1, [])
        assert counter.sync()["quarantined"] == 0
        assert counter.service.identity_of(called) is None  # gone once the session closed

        day = expected_day.isoformat()
        body = report(base_url, counter.token(), first=day, last=day, by="day")
        assert [(row["key"], row["ballots"]) for row in body["rows"]] == [(day, 1)]
    finally:
        counter.close()
        lobby.close()
