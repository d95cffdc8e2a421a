"""The ticket domain: office days, numbering, issuing and the print state of a ticket.

A ticket is issued once its row and its `ticket.issued` event are committed; printing comes after
and has its own state, so a failed print keeps the number and can be printed again. The ticket
itself (Ticket) is the row of kiosk.store.tickets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING

from common.office_clock import aware_now
from kiosk import events
from kiosk.config import Config
from kiosk.i18n import N_
from kiosk.server_clock import ServerClock
from kiosk.store import Store
from kiosk.store.tickets import (
    PRINT_FAILED,
    PRINT_PENDING,
    PRINT_UNKNOWN,
    WAITING_LOCAL,
    WAITING_SERVER,
    NewTicket,
    RangeExhausted,
    Ticket,
)
from kiosk.ticket_signing import sign_ticket

if TYPE_CHECKING:
    from kiosk.queue_snapshot import QueueSnapshot


# "People waiting ahead" as the ticket and the ticket screen say it, by where the count came
# from: the server's queue reads plainly; the lobby's own count says it is only this kiosk's.
WAITING_AHEAD = {
    WAITING_SERVER: N_("People waiting ahead of you: {count}"),
    WAITING_LOCAL: N_("People waiting ahead of you (counted at this kiosk only): {count}"),
}


class TicketError(Exception):
    """A ticket cannot be issued or found."""


class UnknownField(TicketError):
    def __init__(self, field_id: str) -> None:
        super().__init__(f"no field {field_id!r} in the catalogue")
        self.field_id = field_id


class NumbersExhausted(TicketError):
    def __init__(self, field_id: str) -> None:
        super().__init__(f"every ticket number of field {field_id!r} has been used today")
        self.field_id = field_id


class UnknownTicket(TicketError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"no ticket {ticket_id!r}")
        self.ticket_id = ticket_id


class TicketService:
    """Issues tickets and records their printing. Call from worker threads (it writes to disk)."""

    def __init__(
        self,
        store: Store,
        config: Config,
        device_key: bytes,
        clock: Callable[[], datetime] = aware_now,
        *,
        server_clock: ServerClock | None = None,
    ) -> None:
        """`server_clock`, when given, is the time tickets are issued on (the device's clock,
        or the server's when they disagree: kiosk.server_clock); else `clock`."""
        self._store = store
        self._config = config
        self._key = device_key
        self._clock = clock if server_clock is None else server_clock.now
        self._server_clock = server_clock

    def _now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the clock must give aware datetimes")
        return now.astimezone(self._config.office.timezone)

    def _new_event(self, type: str, data: dict[str, object], occurred_at: datetime) -> events.Event:
        return events.new_event(
            type,
            data,
            office=self._config.office.code,
            device_id=self._config.device.id,
            occurred_at=occurred_at,
        )

    def issue(
        self,
        field_id: str,
        *,
        priority: bool,
        request_id: str,
        queue: QueueSnapshot | None = None,
    ) -> Ticket:
        """Issue the next ticket of a field, or return the one already issued for `request_id`.

        A double or triple tap sends the same request_id and gets the same ticket. With a fresh
        `queue` snapshot of this office day (kiosk.queue_snapshot), the people waiting ahead are
        the server's waiting tickets of the field plus this device's tickets the server had not
        counted yet (source "server"); else the tickets issued here earlier today ("local").
        """
        field = self._config.catalogue.get(field_id)
        if field is None:
            raise UnknownField(field_id)
        if priority and not self._config.catalogue.priority_enabled:
            raise ValueError("priority tickets are turned off in the catalogue")
        if not request_id:
            raise ValueError("request_id must not be empty")
        office = self._config.office
        device_id = self._config.device.id
        now = self._now()
        day = self._issue_day(now)
        if queue is not None and office.day_rule.day_of(queue.generated_at) != day:
            queue = None  # the server's queue of another office day (the day just turned)

        def compose(
            number: int, issued_before: int, unseen: int | None
        ) -> tuple[NewTicket, events.Event]:
            if queue is None or unseen is None:
                waiting_ahead, source = issued_before, WAITING_LOCAL
            else:
                waiting_ahead = queue.waiting(field.id, priority=priority) + unseen
                source = WAITING_SERVER
            ticket_id = str(uuid.uuid4())
            label = field.label(number)
            new = NewTicket(
                id=ticket_id,
                request_id=request_id,
                office=office.code,
                day=day,
                field_id=field.id,
                number=number,
                label=label,
                priority=priority,
                issued_at=now,
                waiting_ahead=waiting_ahead,
                waiting_source=source,
                qr_payload=sign_ticket(
                    office=office.code, day=day, label=label, device_id=device_id, key=self._key
                ),
            )
            data = {
                "ticket_id": ticket_id,
                "day": day.isoformat(),
                "field_id": field.id,
                "number": number,
                "label": label,
                "priority": priority,
                "waiting_ahead": waiting_ahead,
                "waiting_source": source,
                "issued_at": events.rfc3339(now),
            }
            return new, self._new_event(events.TICKET_ISSUED, data, now)

        try:
            ticket, _created = self._store.tickets.issue(
                request_id=request_id,
                office=office.code,
                day=day,
                field_id=field.id,
                first=field.first,
                last=field.last,
                compose=compose,
                priority=priority,  # ahead of a priority ticket: the earlier priority ones
                unseen_since=None if queue is None else queue.mark,
            )
        except RangeExhausted:
            raise NumbersExhausted(field_id) from None
        if ticket.field_id != field_id:
            raise ValueError(f"request_id {request_id!r} was already used for another field")
        return ticket

    def now(self) -> datetime:
        """The time tickets are issued on now (the server's when the clocks disagree)."""
        return self._now()

    def _issue_day(self, now: datetime) -> date:
        """The office day of a ticket issued at `now`, never earlier than the latest day this
        device already issued on: a clock stepped back across day_starts_at (NTP, a reboot
        without a real-time clock) must not hand out that day's numbers again. Only the
        server's clock, measured lately, may say the latest day has not begun (the clock was
        ahead), and then the day follows the server."""
        office = self._config.office
        day = office.day_rule.day_of(now)
        latest = self._store.tickets.latest_day(office.code)
        if latest is None or day >= latest:
            return day
        server_now = None if self._server_clock is None else self._server_clock.server_now()
        if server_now is not None and office.day_rule.day_of(server_now) < latest:
            return day
        return latest

    def get(self, ticket_id: str) -> Ticket | None:
        return self._store.tickets.get(ticket_id)

    def mark_printed(self, ticket_id: str) -> Ticket:
        """Record the print and its `ticket.printed` event (once, however often it is called)."""
        now = self._now()

        def compose(ticket: Ticket) -> events.Event:
            data = {
                "ticket_id": ticket.id,
                "day": ticket.day.isoformat(),
                "field_id": ticket.field_id,
                "label": ticket.label,
                "attempts": ticket.print_attempts,
            }
            return self._new_event(events.TICKET_PRINTED, data, now)

        ticket = self._store.tickets.mark_printed(ticket_id, printed_at=now, compose=compose)
        if ticket is None:
            raise UnknownTicket(ticket_id)
        return ticket

    def mark_print_failed(self, ticket_id: str, reason: str) -> Ticket:
        """Record a failed attempt; the ticket keeps its number and can be printed again."""
        ticket = self._store.tickets.mark_print_failed(ticket_id, error=reason)
        if ticket is None:
            raise UnknownTicket(ticket_id)
        return ticket

    def office_day_now(self) -> date:
        return self._config.office.day_rule.day_of(self._now())

    def tickets_of_day(self, day: date) -> list[Ticket]:
        """Every ticket of an office day, in issue order."""
        return self._store.tickets.of_day(day)

    def tickets_to_retry(self, day: date) -> list[Ticket]:
        """Tickets of an office day not printed yet: failed, or never tried (a crash)."""
        return self._store.tickets.of_day(day, statuses=(PRINT_PENDING, PRINT_FAILED))

    def tickets_of_unknown_outcome(self, day: date) -> list[Ticket]:
        """Tickets of an office day that went to the printer with no word of the paper coming
        out: they may have printed, so only a technician reprints them (ask the citizen)."""
        return self._store.tickets.of_day(day, statuses=(PRINT_UNKNOWN,))

    def mark_printing(self, ticket_id: str, *, unknown_too: bool = False) -> Ticket | None:
        """Claim a ticket for printing now; None: it must not be printed (see the store)."""
        return self._store.tickets.mark_printing(ticket_id, unknown_too=unknown_too)

    def mark_print_unknown(self, ticket_id: str, reason: str) -> Ticket:
        """Record an attempt after which nobody knows whether the ticket came out."""
        ticket = self._store.tickets.mark_print_unknown(ticket_id, error=reason)
        if ticket is None:
            raise UnknownTicket(ticket_id)
        return ticket

    def mark_interrupted_prints(self) -> list[Ticket]:
        """Tickets left "printing" by a process that died: now of unknown outcome."""
        return self._store.tickets.mark_interrupted("the kiosk stopped while it was printing")

    def issued_today_here(self, field_id: str) -> int:
        """Tickets of a field issued today on this device: the lobby's only local knowledge of
        the queue while the server's is not available (served tickets are not deducted).
        """
        if self._config.catalogue.get(field_id) is None:
            raise UnknownField(field_id)
        return self._store.tickets.count_issued(
            office=self._config.office.code,
            day=self.office_day_now(),
            field_id=field_id,
        )
