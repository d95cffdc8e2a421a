"""A ticket entered at the counter by hand: its QR scanned, or its number typed.

This is how a counter works while the central server is unreachable. A scanned QR must carry a
signature made with the key of a lobby device this counter trusts (kiosk.ticket_keys), and be
of this office and of today. A typed number carries no proof: it is accepted when it falls in
a field's range of the catalogue, for today. Either way the field is read from the number's
range, as the ticket QR does not name it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from common.key_files import KeyFileError
from kiosk.config import Catalogue, FieldConfig
from kiosk.ticket_keys import TicketKeys
from kiosk.ticket_signing import InvalidTicket, verify_ticket

QR = "qr"
TYPED = "typed"


class TicketRefused(Exception):
    """A ticket entered at the counter cannot be taken; `reason` is one plain English phrase.

    `message` and `values`, when given, are a whole sentence for the screen: a msgid to
    translate and the values to format it with (no English spliced into Vietnamese)."""

    def __init__(
        self, reason: str, message: str | None = None, values: dict[str, object] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message
        self.values = values or {}


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
        raise TicketRefused(error.reason) from None
    except KeyFileError as error:
        raise TicketRefused(str(error)) from None
    if ref.office != office:
        raise TicketRefused(f"a ticket of office {ref.office}, not of this office ({office})")
    if ref.day != today:
        raise TicketRefused(f"a ticket of {ref.day.isoformat()}, not of today")
    field = field_of_label(catalogue, ref.label)
    if field is None:
        raise TicketRefused(f"ticket number {ref.label} is in no field's range")
    return EnteredTicket(ref.label, field.id, today, QR)


def ticket_from_label(text: str, *, today: date, catalogue: Catalogue) -> EnteredTicket:
    """A ticket number typed by the officer. Raises TicketRefused."""
    label = text.strip().upper()
    field = field_of_label(catalogue, label)
    if field is None:
        raise TicketRefused(f"{label or 'an empty number'} is in no field's number range")
    return EnteredTicket(label, field.id, today, TYPED)
