"""A small HTTP client of the central API for the tests, and builders of valid events."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from common.office_clock import default_rule
from tests.support.clocks import RunningClock, office_hours_now

OTHER_OFFICE = "99999"  # no test's own office: the tests' offices count up from 10000


class Api:
    """One device's (or viewer's) view of the server: its token on every request."""

    def __init__(self, base_url: str, token: str | None, *, office: str) -> None:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=60)
        self.office = office

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()

    def post_events(self, events: list[Any]) -> httpx.Response:
        # Escaped JSON: a lone surrogate (a test case) cannot be encoded as UTF-8 otherwise.
        body = json.dumps({"events": events}).encode("ascii")
        return self.http.post(
            "/api/v1/events", content=body, headers={"Content-Type": "application/json"}
        )

    def results(self, events: list[Any]) -> list[dict[str, Any]]:
        response = self.post_events(events)
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def queue(self, office: str | None = None) -> httpx.Response:
        return self.http.get(f"/api/v1/offices/{office or self.office}/queue")

    def call_next(
        self,
        counter: int,
        fields: list[str],
        *,
        officer_id: str = "cb-01",
        office: str | None = None,
    ) -> httpx.Response:
        return self.http.post(
            f"/api/v1/offices/{office or self.office}/counters/{counter}/call-next",
            json={"officer_id": officer_id, "fields": fields},
        )

    def report(self, office: str | None = None, **params: str) -> httpx.Response:
        path = f"/api/v1/offices/{office or self.office}/reports/satisfaction"
        return self.http.get(path, params=params)


# The server under test and the events the tests build share this clock: 10:00 local on the
# office day the real clock is in, running at real speed (tests may move it).
CLOCK = RunningClock(office_hours_now())


def now() -> datetime:
    return CLOCK()


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def today() -> date:
    return default_rule().day_of(now())


class Events:
    """Builders of valid events of one office (each test has an office of its own)."""

    def __init__(self, office: str) -> None:
        self.office = office

    def event(
        self,
        type: str,
        data: dict[str, Any],
        *,
        device_id: str,
        office: str | None = None,
        occurred_at: datetime | None = None,
    ) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "type": type,
            "occurred_at": stamp(occurred_at or now()),
            "office": office or self.office,
            "device_id": device_id,
            "schema": 1,
            "data": data,
        }

    def issued(
        self,
        label: str,
        *,
        field_id: str = "ho-tich",
        priority: bool = False,
        issued_at: datetime | None = None,
        day: date | None = None,
        device_id: str = "lobby-01",
        ticket_id: str | None = None,
    ) -> dict[str, Any]:
        moment = issued_at or now()
        data = {
            "ticket_id": ticket_id or str(uuid.uuid4()),
            "day": (day or today()).isoformat(),
            "field_id": field_id,
            "number": int("".join(ch for ch in label if ch.isdigit()) or 0),
            "label": label,
            "priority": priority,
            "waiting_ahead": 0,
            "issued_at": stamp(moment),
        }
        return self.event("ticket.issued", data, device_id=device_id, occurred_at=moment)

    def called(
        self,
        ticket: dict[str, Any],
        *,
        type: str = "ticket.called",
        counter: int = 2,
        device_id: str = "counter-02",
        at: datetime | None = None,
        session_id: str | None = None,
    ) -> dict[str, Any]:
        data = {
            "day": ticket["data"]["day"],
            "label": ticket["data"]["label"],
            "counter": counter,
            "officer_id": "cb-01",
            "session_id": session_id or str(uuid.uuid4()),
            "ticket_id": ticket["data"]["ticket_id"],
            "field_id": ticket["data"]["field_id"],
        }
        return self.event(type, data, device_id=device_id, occurred_at=at)

    def session_closed(
        self,
        *,
        label: str = "1001",
        field_id: str = "ho-tich",
        called_at: datetime,
        closed_at: datetime,
        day: date | None = None,
        session_id: str | None = None,
        counter: int = 2,
        officer_id: str = "cb-01",
        device_id: str = "counter-02",
    ) -> dict[str, Any]:
        data = {
            "session_id": session_id or str(uuid.uuid4()),
            "day": (day or today()).isoformat(),
            "label": label,
            "field_id": field_id,
            "counter": counter,
            "officer_id": officer_id,
            "called_at": stamp(called_at),
            "closed_at": stamp(closed_at),
            "outcome": "Hồ sơ đầy đủ – đã tiếp nhận",
            "same_day_result": True,
            "officer_rating": {"scale": 3, "level": 1},
            "flags": [],
        }
        return self.event("session.closed", data, device_id=device_id, occurred_at=closed_at)

    def citizen_rating(
        self,
        *,
        level: int | None,
        scale: int = 3,
        session_id: str | None = None,
        day: date | None = None,
        counter: int = 2,
        officer_id: str = "cb-01",
        field_id: str = "ho-tich",
        device_id: str = "counter-02",
    ) -> dict[str, Any]:
        data = {
            "session_id": session_id or str(uuid.uuid4()),
            "day": (day or today()).isoformat(),
            "counter": counter,
            "officer_id": officer_id,
            "field_id": field_id,
            "rated": level is not None,
            "scale": scale,
            "level": level,
            "reasons": [] if level is None or level <= 2 else ["Chờ lâu"],
            "rated_at": None if level is None else stamp(now()),
            "flags": [],
        }
        return self.event("rating.citizen", data, device_id=device_id)

    def identified(self, ticket: dict[str, Any], *, device_id: str = "lobby-01") -> dict[str, Any]:
        data = {
            "day": ticket["data"]["day"],
            "label": ticket["data"]["label"],
            "ticket_id": ticket["data"]["ticket_id"],
            "identity": {"id": "001099012345", "name": "Nguyễn Văn An"},
        }
        return self.event("citizen.identified", data, device_id=device_id)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
