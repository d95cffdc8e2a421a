"""Printing tickets on one worker thread, so a slow or stuck printer never blocks a screen.

The ticket exists before it is printed: a failed print keeps its number, and `retry` prints the
same ticket again, as a reprint (the job builder is given the time of the reprint, so the copy
says "IN LẠI"). Whatever the printer or the store does, the worker keeps running and every
request ends in exactly one `on_result` call (from the worker thread: hop to the UI thread there).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from devices.printer import PrintError, PrinterState
from devices.printjob import PrintJob
from kiosk.tickets import Ticket, TicketService

log = logging.getLogger(__name__)


class Printer(Protocol):
    def print_job(self, job: PrintJob) -> None: ...


@dataclass(frozen=True)
class PrintOutcome:
    """How one print request ended.

    `state` is the printer state the driver reported with a failure (None when the print worked
    or the failure was not the printer's); `reason` is empty on success.
    """

    ticket_id: str
    ok: bool
    state: PrinterState | None
    reason: str


class PrintService:
    def __init__(
        self,
        tickets: TicketService,
        printer: Printer,
        build_job: Callable[[Ticket, datetime | None], PrintJob],
        on_result: Callable[[PrintOutcome], None],
    ) -> None:
        self._tickets = tickets
        self._printer = printer
        self._build_job = build_job
        self._on_result = on_result
        self._queue: queue.Queue[tuple[str, bool] | None] = queue.Queue()
        self._lock = threading.Lock()
        self._waiting: set[str] = set()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="kiosk-print", daemon=True)
        self._thread.start()

    def submit(self, ticket_id: str) -> None:
        """Print a newly issued ticket. Returns at once."""
        self._enqueue(ticket_id, reprint=False)

    def retry(self, ticket_id: str) -> None:
        """Print again a ticket whose printing failed, with the same number and QR, marked as
        a reprint with the time it is printed. Returns at once."""
        self._enqueue(ticket_id, reprint=True)

    def _enqueue(self, ticket_id: str, *, reprint: bool) -> None:
        # A ticket already waiting is not queued twice (a repeated tap, an impatient retry);
        # one already printed is skipped by the worker.
        with self._lock:
            if self._stopping or ticket_id in self._waiting:
                return
            self._waiting.add(ticket_id)
        self._queue.put((ticket_id, reprint))

    def stop(self, timeout: float | None = None) -> None:
        """Finish the print in progress (if any) and end the worker; queued tickets stay unprinted
        in the store, where `TicketService.tickets_to_retry` finds them. Safe to call twice.
        """
        with self._lock:
            self._stopping = True
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            request = self._queue.get()
            with self._lock:
                if request is None or self._stopping:
                    return
                ticket_id, reprint = request
                self._waiting.discard(ticket_id)
            outcome = self._print(ticket_id, reprint=reprint)
            try:
                self._on_result(outcome)
            except Exception:
                log.exception("print result handler failed")

    def _print(self, ticket_id: str, *, reprint: bool) -> PrintOutcome:
        try:
            ticket = self._tickets.get(ticket_id)
        except Exception as error:
            log.error("ticket %s cannot be read for printing: %s", ticket_id, error)
            return PrintOutcome(ticket_id, False, None, f"ticket cannot be read: {error}")
        if ticket is None:
            return PrintOutcome(ticket_id, False, None, "no such ticket")
        if ticket.printed:
            return PrintOutcome(ticket_id, True, None, "")
        state: PrinterState | None = None
        try:
            reprinted_at = self._tickets.now() if reprint else None
            self._printer.print_job(self._build_job(ticket, reprinted_at))
        except PrintError as error:
            state, reason = error.state, str(error)
        except Exception as error:  # any driver or layout fault is a failed print, not a crash
            reason = f"{type(error).__name__}: {error}"
        else:
            self._record(lambda: self._tickets.mark_printed(ticket_id), ticket)
            return PrintOutcome(ticket_id, True, None, "")
        log.warning("ticket %s not printed: %s", ticket.label, reason)
        self._record(lambda: self._tickets.mark_print_failed(ticket_id, reason), ticket)
        return PrintOutcome(ticket_id, False, state, reason)

    @staticmethod
    def _record(write: Callable[[], Ticket], ticket: Ticket) -> None:
        try:
            write()
        except Exception as error:  # e.g. a full disk: the paper result stands, report it
            log.error("print result of ticket %s not recorded: %s", ticket.label, error)
