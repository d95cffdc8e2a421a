"""Checked value types shared by the event envelope and the API models.

Every value is type-checked strictly (no "5" for 5, no true for 1) and range-checked, so nothing
that reaches the database can overflow a column or a date computation; no text holds a NUL or a
lone surrogate, which neither database can store.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictInt, StrictStr, StringConstraints

from central.jsonsafe import text_problem
from common.id_numbers import holds_id_number

FIRST_YEAR = 2000
LAST_YEAR = 2100

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")


def _day_text(value: Any) -> Any:
    if not isinstance(value, str) or not _DAY.fullmatch(value):
        raise ValueError("expected a day as YYYY-MM-DD")
    return value


def _day_in_range(value: date) -> date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"expected a day between {FIRST_YEAR} and {LAST_YEAR}")
    return value


def _timestamp_text(value: Any) -> Any:
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("expected an RFC 3339 timestamp with its offset")
    return value


def _timestamp_in_range(value: datetime) -> datetime:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"expected a time between {FIRST_YEAR} and {LAST_YEAR}")
    return value.astimezone(UTC)


def _storable(text: str) -> str:
    problem = text_problem(text)
    if problem is not None:
        raise ValueError(problem)
    return text


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError("text has a control character or a line break")
    return text


def _no_id_number(text: str) -> str:
    if holds_id_number(text):
        raise ValueError("a dossier code may not hold an ID number")
    return text


Day = Annotated[date, BeforeValidator(_day_text), AfterValidator(_day_in_range)]
Timestamp = Annotated[
    datetime, BeforeValidator(_timestamp_text), AfterValidator(_timestamp_in_range)
]

OFFICE_PATTERN = r"^[0-9]{5}$"
DEVICE_ID_PATTERN = r"^[a-z0-9-]{1,32}$"

DeviceId = Annotated[StrictStr, StringConstraints(pattern=DEVICE_ID_PATTERN)]
STORABLE = AfterValidator(_storable)


def _text(min_length: int, max_length: int) -> StringConstraints:
    return StringConstraints(min_length=min_length, max_length=max_length)


FieldId = Annotated[StrictStr, _text(1, 64), STORABLE]
OfficerId = Annotated[StrictStr, _text(1, 64), STORABLE]
Label = Annotated[StrictStr, _text(1, 12), STORABLE]
Text = Annotated[StrictStr, _text(0, 200), STORABLE]
Flag = Annotated[StrictStr, _text(1, 64), STORABLE]
Version = Annotated[StrictStr, _text(0, 32), STORABLE]
EnrolmentCode = Annotated[StrictStr, _text(1, 64), STORABLE]
# The site's pattern of a dossier code is the device's: here only a printable line of text.
DossierCode = Annotated[
    StrictStr, _text(1, 64), STORABLE, AfterValidator(_printable), AfterValidator(_no_id_number)
]
Flags = Annotated[list[Flag], Field(max_length=20)]
Counter = Annotated[StrictInt, Field(ge=1, le=999)]
Count = Annotated[StrictInt, Field(ge=0, le=1_000_000)]
