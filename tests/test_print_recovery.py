"""Prints of unknown outcome and the start-up rule for tickets left unprinted (kiosk.printing),
with an injected clock. The printer is a small fake standing for hardware (tests/
test_print_service.py); the real driver and real processes are in tests/test_print_kill9.py.
"""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from devices.printer import PrintError, PrinterState
from kiosk.printing import PrintOutcome, PrintService, prints_at_start
from kiosk.store import Store
from kiosk.tickets import Ticket, TicketService
from tests.support.clocks import HCM, Clock
from tests.support.device import small_config
from tests.test_print_service import WAIT, FakePrinter, job_for

ISSUED = datetime(2026, 6, 3, 9, 0, tzinfo=HCM)
WINDOW = timedelta(seconds=60)


@pytest.fixture
def clock() -> Clock:
    return Clock(ISSUED)


@pytest.fixture
def tickets(tmp_path: Path, clock: Clock) -> Iterator[TicketService]:
    with Store(tmp_path / "kiosk.db") as store:
        yield TicketService(store, small_config(tmp_path), bytes(32), clock)


@pytest.fixture
def outcomes() -> queue.Queue[PrintOutcome]:
    return queue.Queue()


def issue(tickets: TicketService) -> Ticket:
    return tickets.issue("beta", priority=False, request_id=str(uuid.uuid4()))


def restart(
    tickets: TicketService, printer: FakePrinter, outcomes: queue.Queue[PrintOutcome]
) -> PrintService:
    """The print service of a freshly started lobby: it settles the last run first."""
    return PrintService(tickets, printer, job_for, outcomes.put, resume_within=WINDOW)


def settled(printing: PrintService) -> None:
    printing.stop(timeout=WAIT)  # the start-up work runs before the worker takes requests


def test_a_job_that_went_to_the_printer_before_it_failed_is_never_printed_by_itself(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = FakePrinter(PrintError(PrinterState.OFFLINE, "print job interrupted", sent=True))
    printing = PrintService(tickets, printer, job_for, outcomes.put)
    ticket = issue(tickets)
    printing.submit(ticket.id)
    outcome = outcomes.get(timeout=WAIT)
    assert (outcome.ok, outcome.sent) == (False, True)
    assert tickets.get(ticket.id).print_status == "unknown"
    assert tickets.tickets_of_unknown_outcome(ticket.day) == [tickets.get(ticket.id)]
    assert tickets.tickets_to_retry(ticket.day) == []

    printing.submit(ticket.id)  # anything but a technician's reprint leaves it alone
    refused = outcomes.get(timeout=WAIT)
    assert not refused.ok and "technician" in refused.reason
    assert printer.printed == []

    printing.retry(ticket.id)  # the technician asked the citizen, and reprints
    assert outcomes.get(timeout=WAIT).ok
    assert printer.printed == [job_for(ticket, tickets.now())]
    assert tickets.get(ticket.id).print_status == "printed"
    printing.stop()


def test_a_job_refused_before_anything_was_sent_is_a_plain_failure(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = FakePrinter(PrintError(PrinterState.PAPER_OUT, "not printed: out of paper"))
    printing = PrintService(tickets, printer, job_for, outcomes.put)
    ticket = issue(tickets)
    printing.submit(ticket.id)
    assert not outcomes.get(timeout=WAIT).ok
    assert tickets.get(ticket.id).print_status == "failed"
    printing.stop()


def test_a_print_the_process_died_in_is_of_unknown_outcome_at_the_next_start(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome], clock: Clock
) -> None:
    ticket = issue(tickets)
    assert tickets.mark_printing(ticket.id) is not None  # then the process was killed
    printer = FakePrinter()
    settled(restart(tickets, printer, outcomes))
    stored = tickets.get(ticket.id)
    assert (stored.print_status, stored.print_attempts) == ("unknown", 1)
    assert printer.printed == []  # young as it is, it may be on paper already


@pytest.mark.parametrize(
    ("started_after", "printed"),
    [
        (timedelta(0), True),
        (WINDOW, True),  # exactly the window: still printed
        (WINDOW + timedelta(seconds=1), False),
        (timedelta(days=1), False),  # yesterday's ticket, at the same hour today
        (-timedelta(minutes=5), False),  # the clock was stepped back since it was issued
    ],
)
def test_a_ticket_never_sent_to_the_printer_is_printed_at_start_only_while_young(
    tickets: TicketService,
    outcomes: queue.Queue[PrintOutcome],
    clock: Clock,
    started_after: timedelta,
    printed: bool,
) -> None:
    ticket = issue(tickets)  # issued, then the process died before printing it
    clock.now = ISSUED + started_after
    printer = FakePrinter()
    settled(restart(tickets, printer, outcomes))
    assert printer.printed == ([job_for(ticket)] if printed else [])
    assert tickets.get(ticket.id).print_status == ("printed" if printed else "pending")
    # A ticket left unprinted stays listed for the technician while its day lasts.
    today = tickets.office_day_now()
    assert tickets.tickets_to_retry(today) == ([] if printed or today != ticket.day else [ticket])


def test_the_rule_leaves_failed_and_unknown_tickets_to_the_technician(
    tickets: TicketService, clock: Clock
) -> None:
    failed, unknown = issue(tickets), issue(tickets)
    tickets.mark_print_failed(failed.id, "out of paper")
    tickets.mark_print_unknown(unknown.id, "print job interrupted")
    today = tickets.office_day_now()
    for ticket in (failed, unknown):
        assert not prints_at_start(tickets.get(ticket.id), now=ISSUED, today=today, window=WINDOW)
