"""A ticket entered at the counter by hand: its QR scanned, or its number typed.

This is how a counter works while the central server is unreachable. A scanned QR must carry a
signature made with the key of a lobby device this counter trusts (kiosk.ticket_keys), and be
of this office and of today. A typed number carries no proof: it is accepted when it falls in
a field's range of the catalogue, for today. Either way the field is read from the number's
range, as the ticket QR does not name it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from common.key_files import KeyFileError
from kiosk.config import Catalogue, FieldConfig
from kiosk.i18n import N_
from kiosk.ticket_keys import TicketKeys
from kiosk.ticket_signing import InvalidTicket, verify_ticket

log = logging.getLogger(__name__)

QR = "qr"
TYPED = "typed"
KEYS_UNREADABLE = N_("this device cannot read its ticket keys; please call the technician")


class TicketRefused(Exception):
    """A ticket entered at the counter cannot be taken.

    `message` is a msgid and `values` fill it, so the screen translates the whole text (no
    English spliced into Vietnamese); `reason` is the English text, for logs. A message is a
    phrase the screen puts after "This number cannot be taken:", or, with `sentence`, a whole
    sentence shown as it is."""

    def __init__(self, message: str, *, sentence: bool = False, **values: object) -> None:
        self.message = message
        self.values = values
        self.sentence = sentence
        self.reason = message.format(**values)
        super().__init__(self.reason)


@dataclass(frozen=True)
class EnteredTicket:
    label: str
    field_id: str
    day: date
    entry: str  # "qr" or "typed"


def field_of_label(catalogue: Catalogue, label: str) -> FieldConfig | None:
    """The field whose number range a label belongs to (ranges never overlap)."""
    for field in catalogue.fields:
        digits = label[len(field.prefix) :]
        if (
            label.startswith(field.prefix)
            and len(digits) == field.digits
            and digits.isascii()
            and digits.isdigit()
            and field.first <= int(digits) <= field.last
        ):
            return field
    return None


def ticket_from_qr(
    payload: str, *, office: str, today: date, catalogue: Catalogue, keys: TicketKeys
) -> EnteredTicket:
    """A scanned ticket QR, verified. Raises TicketRefused."""
    try:
        ref = verify_ticket(payload, keys.key_for_device)
    except InvalidTicket as error:
        raise TicketRefused(error.message, **error.values) from None
    except KeyFileError as error:
        log.error("ticket keys cannot be read: %s", error)
        raise TicketRefused(KEYS_UNREADABLE) from None
    if ref.office != office:
        raise TicketRefused(
            N_("a ticket of office {office}, not of this office ({here})"),
            office=ref.office,
            here=office,
        )
    if ref.day != today:
        raise TicketRefused(N_("a ticket of {day}, not of today"), day=ref.day)
    field = field_of_label(catalogue, ref.label)
    if field is None:
        raise TicketRefused(N_("ticket number {label} is in no field's range"), label=ref.label)
    return EnteredTicket(ref.label, field.id, today, QR)


def ticket_from_label(text: str, *, today: date, catalogue: Catalogue) -> EnteredTicket:
    """A ticket number typed by the officer. Raises TicketRefused."""
    label = text.strip().upper()
    field = field_of_label(catalogue, label)
    if field is None:
        if not label:
            raise TicketRefused(N_("an empty number is in no field's number range"))
        raise TicketRefused(N_("{label} is in no field's number range"), label=label)
    return EnteredTicket(label, field.id, today, TYPED)
