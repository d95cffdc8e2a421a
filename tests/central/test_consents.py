"""Consent answers at the lobby: validated strictly, from lobbies only, kept whatever order
their two events arrive in, listed in the consent log and counted in the report."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest

from kiosk.consent import Answer, consent_events
from tests.support.api import Api, Events, now, today
from tests.support.central import viewer_token

VERSION = "ab" * 32


def answers(
    make: Events,
    agreed: bool,
    *,
    ticket: dict[str, Any] | None = None,
    withdrawn: bool = False,
    language: str = "vi",
    field_id: str = "ho-tich",
    at: datetime | None = None,
    device_id: str = "lobby-01",
) -> list[dict[str, Any]]:
    """The lobby's own events (kiosk.consent) of one answer, linked to `ticket` when given."""
    moment = at or now()
    answer = Answer.given(agreed, moment, language, VERSION, field_id)
    if withdrawn:
        answer = answer.withdrawn(moment + timedelta(seconds=20))
    data = ticket["data"] if ticket else {}
    return consent_events(
        answer,
        day=today(),
        ticket_id=data.get("ticket_id"),
        label=data.get("label"),
        office=make.office,
        device_id=device_id,
    )


@pytest.fixture
def viewer(base_url: str, database_url: str, office: str) -> Any:
    with Api(base_url, viewer_token(database_url, office), office=office) as api:
        yield api


def consent_log(api: Api, **params: str) -> Any:
    return api.http.get(
        f"/api/v1/offices/{api.office}/consents", params={"day": today().isoformat(), **params}
    )


def test_only_a_lobby_may_send_them_and_nothing_but_their_keys(
    lobby: Api, counter: Api, make: Events
) -> None:
    sent = answers(make, True, withdrawn=True, device_id="counter-02")
    reasons = [result.get("reason") for result in counter.results(sent)]
    assert reasons == [
        "a counter device may not send consent.answered",
        "a counter device may not send consent.withdrawn",
    ]
    answered, withdrawn = answers(make, True, withdrawn=True)
    with_card = {**answered, "data": {**answered["data"], "identity": {"name": "Nguyễn Văn An"}}}
    with_card["id"] = answers(make, True)[0]["id"]
    bad_version = {**answered, "id": answers(make, True)[0]["id"]}
    bad_version["data"] = {**answered["data"], "text_version": "ABC"}
    maybe = {**answered, "id": answers(make, True)[0]["id"]}
    maybe["data"] = {**answered["data"], "answer": "maybe"}
    results = lobby.results([with_card, bad_version, maybe, answered, withdrawn])
    assert [result["status"] for result in results] == [
        "rejected",
        "rejected",
        "rejected",
        "accepted",
        "accepted",
    ]
    assert "identity" in results[0]["reason"]
    assert "text_version" in results[1]["reason"]
    assert "answer" in results[2]["reason"]


def test_a_withdrawal_arriving_before_its_answer_still_ends_withdrawn(
    lobby: Api, viewer: Api, make: Events
) -> None:
    ticket = make.issued("1001")
    answered, withdrawn = answers(make, True, ticket=ticket, withdrawn=True, language="en")
    assert [r["status"] for r in lobby.results([ticket, withdrawn])] == ["accepted"] * 2
    pending = consent_log(viewer).json()["consents"]
    assert [(row["answer"], row["withdrawn"]) for row in pending] == [(None, True)]
    assert [r["status"] for r in lobby.results([answered, withdrawn])] == [
        "accepted",
        "duplicate",
    ]
    [row] = consent_log(viewer).json()["consents"]
    assert row == {
        "consent_id": answered["data"]["consent_id"],
        "answered_at": row["answered_at"],
        "device_id": "lobby-01",
        "language": "en",
        "text_version": VERSION,
        "answer": "yes",
        "withdrawn": True,
        "withdrawn_at": row["withdrawn_at"],
        "ticket_id": ticket["data"]["ticket_id"],
        "label": "1001",
        "field_id": "ho-tich",
    }
    assert datetime.fromisoformat(row["withdrawn_at"]) > datetime.fromisoformat(row["answered_at"])


def test_the_report_shows_the_share_of_visits_that_consented(
    lobby: Api, viewer: Api, make: Events
) -> None:
    """Visits: tickets issued after an answer; consented: yes, not withdrawn."""
    tickets = [
        make.issued(str(1001 + n), field_id="ho-tich" if n < 4 else "cu-tru") for n in range(6)
    ]
    sent = list(tickets)
    plan = [
        (True, False),
        (True, False),
        (True, True),
        (False, False),
        (False, False),
        (True, False),
    ]
    for ticket, (agreed, withdrawn) in zip(tickets, plan, strict=True):
        sent += answers(
            make, agreed, ticket=ticket, withdrawn=withdrawn, field_id=ticket["data"]["field_id"]
        )
    sent += answers(make, True)  # a visit that ended without a ticket
    assert {r["status"] for r in lobby.results(sent)} == {"accepted"}
    day = today().isoformat()

    def expected(rows: list[tuple[bool, bool]], without_ticket: int) -> dict[str, Any]:
        visits = len(rows)
        consented = sum(agreed and not withdrawn for agreed, withdrawn in rows)
        return {
            "visits": visits,
            "yes": sum(agreed for agreed, _ in rows),
            "no": sum(not agreed for agreed, _ in rows),
            "withdrawn": sum(withdrawn for _, withdrawn in rows),
            "consented": consented,
            "consent_rate": round(100 * consented / visits, 1),
            "without_ticket": without_ticket,
        }

    by_day = viewer.report(**{"from": day, "to": day}, by="day").json()["consent"]
    assert by_day == {"rows": [{"key": day, **expected(plan, 1)}], "total": expected(plan, 1)}
    by_field = viewer.report(**{"from": day, "to": day}, by="field").json()["consent"]
    assert by_field["rows"] == [
        {"key": "cu-tru", **expected(plan[4:], 0)},
        {"key": "ho-tich", **expected(plan[:4], 1)},
    ]
    by_officer = viewer.report(**{"from": day, "to": day}, by="officer").json()["consent"]
    assert by_officer == {"rows": [], "total": expected(plan, 1)}
    table = list(
        csv.reader(
            io.StringIO(viewer.report(**{"from": day, "to": day}, by="day", format="csv").text)
        )
    )
    assert table[0][-6:] == [
        "visits_asked",
        "consent_yes",
        "consent_no",
        "consent_withdrawn",
        "consented",
        "consent_rate",
    ]
    assert [row[0] for row in table[1:]] == [day, "total"]
    assert table[1][-6:] == ["6", "4", "2", "1", "3", "50.0"]
    page = viewer.http.get(
        f"/api/v1/offices/{viewer.office}/reports/satisfaction/page",
        params={"from": day, "to": day},
    ).text
    assert "<div>Tỷ lệ đồng ý dùng thẻ<b>50,0%</b></div>" in page
    shown = today().strftime("%d/%m/%Y")
    cells = "".join(f"<td>{value}</td>" for value in (6, 4, 2, 1, 3, "50,0%", 1))
    assert f"<tr><td>{shown}</td>{cells}</tr>" in page
    assert f"<tr><td>Tổng cộng</td>{cells}</tr>" in page


def test_the_consent_log_as_csv_holds_no_card_data(lobby: Api, viewer: Api, make: Events) -> None:
    ticket = make.issued("1001")
    lobby.results(
        [ticket, lobby_identity := make.identified(ticket), *answers(make, False, ticket=ticket)]
    )
    assert lobby_identity["data"]["identity"]["name"] == "Nguyễn Văn An"
    response = consent_log(viewer, format="csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == [
        "consent_id",
        "answered_at",
        "device_id",
        "language",
        "text_version",
        "answer",
        "withdrawn",
        "withdrawn_at",
        "ticket_id",
        "label",
        "field_id",
    ]
    assert [row[5:8] for row in table[1:]] == [["no", "false", ""]]
    assert "Nguyễn" not in response.text and "001099012345" not in response.text
    assert consent_log(viewer, office="x").status_code == 200  # unknown params are ignored
    other = viewer.http.get("/api/v1/offices/99999/consents", params={"day": today().isoformat()})
    assert other.status_code == 403
