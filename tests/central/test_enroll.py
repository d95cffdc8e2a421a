"""POST /api/v1/enroll: one-time codes, 7-day validity, replaced devices."""

from __future__ import annotations

import threading
from datetime import timedelta

import httpx
import pytest

from central.db import Database
from central.enrolment import create_code
from tests.support.api import Api, now
from tests.support.central import issue_enroll_code


def enroll(base_url: str, code: str, device: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{base_url}/api/v1/enroll", json={"code": code, "device": device})


LOBBY = {"id": "lobby-01", "role": "lobby", "version": "0.1.0"}


def test_a_code_enrols_a_device_once(base_url: str, database_url: str, office: str) -> None:
    code = issue_enroll_code(database_url, office, "lobby")
    response = enroll(base_url, code, LOBBY)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "device_id": "lobby-01",
        "token": body["token"],
        "office": office,
        "role": "lobby",
        "counter": None,
    }
    assert len(body["token"]) >= 43
    with Api(base_url, body["token"], office=office) as api:
        assert api.queue().status_code == 200
    again = enroll(base_url, code, {**LOBBY, "id": "lobby-02"})
    assert again.status_code == 400
    assert again.json() == {"detail": "this enrolment code was already used"}


def test_a_code_may_name_the_device_and_its_counter(
    base_url: str, database_url: str, office: str
) -> None:
    code = issue_enroll_code(database_url, office, "counter", counter=3, device_id="counter-03")
    typed = code.lower().replace("-", " ")  # as a technician might type it
    response = enroll(base_url, typed, {"role": "counter"})
    assert response.status_code == 200
    assert (response.json()["device_id"], response.json()["counter"]) == ("counter-03", 3)


@pytest.mark.parametrize(
    ("device", "reason"),
    [
        ({"id": "lobby-09", "role": "lobby"}, "this enrolment code is for device lobby-01"),
        ({"id": "lobby-01", "role": "counter"}, "is for a lobby device, not counter"),
    ],
)
def test_a_code_for_another_device_is_refused_and_stays_usable(
    base_url: str, database_url: str, office: str, device: dict[str, str], reason: str
) -> None:
    code = issue_enroll_code(database_url, office, "lobby", device_id="lobby-01")
    refused = enroll(base_url, code, device)
    assert refused.status_code == 400
    assert reason in refused.json()["detail"]
    assert enroll(base_url, code, LOBBY).status_code == 200


def test_a_code_without_a_device_id_needs_one(
    base_url: str, database_url: str, office: str
) -> None:
    code = issue_enroll_code(database_url, office, "lobby")
    response = enroll(base_url, code, {"role": "lobby"})
    assert response.status_code == 400
    assert "send device.id" in response.json()["detail"]


def test_unknown_and_expired_codes_are_refused(
    base_url: str, database_url: str, office: str
) -> None:
    assert enroll(base_url, "0000-0000-0000", LOBBY).json() == {"detail": "unknown enrolment code"}
    db = Database(database_url)
    try:
        old = create_code(db, office=office, role="lobby", now=now() - timedelta(days=7, minutes=1))
        fresh = create_code(db, office=office, role="lobby", now=now() - timedelta(days=6))
    finally:
        db.dispose()
    expired = enroll(base_url, old.code, LOBBY)
    assert expired.status_code == 400
    assert "expired" in expired.json()["detail"]
    assert enroll(base_url, fresh.code, LOBBY).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"code": "X", "device": {"id": "Lobby 01", "role": "lobby"}},
        {"code": "X", "device": {"id": "a" * 33, "role": "lobby"}},
        {"code": "X", "device": {"id": "lobby-01", "role": "viewer"}},
        {"code": 12, "device": {"role": "lobby"}},
        {"device": {"role": "lobby"}},
        {"code": "X", "device": {"role": "lobby", "version": "0.1\x00"}},
        {"code": "X\x00", "device": {"role": "lobby"}},
    ],
)
def test_a_malformed_request_is_422(base_url: str, body: dict[str, object]) -> None:
    response = httpx.post(f"{base_url}/api/v1/enroll", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


def test_re_enrolling_a_device_revokes_its_old_token(
    base_url: str, database_url: str, office: str
) -> None:
    first = enroll(base_url, issue_enroll_code(database_url, office, "lobby"), LOBBY).json()
    second = enroll(base_url, issue_enroll_code(database_url, office, "lobby"), LOBBY).json()
    with Api(base_url, first["token"], office=office) as old:
        assert old.queue().status_code == 401
    with Api(base_url, second["token"], office=office) as new:
        assert new.queue().status_code == 200


def test_concurrent_use_of_one_code_enrols_one_device(
    base_url: str, database_url: str, office: str
) -> None:
    code = issue_enroll_code(database_url, office, "lobby")
    tries = 6
    go = threading.Barrier(tries)
    statuses: list[int] = []

    def attempt(number: int) -> None:
        go.wait()
        statuses.append(enroll(base_url, code, {**LOBBY, "id": f"lobby-{number}"}).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(tries)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [400] * (tries - 1)
