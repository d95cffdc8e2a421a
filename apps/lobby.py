"""The lobby kiosk app: the one place that assembles the lobby's screens and services
(the counter terminal's are in apps/counter.py; what both share in apps/base.py).

Threads: the Kivy main thread only draws and reacts. Store writes run on the I/O worker,
printing on the PrintService worker, printer status polling on the driver's thread; every
result comes back to the main thread through `Clock.schedule_once`.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from kivy.clock import Clock
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from apps.base import DeviceApp
from common.version import __version__
from devices.printer import PRINTABLE, EscPosPrinter, PrinterState
from devices.printjob import PrintJob
from kiosk import events
from kiosk.citizen_id import (
    ID_CENTURY_MISMATCH,
    ID_SEX_MISMATCH,
    ID_YEAR_MISMATCH,
    CitizenID,
    InvalidCitizenQR,
    parse,
)
from kiosk.config import Config, FieldConfig
from kiosk.consent import Answer, consent_events, text_versions
from kiosk.device_health import PRINTER_UNKNOWN
from kiosk.enrolment import CentralLink
from kiosk.i18n import N_
from kiosk.opening_hours import BEFORE_OPENING, Closed, closed_now
from kiosk.printing import PrintOutcome, PrintService
from kiosk.queue_snapshot import QueueWatcher
from kiosk.services import DeviceData
from kiosk.ticket_layout import build_test_page_job, build_ticket_job
from kiosk.tickets import WAITING_AHEAD, NumbersExhausted, Ticket
from screens.base import WARNING_COUNTDOWN
from screens.fields import FieldsScreen
from screens.id_confirm import IdConfirmScreen
from screens.id_consent import IdConsentScreen
from screens.id_scan import IdScanScreen
from screens.technician import TechnicianScreen
from screens.technician_login import TechnicianLoginScreen
from screens.ticket import TicketScreen
from screens.welcome import WelcomeScreen

log = logging.getLogger("apps.lobby")

UNSHOWN_OUTCOMES_KEPT = 20


# Printer states as the technician menu names them.
PRINTER_STATUS = {
    PrinterState.READY: N_("Printer ready"),
    PrinterState.PAPER_NEAR_END: N_("Printer paper running low"),
    PrinterState.PAPER_OUT: N_("The printer is out of paper"),
    PrinterState.COVER_OPEN: N_("The printer cover is open"),
    PrinterState.OFFLINE: N_("The printer is not responding"),
    PrinterState.DISCONNECTED: N_("The printer is not connected"),
}

# The states in which no ticket can be printed: the welcome screen's banner says so before a
# citizen chooses a field (with PRINTER_ASK, whom to ask), and the status line leaves them out.
PRINTER_NOTICE = {
    PrinterState.PAPER_OUT: N_("The printer is out of paper: no ticket can be printed."),
    PrinterState.COVER_OPEN: N_("The printer cover is open: no ticket can be printed."),
    PrinterState.OFFLINE: N_("The printer is not responding: no ticket can be printed."),
    PrinterState.DISCONNECTED: N_("The printer is not connected: no ticket can be printed."),
}
ALERT_STATES = set(PRINTER_NOTICE)

# The printer as the status line tells a citizen while it can print.
PRINTER_STATUS_LINE = {
    PrinterState.READY: N_("Printer ready"),
    PrinterState.PAPER_NEAR_END: N_("Printer paper running low, please tell the staff."),
}

# Warnings of kiosk.citizen_id that a citizen is told plainly: the card's fields disagree.
MISMATCH_WARNINGS = {ID_SEX_MISMATCH, ID_CENTURY_MISMATCH, ID_YEAR_MISMATCH}


HOURS_CHECK_SECONDS = 20


class OfficeClosed(Exception):
    """Tickets are not issued at this hour (kiosk.opening_hours)."""


class LobbyApp(DeviceApp):
    """The lobby kiosk: welcome → field → ticket, plus the technician menu."""

    priority_enabled = BooleanProperty(True)
    # Outside the hours tickets are issued (kiosk.opening_hours): when the office opens.
    closed_notice = StringProperty("")
    # The printer cannot print: the welcome screen's banner.
    printer_notice = StringProperty("")
    status_counts_pending = False  # the technician menu counts them

    def __init__(
        self,
        config: Config,
        data: DeviceData,
        *,
        printer_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, data, **kwargs)
        self.personal = data.personal
        self._visit: tuple[str, bool, str] | None = None  # field, priority, request id
        self._identity: CitizenID | None = None
        # The visit's consent answer, until its ticket is issued or the visit ends (kiosk.consent).
        self._consent: Answer | None = None
        self._consent_request: str | None = None  # the request id the last answer was for
        self._consent_versions = text_versions(self.translator)
        self.priority_enabled = config.catalogue.priority_enabled
        self.printer_state: PrinterState | None = None
        self._printer_url = printer_url or config.printer.url
        self._current_ticket_id: str | None = None
        self._unshown_outcomes: dict[str, PrintOutcome] = {}
        self._ticket_languages: dict[str, str] = {}
        self.tickets = data.tickets
        # The server's queue, for "people waiting ahead" (its own link: one client per thread).
        self.queue = QueueWatcher(
            data.store, CentralLink(config), config.office.code, config.lobby.queue_interval
        )
        self.printer: EscPosPrinter | None = None
        self.print_service: PrintService | None = None
        self._stopped = False

    # ----------------------------------------------------------------- wiring

    def build(self) -> ScreenManager:
        cfg = self.settings
        self.printer = EscPosPrinter(
            self._printer_url,
            cfg.printer_profile,
            baudrate=cfg.printer.baudrate,
            write_timeout=cfg.printer.write_timeout,
            status_interval=cfg.printer.status_interval,
            on_state=lambda state: Clock.schedule_once(lambda _dt: self._printer_changed(state)),
        )
        self.print_service = PrintService(
            self.tickets,
            self.printer,
            self._ticket_job,
            lambda outcome: Clock.schedule_once(lambda _dt: self._print_finished(outcome)),
            resume_within=timedelta(seconds=cfg.printer.print_at_start_within),
        )
        self.update_status()
        lobby = cfg.lobby
        idle, warning = lobby.idle_timeout, lobby.idle_warning
        manager = ScreenManager(transition=NoTransition())
        manager.add_widget(WelcomeScreen(name="welcome"))
        manager.add_widget(FieldsScreen(name="fields", timeout=idle, warning=warning))
        ticket = TicketScreen(name="ticket", timeout=idle, warning=warning)
        ticket.warning_style = WARNING_COUNTDOWN  # the number stays in sight
        manager.add_widget(ticket)
        manager.add_widget(IdConsentScreen(name="id_consent", timeout=idle, warning=warning))
        manager.add_widget(IdScanScreen(name="id_scan", timeout=idle, warning=warning))
        # The card's data leaves the screen after identity_timeout without a touch: the
        # question "are you still there?" takes its place, then the visit ends.
        manager.add_widget(
            IdConfirmScreen(
                name="id_confirm", timeout=lobby.identity_timeout + warning, warning=warning
            )
        )
        manager.add_widget(
            TechnicianLoginScreen(name="technician_login", timeout=idle, warning=warning)
        )
        manager.add_widget(
            TechnicianScreen(
                name="technician",
                timeout=idle * 4,
                warning=warning,
                scanner_used=cfg.scanner.mode != "none",
            )
        )
        return manager

    def on_start(self) -> None:
        super().on_start()
        self.printer.start()
        self.queue.start()
        self.update_closed_notice()
        self.every(HOURS_CHECK_SECONDS, self.update_closed_notice)
        log.info(
            "kiosk %s started: office %s, device %s, printer %s",
            __version__,
            self.settings.office.code,
            self.settings.device.id,
            self._printer_url,
        )

    def shutdown(self) -> None:
        self.queue.stop(timeout=2)
        if self.print_service:
            self.print_service.stop()
        if self.printer:
            self.printer.stop()
        self._stopped = True
        super().shutdown()

    # ------------------------------------------------------------ helpers

    def catalogue_fields(self) -> tuple[FieldConfig, ...]:
        return self.settings.catalogue.fields

    # ------------------------------------------------------------ navigation

    def go_home(self) -> None:
        self.update_closed_notice()
        self._settle_consent()
        self._current_ticket_id = None
        self._visit = None
        self._identity = None
        super().go_home()

    def start_visit(self) -> None:
        if self.root.current == "welcome" and not self.update_closed_notice():
            self.root.current = "fields"

    def set_language(self, language: str) -> None:
        self.language = language

    def on_language(self, instance: Any, value: str) -> None:
        super().on_language(instance, value)
        if self.root is not None:
            self.update_closed_notice()

    # ------------------------------------------------------------ opening hours

    def update_closed_notice(self) -> bool:
        """Show on the welcome screen whether tickets are issued now; True when closed."""
        closed = closed_now(self.settings.office, self.tickets.now())
        self.closed_notice = "" if closed is None else self._closed_words(closed)
        return closed is not None

    def _closed_words(self, closed: Closed) -> str:
        times = {"opens": f"{closed.opens:%H:%M}", "first": f"{closed.first_ticket:%H:%M}"}
        if closed.why == BEFORE_OPENING:
            text = self.t("The office opens at {opens}. Queue numbers are issued from {first}.")
        else:
            text = self.t(
                "The office has closed for today. It opens again tomorrow at {opens}; queue"
                " numbers are issued from {first}."
            )
        return text.format(**times)

    # ------------------------------------------------------------ tickets

    def choose_field(self, field_id: str, priority: bool, request_id: str) -> None:
        """The citizen picked a field: with a scanner, consent to the ID card comes first. A
        serial scanner that is not connected skips the card step: the ticket is issued without
        identity rather than after a scan that cannot succeed."""
        self._visit = (field_id, priority, request_id)
        self._settle_consent()
        if self.settings.scanner.mode == "none" or not self._scanner_usable():
            self.request_ticket(field_id, priority, request_id)
        else:
            self.root.current = "id_consent"

    def _scanner_usable(self) -> bool:
        """Whether a card can be read now. A keyboard-wedge scanner cannot tell: it is offered."""
        if self.settings.scanner.mode != "serial":
            return self.settings.scanner.mode == "keyboard"
        usable = self.scanner is not None and self.scanner.state == "connected"
        if not usable:
            log.warning("ID card step skipped: the scanner is not connected")
        return usable

    def request_ticket(
        self,
        field_id: str,
        priority: bool,
        request_id: str,
        identity: CitizenID | None = None,
    ) -> None:
        """Issues one ticket for this request id (the same id always gives the same ticket);
        with `identity`, its `citizen.identified` event goes sealed into the outbox."""
        fields: FieldsScreen = self.root.get_screen("fields")
        self._visit = (field_id, priority, request_id)
        language = self.language
        answer, self._consent = self._consent, None

        def issue() -> Ticket:
            if closed_now(self.settings.office, self.tickets.now()) is not None:
                raise OfficeClosed
            ticket = self.tickets.issue(
                field_id, priority=priority, request_id=request_id, queue=self.queue.fresh()
            )
            if answer is not None:
                self.store.outbox.add(self._consent_events(answer, ticket))
            if identity is not None:
                self.personal.add_event(self._identified_event(ticket, identity))
            self._ticket_languages[ticket.id] = language
            # Printing starts here, on the worker: it never waits for the next frame, and an
            # issued ticket is printed even if the citizen has left the screen meanwhile.
            self.print_service.submit(ticket.id)
            self.sync.wake()
            return ticket

        def issued(ticket: Ticket) -> None:
            if self._visit is None or self._visit[2] != request_id:
                return  # the citizen left (timeout, back): the ticket stays valid and printed
            self._identity = None
            self._show_ticket(ticket)

        def refused(error: BaseException) -> None:
            if self._consent is None:  # no ticket yet: the answer waits for the next one
                self._consent = answer
            if isinstance(error, OfficeClosed):  # the hours ended while the citizen chose
                self.update_closed_notice()
                self.go_home()
                return
            if isinstance(error, NumbersExhausted):
                text = self.t(
                    "No more numbers can be issued today for this field. Please contact the staff."
                )
            elif self.storage.fault is not None:  # named on the status line for the staff
                text = self.t(
                    "This kiosk cannot issue numbers at the moment. Please ask the staff for help."
                )
            else:
                log.error("ticket not issued: %s", error)
                text = self.t(
                    "A number could not be issued. Please try again or contact the staff."
                )
            if self._visit is not None and self._visit[2] == request_id:
                self.root.current = "fields"
                fields.show_error(text)

        self.in_background(issue, issued, refused)

    # ------------------------------------------------------------ citizen ID card

    def id_consent(self, agreed: bool) -> None:
        """A tap of Yes or No on the consent screen: one answer (kiosk.consent)."""
        self._identity = None
        if self._visit is None:
            self.go_home()
            return
        if self._consent_request == self._visit[2]:
            return  # a second tap before the screen changed: the first answer stands
        self._consent_request = self._visit[2]
        self._settle_consent()
        self._consent = Answer.given(
            agreed,
            self.tickets.now(),
            self.language,
            self._consent_versions[self.language],
            self._visit[0],
        )
        if agreed and self._scanner_usable():
            self.root.current = "id_scan"
        else:  # declined, or the scanner went away meanwhile: the ticket without identity
            self.request_ticket(*self._visit)

    def id_skip_scan(self) -> None:
        """Skip on the scan screen: the consent is withdrawn, the ticket issued without identity."""
        self._withdraw_consent()
        self._identity = None
        if self._visit is None:
            self.go_home()
        else:
            self.request_ticket(*self._visit)

    def id_not_correct(self) -> None:
        """The card's data is not the citizen's: forgotten, the consent withdrawn, and the
        ticket issued without it."""
        self._withdraw_consent()
        self._identity = None
        confirm: IdConfirmScreen = self.root.get_screen("id_confirm")
        confirm.forget()
        if self._visit is None:
            self.go_home()
        else:
            self.request_ticket(*self._visit)

    def scanner_changed(self, state: str) -> None:
        """On the scan step, a scanner that goes away is said plainly (Skip still works)."""
        if self.root is None or self.root.current != "id_scan":
            return
        screen: IdScanScreen = self.root.get_screen("id_scan")
        broken = self.t(
            "The card reader is not working. Please tap Skip: you will still get your number."
        )
        if state != "connected":
            screen.problem = broken
        elif screen.problem == broken:
            screen.problem = ""

    def id_back_to_fields(self) -> None:
        self._identity = None
        self._settle_consent()
        self.root.current = "fields"

    def _withdraw_consent(self) -> None:
        if self._consent is not None:
            self._consent = self._consent.withdrawn(self.tickets.now())

    def _settle_consent(self) -> None:
        """The pending answer's visit ends without a ticket: its events go out unlinked."""
        answer, self._consent = self._consent, None
        if answer is None:
            return

        def write() -> None:
            self.store.outbox.add(self._consent_events(answer, None))
            self.sync.wake()

        def failed(error: BaseException) -> None:
            log.error("a consent answer could not be recorded: %s", error)

        self.in_background(write, lambda _result: None, failed)

    def _consent_events(self, answer: Answer, ticket: Ticket | None) -> list[events.Event]:
        """On the I/O worker: the answer's events, linked to its visit's ticket when issued."""
        office = self.settings.office
        return consent_events(
            answer,
            day=office.day_rule.day_of(answer.answered_at) if ticket is None else ticket.day,
            ticket_id=None if ticket is None else ticket.id,
            label=None if ticket is None else ticket.label,
            office=office.code,
            device_id=self.settings.device.id,
        )

    def id_rescan(self) -> None:
        self._identity = None
        self.root.current = "id_scan"

    def id_confirmed(self) -> None:
        if self._visit is None or self._identity is None:
            self.go_home()
            return
        self.request_ticket(*self._visit, identity=self._identity)

    def on_scan(self, payload: bytes) -> None:
        """A line from the scanner, on the main thread. Read only on the scan step: a card
        shown at any other moment is not looked at, let alone kept (the technician's live view
        only describes it)."""
        if self.root.current != "id_scan":
            return
        screen: IdScanScreen = self.root.get_screen("id_scan")
        screen.restart_idle_timer()
        try:
            identity = parse(payload)
        except InvalidCitizenQR as error:
            log.info("ID card QR refused: %s", error.code)
            screen.problem = self.t(error.reason)
            return
        log.info("ID card QR read (%d warnings)", len(identity.warnings))
        self._identity = identity
        confirm: IdConfirmScreen = self.root.get_screen("id_confirm")
        confirm.masked_id = identity.masked_id
        confirm.full_name = identity.name
        confirm.birth = "/".join(reversed(identity.birth.split("-")))
        confirm.mismatch = bool(MISMATCH_WARNINGS.intersection(identity.warnings))
        self.root.current = "id_confirm"

    def _identified_event(self, ticket: Ticket, identity: CitizenID) -> dict[str, Any]:
        return events.new_event(
            events.CITIZEN_IDENTIFIED,
            {
                "day": ticket.day.isoformat(),
                "label": ticket.label,
                "ticket_id": ticket.id,
                "identity": identity.as_dict(),
            },
            office=self.settings.office.code,
            device_id=self.settings.device.id,
            occurred_at=ticket.issued_at,
        )

    def _show_ticket(self, ticket: Ticket) -> None:
        screen: TicketScreen = self.root.get_screen("ticket")
        self._current_ticket_id = ticket.id
        local = ticket.issued_at.astimezone(self.settings.office.timezone)
        screen.show_ticket(
            label=ticket.label,
            field_name=self.field_name(ticket.field_id),
            priority=self.t("Priority") if ticket.priority else "",
            waiting_ahead=ticket.waiting_ahead,
            waiting_words=WAITING_AHEAD[ticket.waiting_source],
            issued_at=local.strftime("%H:%M %d/%m/%Y"),
            qr_payload=ticket.qr_payload,
        )
        screen.timeout = self.settings.lobby.idle_timeout
        self.root.current = "ticket"
        outcome = self._unshown_outcomes.pop(ticket.id, None)
        if outcome is not None:
            self._show_print_outcome(outcome)

    def _ticket_job(self, ticket: Ticket, reprinted_at: datetime | None) -> PrintJob:
        """Runs on the print worker: the ticket is printed in the language of its visit (a
        reprint by the technician, marked as one, in the device's language)."""
        language = self._ticket_languages.pop(ticket.id, self.settings.device.language)
        field = self.settings.catalogue.get(ticket.field_id)
        return build_ticket_job(
            ticket,
            field,
            self.settings.office,
            self.translator,
            language,
            reprinted_at=reprinted_at,
        )

    def _print_finished(self, outcome: PrintOutcome) -> None:
        if outcome.ok:
            self.sync.wake()  # its ticket.printed event is in the outbox
        if outcome.state is not None:
            self._printer_changed(outcome.state)
        if self.root.current == "technician":
            technician: TechnicianScreen = self.root.get_screen("technician")
            technician.show_message(
                self.t("Printed.")
                if outcome.ok
                else self.t("Print failed: {reason}").format(
                    reason=self._printer_words(outcome.state)
                ),
                failed=not outcome.ok,
            )
            self.refresh_technician_view()
        if outcome.ticket_id != self._current_ticket_id or self.root.current != "ticket":
            # The print may end before its ticket is on screen (both come back through the
            # clock): keep the last few outcomes for _show_ticket.
            self._unshown_outcomes[outcome.ticket_id] = outcome
            while len(self._unshown_outcomes) > UNSHOWN_OUTCOMES_KEPT:
                self._unshown_outcomes.pop(next(iter(self._unshown_outcomes)))
            return
        self._show_print_outcome(outcome)

    def _show_print_outcome(self, outcome: PrintOutcome) -> None:
        screen: TicketScreen = self.root.get_screen("ticket")
        lobby = self.settings.lobby
        if outcome.ok:
            screen.show_printed(lobby.ticket_screen_seconds)
        else:
            if outcome.state == PrinterState.PAPER_OUT:
                cause = self.t("The printer is out of paper, please contact the staff.")
            elif outcome.sent:
                cause = self.t(
                    "The printer stopped while printing your ticket. If it did not come out,"
                    " please contact the staff."
                )
            else:
                cause = self.t(
                    "The printer is not working, your ticket could not be printed. Please"
                    " contact the staff."
                )
            screen.show_print_failed(
                cause + " " + self.t("Your number is still valid."),
                lobby.print_failed_screen_seconds,
            )

    # ------------------------------------------------------------ status line

    def _printer_changed(self, state: PrinterState) -> None:
        if self._stopped:
            return  # learnt while stopping (the port opens slowly): no screen to show it on
        if state != self.printer_state:
            self.printer_state = state
            self.health.poke()
            self.update_status()

    def printer_health(self) -> str | None:
        state = self.printer_state
        return PRINTER_UNKNOWN if state is None else state.value

    def _printer_words(self, state: PrinterState | None) -> str:
        if state is None:
            return self.t("Checking the printer…")
        return self.t(PRINTER_STATUS[state])

    def device_status(self) -> tuple[str, bool]:
        """The printer on the status line while it prints; when it cannot, the banner says it.
        While the storage fails, "Printer ready" would mislead: the storage fault stands alone."""
        state = self.printer_state
        if self.storage.fault is not None:
            return "", False
        if state is None:
            return self.t("Checking the printer…"), False
        words = PRINTER_STATUS_LINE.get(state)
        return (self.t(words) if words else ""), False

    def update_status(self) -> None:
        super().update_status()
        notice = PRINTER_NOTICE.get(self.printer_state)
        self.printer_notice = self.t(notice) if notice else ""

    # ------------------------------------------------------------ technician

    def technician_records(
        self,
    ) -> tuple[dict[str, int], list[tuple[str, str]], list[tuple[str, str]]]:
        """On the I/O worker: today's counts, and (ticket id, text) of today's failed prints and
        of those whose outcome is unknown (they may have printed)."""
        day = self.tickets.office_day_now()
        counts = self.store.tickets.counts(self.settings.office.code, day)
        zone = self.settings.office.timezone

        def rows(tickets: list[Ticket]) -> list[tuple[str, str]]:
            return [
                (
                    t.id,
                    f"{t.label} · {self.field_name(t.field_id)} · "
                    f"{t.issued_at.astimezone(zone):%H:%M}",
                )
                for t in tickets
            ]

        failed = rows(self.tickets.tickets_to_retry(day))
        return counts, failed, rows(self.tickets.tickets_of_unknown_outcome(day))

    def technician_records_shown(self, records: Any) -> None:
        _counts, failed, unknown = records
        self.root.get_screen("technician").show_failed(failed, unknown)

    def role_fact_rows(self) -> list[tuple[str, str]]:
        cfg = self.settings
        rows = [
            (self.t("Printer"), self._printer_words(self.printer_state)),
            (self.t("Printer port"), f"{self._printer_url} ({cfg.printer_profile.name})"),
        ]
        if self._technician_records is not None:
            counts = self._technician_records[0]
            rows.append(
                (
                    self.t("Today"),
                    f"{self.t('issued')} {counts['issued']}, {self.t('printed')} "
                    f"{counts['printed']}, {self.t('print failed')} {counts['failed']}, "
                    f"{self.t('outcome unknown')} {counts['unknown']}",
                )
            )
        rows.append((self.t("ID card scanner"), self.scanner_words()))
        return rows

    def live_problem_rows(self) -> list[tuple[str, str]]:
        state = self.printer_state
        if state is None or state is PrinterState.READY:
            return []
        mark = self.t("Warning") if state in PRINTABLE else self.t("Fault")
        return [(self.t("Printer"), f"{mark}: {self._printer_words(state)}")]

    def reprint_ticket(self, ticket_id: str) -> None:
        self.print_service.retry(ticket_id)
        self.root.get_screen("technician").show_message(self.t("Printing…"))

    def print_test_page(self) -> None:
        screen: TechnicianScreen = self.root.get_screen("technician")
        screen.show_message(self.t("Printing…"))
        job = build_test_page_job(
            self.settings.printer_profile,
            self.settings.office,
            self.tickets.now().astimezone(self.settings.office.timezone),
            self.translator,
            self.language,
            printer_state=self.printer_state,
        )

        def run() -> None:
            failed = False
            try:
                self.printer.print_job(job)
                text = self.t("Printed.")
            except Exception as error:  # the driver's PrintError or any transport fault
                log.warning("test page failed: %s", error)
                failed = True
                text = self.t("Print failed: {reason}").format(
                    reason=self._printer_words(getattr(error, "state", None))
                )
            Clock.schedule_once(lambda _dt: screen.show_message(text, failed=failed))

        threading.Thread(target=run, name="kiosk-test-page", daemon=True).start()
