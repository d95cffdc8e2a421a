"""Bearer tokens: missing, unknown or revoked → 401; another office or the wrong role → 403."""

from __future__ import annotations

import httpx
import pytest

from central.db import Database
from central.enrolment import create_viewer_token, revoke
from tests.support.api import OTHER_OFFICE, Api, Events, now
from tests.support.central import enroll_device

REPORT = {"from": "2025-01-01", "to": "2025-01-31", "by": "officer"}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dXNlcjpwdw=="}],
    ids=["no token", "unknown token", "not bearer"],
)
def test_without_a_valid_token_every_device_endpoint_is_401(
    base_url: str, office: str, headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=base_url, headers=headers) as http:
        answers = [
            http.post("/api/v1/events", json={"events": [{}]}),
            http.get(f"/api/v1/offices/{office}/queue"),
            http.post(
                f"/api/v1/offices/{office}/counters/2/call-next",
                json={"officer_id": "cb-01", "fields": ["ho-tich"]},
            ),
            http.get(f"/api/v1/offices/{office}/reports/satisfaction", params=REPORT),
        ]
    for answer in answers:
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert answer.json()["detail"] in ("a bearer token is required", "unknown or revoked token")


def test_a_revoked_token_is_401(lobby: Api, make: Events, office: str, database_url: str) -> None:
    assert lobby.results([make.issued("1001")])[0]["status"] == "accepted"
    db = Database(database_url)
    try:
        assert revoke(db, office=office, device_id="lobby-01", now=now()) == 1
    finally:
        db.dispose()
    refused = lobby.post_events([make.issued("1002")])
    assert refused.status_code == 401
    assert refused.json() == {"detail": "unknown or revoked token"}


def test_another_office_is_403(lobby: Api, counter: Api) -> None:
    for response in (
        lobby.queue(office=OTHER_OFFICE),
        lobby.report(office=OTHER_OFFICE, **REPORT),
        counter.call_next(2, ["ho-tich"], office=OTHER_OFFICE),
    ):
        assert response.status_code == 403
        assert response.json() == {"detail": "this token belongs to another office"}


def test_only_the_counter_device_of_that_counter_calls_tickets(lobby: Api, counter: Api) -> None:
    assert lobby.call_next(2, ["ho-tich"]).status_code == 403
    other_counter = counter.call_next(3, ["ho-tich"])
    assert other_counter.status_code == 403
    assert other_counter.json() == {"detail": "this device is counter 2"}
    assert counter.call_next(2, ["ho-tich"]).status_code == 204


def test_a_viewer_reads_but_never_writes(
    base_url: str, database_url: str, office: str, make: Events
) -> None:
    db = Database(database_url)
    try:
        viewer = create_viewer_token(db, office=office, now=now())
    finally:
        db.dispose()
    assert viewer.device_id.startswith("viewer-")
    with Api(base_url, viewer.token, office=office) as api:
        assert api.queue().status_code == 200
        assert api.report(**REPORT).status_code == 200
        written = api.post_events([make.issued("1001")])
        assert written.status_code == 403
        assert written.json() == {"detail": "a viewer token may only read"}
        assert api.call_next(2, ["ho-tich"]).status_code == 403


def test_events_of_a_device_in_another_office_are_rejected(
    base_url: str, database_url: str, make: Events
) -> None:
    token = enroll_device(database_url, OTHER_OFFICE, "lobby", "lobby-01")
    with Api(base_url, token, office=OTHER_OFFICE) as stranger:
        [result] = stranger.results([make.issued("1001")])
    assert result["status"] == "rejected"
    assert "is not the token's office" in result["reason"]
