"""The print worker: prints, records the result, survives any failure, retries with the same
number. The printer here is a small fake standing for hardware; the real driver's end-to-end
tests (virtual printer on a pseudo-terminal) live with devices/.
"""

from __future__ import annotations

import queue
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from devices.printer import PrintError, PrinterState
from devices.printjob import PrintJob, Text
from kiosk.printing import PrintOutcome, PrintService
from kiosk.store import Store
from kiosk.tickets import Ticket, TicketService
from tests.support.device import small_config

WAIT = 10  # seconds: an upper bound for a stuck worker, never a timing assertion


class FakePrinter:
    """Stands for the hardware: fails with the errors it is given, in order, then prints."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.printed: list[PrintJob] = []

    def print_job(self, job: PrintJob) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.printed.append(job)


class GatedPrinter(FakePrinter):
    """Holds each print until the test opens the gate, to queue requests behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.started = threading.Event()
        self.gate = threading.Event()

    def print_job(self, job: PrintJob) -> None:
        self.started.set()
        assert self.gate.wait(WAIT)
        super().print_job(job)


@pytest.fixture
def tickets(tmp_path: Path) -> Iterator[TicketService]:
    with Store(tmp_path / "kiosk.db") as store:
        yield TicketService(store, small_config(tmp_path), bytes(32))


def job_for(ticket: Ticket, reprinted_at: datetime | None = None) -> PrintJob:
    if reprinted_at is None:
        return PrintJob((Text(ticket.label),))
    return PrintJob((Text("REPRINT"), Text(f"{reprinted_at:%H:%M}"), Text(ticket.label)))


def new_ticket(tickets: TicketService) -> Ticket:
    return tickets.issue("beta", priority=False, request_id=str(uuid.uuid4()))


@pytest.fixture
def outcomes() -> queue.Queue[PrintOutcome]:
    return queue.Queue()


def service(
    tickets: TicketService, printer: FakePrinter, outcomes: queue.Queue[PrintOutcome]
) -> PrintService:
    return PrintService(tickets, printer, job_for, outcomes.put)


def test_a_submitted_ticket_is_printed_and_recorded(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = FakePrinter()
    printing = service(tickets, printer, outcomes)
    ticket = new_ticket(tickets)
    printing.submit(ticket.id)
    assert outcomes.get(timeout=WAIT) == PrintOutcome(ticket.id, True, None, "")
    assert printer.printed == [job_for(ticket)]
    assert tickets.get(ticket.id).print_status == "printed"
    printing.stop()


def test_a_failed_print_keeps_the_number_and_a_retry_prints_it(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = FakePrinter(PrintError(PrinterState.PAPER_OUT, "the printer is out of paper"))
    printing = service(tickets, printer, outcomes)
    ticket = new_ticket(tickets)
    printing.submit(ticket.id)
    failed = outcomes.get(timeout=WAIT)
    assert failed == PrintOutcome(
        ticket.id, False, PrinterState.PAPER_OUT, "the printer is out of paper"
    )
    stored = tickets.get(ticket.id)
    assert (stored.print_status, stored.print_error) == ("failed", "the printer is out of paper")
    printing.retry(ticket.id)
    assert outcomes.get(timeout=WAIT).ok
    again = tickets.get(ticket.id)
    assert (again.label, again.print_status, again.print_attempts) == (ticket.label, "printed", 2)
    assert len(tickets.tickets_of_day(ticket.day)) == 1
    printing.stop()


def test_a_retry_is_built_as_a_reprint_with_its_time_and_a_first_print_is_not(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    built: list[tuple[str, datetime | None]] = []

    def build(ticket: Ticket, reprinted_at: datetime | None) -> PrintJob:
        built.append((ticket.label, reprinted_at))
        return job_for(ticket, reprinted_at)

    printer = FakePrinter(PrintError(PrinterState.PAPER_OUT, "the printer is out of paper"))
    printing = PrintService(tickets, printer, build, outcomes.put)
    ticket = new_ticket(tickets)
    printing.submit(ticket.id)
    assert not outcomes.get(timeout=WAIT).ok
    before = tickets.now()
    printing.retry(ticket.id)
    assert outcomes.get(timeout=WAIT).ok
    printing.stop()
    (first, first_time), (again, reprinted_at) = built
    assert (first, first_time, again) == (ticket.label, None, ticket.label)
    assert reprinted_at is not None and before <= reprinted_at <= tickets.now()
    assert printer.printed == [job_for(ticket, reprinted_at)]


def test_any_exception_is_a_failed_print_and_the_worker_carries_on(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = FakePrinter(OSError(5, "Input/output error"), RuntimeError("driver bug"))
    printing = service(tickets, printer, outcomes)
    first, second, third = (new_ticket(tickets) for _ in range(3))
    for ticket in (first, second, third):
        printing.submit(ticket.id)
    results = [outcomes.get(timeout=WAIT) for _ in range(3)]
    assert [(r.ticket_id, r.ok, r.state) for r in results] == [
        (first.id, False, None),
        (second.id, False, None),
        (third.id, True, None),
    ]
    assert results[0].reason == "OSError: [Errno 5] Input/output error"
    assert tickets.get(second.id).print_error == "RuntimeError: driver bug"
    printing.stop()


def test_a_failing_layout_or_result_handler_does_not_stop_the_worker(
    tickets: TicketService,
) -> None:
    results: list[PrintOutcome] = []
    done = threading.Event()

    def build(ticket: Ticket, reprinted_at: datetime | None) -> PrintJob:
        if ticket.number == 500:
            raise ValueError("no such field")
        return job_for(ticket, reprinted_at)

    def on_result(outcome: PrintOutcome) -> None:
        results.append(outcome)
        if len(results) == 2:
            done.set()
        raise RuntimeError("a screen went away")

    printer = FakePrinter()
    printing = PrintService(tickets, printer, build, on_result)
    broken, fine = new_ticket(tickets), new_ticket(tickets)
    printing.submit(broken.id)
    printing.submit(fine.id)
    assert done.wait(WAIT)
    assert [(r.ticket_id, r.ok) for r in results] == [(broken.id, False), (fine.id, True)]
    assert results[0].reason == "ValueError: no such field"
    printing.stop()


def test_repeated_requests_print_a_ticket_once(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = GatedPrinter()
    printing = service(tickets, printer, outcomes)
    busy, ticket = new_ticket(tickets), new_ticket(tickets)
    printing.submit(busy.id)
    assert printer.started.wait(WAIT)
    for _ in range(3):  # a triple tap while the printer is busy
        printing.submit(ticket.id)
    printer.gate.set()
    assert [outcomes.get(timeout=WAIT).ticket_id for _ in range(2)] == [busy.id, ticket.id]
    printing.retry(ticket.id)  # already printed: reported, not printed again
    assert outcomes.get(timeout=WAIT) == PrintOutcome(ticket.id, True, None, "")
    assert len(printer.printed) == 2
    printing.stop()


def test_an_unknown_ticket_is_reported_not_printed(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = FakePrinter()
    printing = service(tickets, printer, outcomes)
    printing.submit("no-such-ticket")
    assert outcomes.get(timeout=WAIT) == PrintOutcome(
        "no-such-ticket", False, None, "no such ticket"
    )
    assert printer.printed == []
    printing.stop()


def test_stop_ends_the_worker_and_later_requests_are_ignored(
    tickets: TicketService, outcomes: queue.Queue[PrintOutcome]
) -> None:
    printer = FakePrinter()
    printing = service(tickets, printer, outcomes)
    printing.stop(timeout=WAIT)
    printing.stop(timeout=WAIT)
    ticket = new_ticket(tickets)
    printing.submit(ticket.id)
    assert outcomes.empty()
    assert tickets.tickets_to_retry(ticket.day) == [ticket]
