"""Issuing tickets: numbering, daily reset, idempotent taps, events, print state, QR codes."""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from kiosk.config import Config
from kiosk.store import Store
from kiosk.ticket_signing import InvalidTicket, verify_ticket
from kiosk.tickets import (
    NumbersExhausted,
    Ticket,
    TicketService,
    UnknownField,
    UnknownTicket,
)
from tests.support.clocks import HCM, Clock
from tests.support.device import small_config

MORNING = datetime(2025, 7, 1, 9, 0, tzinfo=HCM)
KEY = bytes(range(32))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return small_config(tmp_path)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "kiosk.db") as store:
        yield store


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def service(store: Store, config: Config, clock: Clock) -> TicketService:
    return TicketService(store, config, KEY, clock)


def issue(service: TicketService, field_id: str = "alpha", priority: bool = False) -> Ticket:
    return service.issue(field_id, priority=priority, request_id=str(uuid.uuid4()))


def events_of(store: Store, type: str) -> list[dict]:
    return [e for e in store.outbox.pending() if e["type"] == type]


def test_each_field_numbers_from_its_own_range(service: TicketService) -> None:
    labels = [issue(service, f).label for f in ("alpha", "beta", "alpha", "beta", "alpha")]
    assert labels == ["A001", "500", "A002", "501", "A003"]


def test_office_day_starts_at_day_starts_at_in_the_office_time_zone(config: Config) -> None:
    office_day = config.office.day_rule.day_of  # 04:00 in Asia/Ho_Chi_Minh (UTC+7)
    assert office_day(datetime(2025, 7, 2, 3, 59, tzinfo=HCM)) == date(2025, 7, 1)
    assert office_day(datetime(2025, 7, 2, 4, 0, tzinfo=HCM)) == date(2025, 7, 2)
    # 20:59 UTC on 1 July is 03:59 on 2 July in Hà Nội: still the office day of 1 July.
    assert office_day(datetime(2025, 7, 1, 20, 59, tzinfo=UTC)) == date(2025, 7, 1)
    assert office_day(datetime(2025, 7, 1, 21, 0, tzinfo=UTC)) == date(2025, 7, 2)
    with pytest.raises(ValueError):
        office_day(datetime(2025, 7, 2, 9, 0))


def test_numbering_restarts_each_office_day(service: TicketService, clock: Clock) -> None:
    assert [issue(service).label for _ in range(2)] == ["A001", "A002"]
    clock.now = datetime(2025, 7, 2, 3, 59, tzinfo=HCM)  # before day_starts_at: same day
    late = issue(service)
    assert (late.label, late.day) == ("A003", date(2025, 7, 1))
    clock.now = datetime(2025, 7, 2, 4, 0, tzinfo=HCM)
    fresh = issue(service)
    assert (fresh.label, fresh.day, fresh.waiting_ahead) == ("A001", date(2025, 7, 2), 0)
    assert fresh.issued_at == clock.now


def test_the_same_request_id_always_gives_the_same_ticket(
    service: TicketService, store: Store
) -> None:
    request_id = str(uuid.uuid4())
    tickets = [service.issue("beta", priority=True, request_id=request_id) for _ in range(3)]
    assert tickets[0] == tickets[1] == tickets[2]
    assert tickets[0].priority
    assert len(service.tickets_of_day(MORNING.date())) == 1
    assert len(events_of(store, "ticket.issued")) == 1
    with pytest.raises(ValueError, match="already used for another field"):
        service.issue("alpha", priority=False, request_id=request_id)


def test_an_exhausted_range_refuses_and_names_the_field(
    service: TicketService, clock: Clock
) -> None:
    for _ in range(3):
        issue(service, "alpha")
    with pytest.raises(NumbersExhausted) as caught:
        issue(service, "alpha")
    assert caught.value.field_id == "alpha"
    assert issue(service, "beta").label == "500"  # other fields carry on
    clock.now += timedelta(days=1)
    assert issue(service, "alpha").label == "A001"


def test_unknown_field_and_disabled_priority_are_refused(
    service: TicketService, store: Store, config: Config
) -> None:
    with pytest.raises(UnknownField) as caught:
        issue(service, "dat-dai")
    assert caught.value.field_id == "dat-dai"
    no_priority = replace(config, catalogue=replace(config.catalogue, priority_enabled=False))
    strict = TicketService(store, no_priority, KEY)
    with pytest.raises(ValueError, match="priority"):
        issue(strict, "alpha", priority=True)


def test_issuing_writes_the_ticket_issued_event_in_the_envelope(
    service: TicketService, store: Store, config: Config
) -> None:
    ticket = issue(service, "beta", priority=True)
    (event,) = store.outbox.pending()
    assert set(event) == {"id", "type", "occurred_at", "office", "device_id", "schema", "data"}
    assert uuid.UUID(event["id"]).version == 4
    assert (event["type"], event["schema"]) == ("ticket.issued", 1)
    assert (event["office"], event["device_id"]) == ("00637", config.device.id)
    assert event["occurred_at"] == "2025-07-01T09:00:00.000+07:00"
    assert event["data"] == {
        "ticket_id": ticket.id,
        "day": "2025-07-01",
        "field_id": "beta",
        "number": 500,
        "label": "500",
        "priority": True,
        "waiting_ahead": 0,
        "waiting_source": "local",
        "issued_at": "2025-07-01T09:00:00.000+07:00",
    }
    assert store.outbox.counts() == {"pending": 1, "quarantined": 0}


def test_marking_printed_writes_one_ticket_printed_event(
    service: TicketService, store: Store, clock: Clock
) -> None:
    ticket = issue(service)
    clock.now = MORNING + timedelta(seconds=4)
    printed = service.mark_printed(ticket.id)
    again = service.mark_printed(ticket.id)
    assert printed == again
    assert (printed.print_status, printed.print_attempts) == ("printed", 1)
    assert printed.printed_at == clock.now
    (event,) = events_of(store, "ticket.printed")
    assert event["occurred_at"] == "2025-07-01T09:00:04.000+07:00"
    assert event["data"] == {
        "ticket_id": ticket.id,
        "day": "2025-07-01",
        "field_id": "alpha",
        "label": "A001",
        "attempts": 1,
    }
    with pytest.raises(UnknownTicket):
        service.mark_printed("no-such-ticket")


def test_a_failed_print_keeps_the_number_and_can_be_printed_again(
    service: TicketService, store: Store
) -> None:
    ticket = issue(service)
    failed = service.mark_print_failed(ticket.id, "printer out of paper")
    assert (failed.print_status, failed.print_error, failed.print_attempts) == (
        "failed",
        "printer out of paper",
        1,
    )
    assert [t.id for t in service.tickets_to_retry(ticket.day)] == [ticket.id]
    printed = service.mark_printed(ticket.id)
    assert (printed.label, printed.number) == (ticket.label, ticket.number)
    assert (printed.print_status, printed.print_error, printed.print_attempts) == (
        "printed",
        None,
        2,
    )
    assert service.tickets_to_retry(ticket.day) == []
    assert service.mark_print_failed(ticket.id, "late error").print_status == "printed"
    assert len(service.tickets_of_day(ticket.day)) == 1
    assert store.tickets.counts("00637", ticket.day) == {
        "issued": 1,
        "pending": 0,
        "printed": 1,
        "failed": 0,
        "unknown": 0,
    }


def test_tickets_survive_closing_and_reopening_the_store(
    tmp_path: Path, config: Config, clock: Clock
) -> None:
    with Store(tmp_path / "again.db") as store:
        first = issue(TicketService(store, config, KEY, clock))
    with Store(tmp_path / "again.db") as store:
        service = TicketService(store, config, KEY, clock)
        assert service.get(first.id) == first
        assert issue(service).label == "A002"
        assert service.get("missing") is None


def test_qr_payload_verifies_and_holds_nothing_else(service: TicketService) -> None:
    ticket = issue(service, "alpha")
    assert re.fullmatch(r"VNQ1\|00637\|20250701\|A001\|lobby-01\|[A-Z2-7]{16}", ticket.qr_payload)
    ref = verify_ticket(ticket.qr_payload, {"lobby-01": KEY}.get)
    assert (ref.office, ref.day, ref.label, ref.device_id) == (
        "00637",
        date(2025, 7, 1),
        "A001",
        "lobby-01",
    )
    assert verify_ticket(ticket.qr_payload + "\r\n", {"lobby-01": KEY}.get) == ref


def test_any_edited_character_is_rejected(service: TicketService) -> None:
    payload = issue(service, "beta").qr_payload
    keys = {"lobby-01": KEY, "lobby-02": KEY}.get
    for position, original in enumerate(payload):
        for replacement in "0A2Z|a-7":
            if replacement == original:
                continue
            edited = payload[:position] + replacement + payload[position + 1 :]
            with pytest.raises(InvalidTicket):
                verify_ticket(edited, keys)


def test_unknown_devices_and_foreign_codes_are_rejected(service: TicketService) -> None:
    payload = issue(service).qr_payload
    with pytest.raises(InvalidTicket, match="unknown device"):
        verify_ticket(payload, {}.get)
    with pytest.raises(InvalidTicket, match="signature"):
        verify_ticket(payload, {"lobby-01": bytes(32)}.get)
    for foreign in ("https://dichvucong.gov.vn", "001099012345||Nguyễn Văn A|01011990|Nam", ""):
        with pytest.raises(InvalidTicket):
            verify_ticket(foreign, {"lobby-01": KEY}.get)


def test_waiting_ahead_counts_earlier_tickets_of_the_field_today(
    service: TicketService, clock: Clock
) -> None:
    assert [issue(service, "alpha").waiting_ahead for _ in range(3)] == [0, 1, 2]
    assert issue(service, "beta").waiting_ahead == 0
    assert service.issued_today_here("alpha") == 3
    assert service.issued_today_here("beta") == 1
    clock.now += timedelta(days=1)
    assert service.issued_today_here("alpha") == 0
    assert issue(service, "alpha").waiting_ahead == 0


def test_ahead_of_a_priority_ticket_are_only_the_earlier_priority_ones(
    service: TicketService,
) -> None:
    """The central queue calls priority tickets first: one says so on its paper."""
    assert [issue(service, "beta").waiting_ahead for _ in range(3)] == [0, 1, 2]
    assert issue(service, "beta", priority=True).waiting_ahead == 0
    assert issue(service, "beta", priority=True).waiting_ahead == 1
    assert issue(service, "alpha", priority=True).waiting_ahead == 0
    assert issue(service, "beta").waiting_ahead == 5  # a later plain ticket: every earlier one


def test_one_service_shared_by_threads_never_repeats_a_number(
    service: TicketService, store: Store
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = list(pool.map(lambda _: issue(service, "beta"), range(80)))
    assert sorted(t.number for t in tickets) == list(range(500, 580))
    rows = sqlite3.connect(store.path).execute("SELECT COUNT(*) FROM outbox").fetchone()
    assert rows == (80,)
