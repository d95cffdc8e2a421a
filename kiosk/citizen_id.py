"""Citizen ID card QR codes (chip CCCD, thẻ Căn cước): parsed, validated, and kept out of logs.

The QR holds UTF-8 text, fields separated by `|`: ID number (12 digits), old CMND number (often
empty), name, birth date (ddmmyyyy, or mmyyyy / yyyy when only that is known), sex (Nam/Nữ),
address, issue date (ddmmyyyy); new cards add more fields, kept but not relied on.

`parse` accepts what a card can hold and rejects anything else with `InvalidCitizenQR`, whose
`reason` is a sentence for the citizen and `code` a short English code for technicians. Facts that
disagree but cannot prove the read wrong (the ID number's sex/century digit or year against the
birth fields, an unknown province code) are warnings: the officer checks the card.

Everything here is personal data: `repr()` of a `CitizenID` masks the ID and hides the rest, and
a rejection never quotes the payload, so an accidental log of either leaks nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.citizen_id_provinces import PROVINCES
from kiosk.citizen_id_text import has_letter, is_card_text, is_name, repair_mojibake
from kiosk.i18n import N_

# Warnings (CitizenID.warnings): the card is accepted, the officer should look at it.
ID_SEX_MISMATCH = "id-sex-mismatch"  # the ID's 4th digit says the other sex
ID_CENTURY_MISMATCH = "id-century-mismatch"  # the ID's 4th digit says another century of birth
ID_YEAR_MISMATCH = "id-year-mismatch"  # the ID's 5th-6th digits are not the birth year's last two
UNKNOWN_PROVINCE = "unknown-province"  # the ID's first 3 digits are none of the 63 province codes
TEXT_REPAIRED = "text-repaired"  # the reader had garbled the Vietnamese text; it was undone
ISSUED_IN_FUTURE = "issued-in-future"  # after today: this device's clock may be wrong

# Reasons for the citizen (InvalidCitizenQR.reason): msgids, translated where shown.
NOT_AN_ID_CARD = N_(
    "This is not the QR code of an ID card. Please scan the QR code printed on the card."
)
UNREADABLE = N_("The QR code could not be read. Please try again.")
GARBLED = N_(
    "The scanner misread the Vietnamese letters. Please scan again; if it happens again,"
    " please ask the staff for help."
)
INVALID_DATA = N_(
    "The data in the QR code is not valid. Please scan again or fill in the details yourself."
)

FIELD_COUNT = 7
# A QR code holds under 3 KB; anything longer was not read from a card.
MAX_PAYLOAD_CHARS = 4096
FIRST_BIRTH_YEAR = 1900  # the ID number's century digit starts at the 1900s

_DIGITS = re.compile(r"[0-9]+")
_ID = re.compile(r"[0-9]{12}")
# The old CMND number: 9 digits, or 12 for the CMND cards issued 2012-2016.
_OLD_ID = re.compile(r"(?:[0-9]{9}(?:[0-9]{3})?)?")
_BIRTH = re.compile(r"[0-9]{4}(?:[0-9]{2}){0,2}")
_DAY = re.compile(r"[0-9]{8}")
_SEXES = {"nam": "M", "nữ": "F"}


class InvalidCitizenQR(Exception):
    """The scanned code is not a citizen ID card QR that can be trusted.

    `reason` is a sentence for the citizen (a msgid: the screen translates it); `code` a short
    English code for logs and technicians. Neither ever quotes the payload.
    """

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True, slots=True, repr=False)
class CitizenID:
    """One card's data. `birth` is ISO with the card's precision: YYYY-MM-DD, YYYY-MM or YYYY;
    `sex` is "M" or "F"; `old_id` is "" when absent; `extra` holds new cards' further fields."""

    id: str
    old_id: str
    name: str
    birth: str
    sex: str
    address: str
    issued: date
    extra: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def masked_id(self) -> str:
        return mask_id(self.id)

    def as_dict(self) -> dict[str, Any]:
        """The fields in the shared samples' keys and formats (what the outbox event carries)."""
        return {
            "id": self.id,
            "old_id": self.old_id,
            "name": self.name,
            "birth": self.birth,
            "sex": self.sex,
            "address": self.address,
            "issued": self.issued.isoformat(),
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        warnings = list(self.warnings)
        return f"CitizenID(id={self.masked_id}, warnings={warnings}, personal fields hidden)"


def mask_id(number: str) -> str:
    """The ID number as screens show it: all but the last 4 digits as bullets (••••••••2345)."""
    return "•" * max(len(number) - 4, 0) + number[-4:]


def parse(payload: bytes | str, *, today: date | None = None) -> CitizenID:
    """The card data in a scanned payload, or InvalidCitizenQR. `today` defaults to the clock's."""
    text = _text(payload)
    fields = text.split("|")
    if len(fields) < FIELD_COUNT or _DIGITS.fullmatch(fields[0]) is None:
        # A bare ID number is a card QR read only in part; anything else is another kind of code.
        partial = len(fields) < FIELD_COUNT and _ID.fullmatch(fields[0]) is not None
        raise InvalidCitizenQR("truncated", UNREADABLE) if partial else _not_an_id_card()
    warnings: list[str] = []
    if not is_card_text(text):
        repaired = repair_mojibake(text)
        if repaired is None:
            raise InvalidCitizenQR("garbled-text", GARBLED)
        fields = repaired.split("|")
        warnings.append(TEXT_REPAIRED)
    return _citizen(fields, warnings, today or date.today())


def _text(payload: bytes | str) -> str:
    """The payload as NFC text, without the trailing CR/LF and `|` some scanners add."""
    if isinstance(payload, bytes | bytearray | memoryview):
        try:
            payload = bytes(payload).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidCitizenQR("not-utf8", UNREADABLE) from None
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise _not_an_id_card()
    if not unicodedata.is_normalized("NFC", payload):
        payload = unicodedata.normalize("NFC", payload)
    text = payload.rstrip("\r\n").rstrip("|")
    if not text:
        raise InvalidCitizenQR("empty", UNREADABLE)
    return text


def _citizen(fields: list[str], warnings: list[str], today: date) -> CitizenID:
    number, old_id, name, birth_text, sex_text, address, issued_text, *extra = fields
    if _ID.fullmatch(number) is None:
        raise _invalid("bad-id")
    if _OLD_ID.fullmatch(old_id) is None:
        raise _invalid("bad-old-id")
    name = " ".join(name.split())
    if not is_name(name):
        raise _invalid("bad-name")
    birth, birth_year, born_by = _birth(birth_text, today)
    sex = _SEXES.get(sex_text.casefold())
    if sex is None:
        raise _invalid("bad-sex")
    address = " ".join(address.split())
    if not has_letter(address):
        raise _invalid("bad-address")
    issued = _day(issued_text, "bad-issued")
    if issued <= born_by:
        raise _invalid("issued-before-birth")
    if issued > today:
        warnings.append(ISSUED_IN_FUTURE)
    warnings += _id_structure_warnings(number, birth_year, sex)
    return CitizenID(
        number, old_id, name, birth, sex, address, issued, tuple(extra), tuple(warnings)
    )


def _birth(text: str, today: date) -> tuple[str, int, date]:
    """ISO text with the card's precision, the year, and the first day the birth may have been."""
    if _BIRTH.fullmatch(text) is None:
        raise _invalid("bad-birth")
    year = int(text[-4:])
    if year < FIRST_BIRTH_YEAR:
        raise _invalid("bad-birth")
    if len(text) == 8:
        first = _day(text, "bad-birth")
        iso = first.isoformat()
    elif len(text) == 6:
        month = int(text[:2])
        if not 1 <= month <= 12:
            raise _invalid("bad-birth")
        first = date(year, month, 1)
        iso = f"{year:04d}-{month:02d}"
    else:
        first = date(year, 1, 1)
        iso = f"{year:04d}"
    if first > today:
        raise _invalid("birth-in-future")
    return iso, year, first


def _day(text: str, code: str) -> date:
    """A ddmmyyyy date that exists, or InvalidCitizenQR with `code`."""
    if _DAY.fullmatch(text) is None:
        raise _invalid(code)
    try:
        return date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        raise _invalid(code) from None


def _id_structure_warnings(number: str, birth_year: int, sex: str) -> list[str]:
    """PPP G YY NNNNNN: province code, century-and-sex digit, last two digits of the birth year."""
    warnings = []
    if number[:3] not in PROVINCES:
        warnings.append(UNKNOWN_PROVINCE)
    digit = int(number[3])
    if FIRST_BIRTH_YEAR + 100 * (digit // 2) != birth_year - birth_year % 100:
        warnings.append(ID_CENTURY_MISMATCH)
    if ("M", "F")[digit % 2] != sex:
        warnings.append(ID_SEX_MISMATCH)
    if int(number[4:6]) != birth_year % 100:
        warnings.append(ID_YEAR_MISMATCH)
    return warnings


def _invalid(code: str) -> InvalidCitizenQR:
    return InvalidCitizenQR(code, INVALID_DATA)


def _not_an_id_card() -> InvalidCitizenQR:
    return InvalidCitizenQR("not-id-card", NOT_AN_ID_CARD)
