"""The dossier code (mã hồ sơ) the officer gives when closing a session: the receipt code of
the dossier created in the provincial one-stop software for this visit, so that the ward can
join its ratings with its provincial dossiers (session.closed carries it).

A code is normalised before it is checked: surrounding space dropped, NFC, upper case (a
scanner or a typist may give small letters; provincial codes are written in capitals, so the
site's pattern is matched against the upper-cased code). It never holds personal data: a code
with a 12-digit run (a số định danh) or one that reads as an ID card is refused, and a ticket's
QR scanned on the close screen is not taken for a code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from common.id_numbers import holds_id_number
from kiosk.citizen_id import InvalidCitizenQR, parse
from kiosk.i18n import N_
from kiosk.ticket_signing import MAGIC

OFF = "off"
OPTIONAL = "optional"
REQUIRED = "required"
MODES = (OFF, OPTIONAL, REQUIRED)

MAX_CHARS = 64  # the contract's limit (docs/central-api.md, session.closed)

REQUIRED_MISSING = N_("Enter or scan the dossier code")
NOT_MATCHING = N_("This dossier code is not in the expected form, e.g. {example}")
PERSONAL_DATA = N_("This is an ID card number, not a dossier code: it is not taken")
ID_CARD = N_("This is an ID card, not a dossier code: it is not taken")
TICKET = N_("This is a queue ticket, not a dossier code: it is not taken")


class DossierCodeRefused(ValueError):
    """A code that cannot be taken; `message` is the msgid the officer is shown."""

    def __init__(self, message: str, **values: str) -> None:
        super().__init__(message)
        self.message = message
        self.values = values


@dataclass(frozen=True)
class DossierCodePolicy:
    """[counter] dossier_code, dossier_code_pattern and dossier_code_example."""

    mode: str
    pattern: re.Pattern[str]
    example: str

    def check(self, text: str) -> str | None:
        """The normalised code, or None when none is given and none is needed. Raises
        DossierCodeRefused."""
        code = normalise(text)
        if self.mode == OFF or (not code and self.mode == OPTIONAL):
            return None
        if not code:
            raise DossierCodeRefused(REQUIRED_MISSING)
        refuse_personal_data(code)
        if len(code) > MAX_CHARS or self.pattern.fullmatch(code) is None:
            raise DossierCodeRefused(NOT_MATCHING, example=self.example)
        return code


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().upper()


def refuse_personal_data(text: str) -> None:
    """Refuse a ticket's QR, an ID card's QR and anything holding an ID number."""
    if text.upper().startswith(MAGIC + "|"):
        raise DossierCodeRefused(TICKET)
    try:
        parse(text)
    except InvalidCitizenQR:
        pass
    else:
        raise DossierCodeRefused(ID_CARD)
    if holds_id_number(text):
        raise DossierCodeRefused(PERSONAL_DATA)
