"""Printing tickets on one worker thread, so a slow or stuck printer never blocks a screen.

The ticket exists before it is printed: a failed print keeps its number, and `retry` prints the
same ticket again, as a reprint (the job builder is given the time of the reprint, so the copy
says "IN LẠI"). Whatever the printer or the store does, the worker keeps running and every
request ends in exactly one `on_result` call (from the worker thread: hop to the UI thread there).

A ticket is marked "printing" before its job goes to the printer. When the job went (wholly or
partly) and then the printer failed, or the process died during the print (found "printing" at
the next start), the paper may or may not hold the ticket: its outcome is "unknown". Such a
ticket is never printed again by itself; the technician menu lists it ("may have printed — ask
the citizen before reprinting") and only a technician's reprint (`retry`) prints it.

At start-up (`resume_within`), tickets found unprinted follow one rule, `prints_at_start`: a
ticket never sent to the printer, of the current office day, issued at most `resume_within` ago
is printed now (after a restart of a few seconds the citizen is still at the kiosk); any other
(older, of an earlier day, issued "after now" because the clock was stepped back, or whose
print failed) is not printed and stays listed for the technician. Its number stays valid: it is
called like any other.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from devices.printer import PrintError, PrinterState
from devices.printjob import PrintJob
from kiosk.store.tickets import PRINT_PENDING
from kiosk.tickets import Ticket, TicketService

log = logging.getLogger(__name__)


class Printer(Protocol):
    def print_job(self, job: PrintJob) -> None: ...


@dataclass(frozen=True)
class PrintOutcome:
    """How one print request ended.

    `state` is the printer state the driver reported with a failure (None when the print worked
    or the failure was not the printer's); `reason` is empty on success. `sent`: the failure came
    after the job went to the printer, so the ticket may have come out (its outcome is unknown).
    """

    ticket_id: str
    ok: bool
    state: PrinterState | None
    reason: str
    sent: bool = False


def prints_at_start(ticket: Ticket, *, now: datetime, today: date, window: timedelta) -> bool:
    """The start-up rule (see the module docstring): True for a ticket never sent to the
    printer, of office day `today`, issued between `window` before `now` and `now` included."""
    if ticket.print_status != PRINT_PENDING or ticket.day != today:
        return False
    return timedelta(0) <= now - ticket.issued_at <= window


class PrintService:
    def __init__(
        self,
        tickets: TicketService,
        printer: Printer,
        build_job: Callable[[Ticket, datetime | None], PrintJob],
        on_result: Callable[[PrintOutcome], None],
        *,
        resume_within: timedelta | None = None,
    ) -> None:
        """`resume_within`: this service is the device's printing one, started with the app:
        first settle what the last run left (interrupted prints, tickets never printed) by the
        start-up rule, before any new request. None: no such start (a command, a test)."""
        self._tickets = tickets
        self._resume_within = resume_within
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
        if self._resume_within is not None:
            self._resume(self._resume_within)
        while True:
            request = self._queue.get()
            with self._lock:
                if request is None or self._stopping:
                    return
                ticket_id, reprint = request
                self._waiting.discard(ticket_id)
            self._report(self._print(ticket_id, reprint=reprint))

    def _report(self, outcome: PrintOutcome) -> None:
        try:
            self._on_result(outcome)
        except Exception:
            log.exception("print result handler failed")

    def _resume(self, window: timedelta) -> None:
        """Apply the start-up rule to what the last run left unprinted."""
        try:
            interrupted = self._tickets.mark_interrupted_prints()
            now = self._tickets.now()
            today = self._tickets.office_day_now()
            unprinted = self._tickets.tickets_to_retry(today)
        except Exception as error:  # e.g. a damaged store: the app says so elsewhere
            log.error("tickets left unprinted by the last run cannot be read: %s", error)
            return
        for ticket in interrupted:
            log.warning(
                "ticket %s was being printed when the kiosk stopped: outcome unknown", ticket.label
            )
        due = [t for t in unprinted if prints_at_start(t, now=now, today=today, window=window)]
        log.info(
            "at start: %d interrupted print(s) of unknown outcome, %d ticket(s) printed now, "
            "%d left for the technician",
            len(interrupted),
            len(due),
            len(unprinted) - len(due),
        )
        for ticket in due:
            self._report(self._print(ticket.id, reprint=False))

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
        try:
            claimed = self._tickets.mark_printing(ticket_id, unknown_too=reprint)
        except Exception as error:  # the paper matters more to the citizen: print unrecorded
            log.error("ticket %s printed without recording it first: %s", ticket.label, error)
        else:
            if claimed is None:
                reason = "outcome of an earlier print unknown: only a technician reprints it"
                return PrintOutcome(ticket_id, False, None, reason)
        state: PrinterState | None = None
        sent = False
        try:
            reprinted_at = self._tickets.now() if reprint else None
            self._printer.print_job(self._build_job(ticket, reprinted_at))
        except PrintError as error:
            state, reason, sent = error.state, str(error), error.sent
        except Exception as error:  # any driver or layout fault is a failed print, not a crash
            reason = f"{type(error).__name__}: {error}"
        else:
            self._record(lambda: self._tickets.mark_printed(ticket_id), ticket)
            return PrintOutcome(ticket_id, True, None, "")
        if sent:
            log.warning("ticket %s may not have printed: %s", ticket.label, reason)
            self._record(lambda: self._tickets.mark_print_unknown(ticket_id, reason), ticket)
        else:
            log.warning("ticket %s not printed: %s", ticket.label, reason)
            self._record(lambda: self._tickets.mark_print_failed(ticket_id, reason), ticket)
        return PrintOutcome(ticket_id, False, state, reason, sent)

    @staticmethod
    def _record(write: Callable[[], Ticket], ticket: Ticket) -> None:
        try:
            write()
        except Exception as error:  # e.g. a full disk: the paper result stands, report it
            log.error("print result of ticket %s not recorded: %s", ticket.label, error)
