"""Bearer-token dependencies: who is calling, and may they touch this office (or city)."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from fastapi import Depends, HTTPException, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from central.context import Central, get_central
from central.enrolment import CITY, DESK, Principal, authenticate
from central.offices import office_labels
from central.values import OFFICE_PATTERN

MAX_TOKEN_LENGTH = 256

bearer = HTTPBearer(auto_error=False, description="A device token, or a viewer token to read.")

OfficePath = Annotated[str, Path(pattern=OFFICE_PATTERN, description="office code, e.g. 00637")]


def _unauthorised(reason: str) -> HTTPException:
    return HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


def principal(
    central: Annotated[Central, Depends(get_central)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The holder of the request's token: missing, unknown or revoked → 401."""
    if credentials is None:
        raise _unauthorised("a bearer token is required")
    token = credentials.credentials
    holder = authenticate(central.db, token) if len(token) <= MAX_TOKEN_LENGTH else None
    if holder is None:
        raise _unauthorised("unknown or revoked token")
    return holder


async def office_member(
    office: OfficePath, holder: Annotated[Principal, Depends(principal)]
) -> Principal:
    """Any token of the office in the path (devices and viewers); another office → 403. A desk
    token reads the desk only (central.desk_routes); a city token, whose office is none of them,
    only reports (report_reader)."""
    return member_of(holder, office)


def member_of(holder: Principal, office: str) -> Principal:
    if holder.office != office:
        raise HTTPException(403, "this token belongs to another office")
    if holder.role == DESK:
        raise HTTPException(403, "a desk token reads the desk only")
    return holder


def report_reader_of(central: Central, holder: Principal, office: str) -> Principal:
    """A reader of the office's reports: a token of the office (member_of), or a city token of
    the office's city (`kiosk-central office --city`)."""
    if holder.role != CITY:
        return member_of(holder, office)
    if holder.city is None or office_labels(central.db, office).city != holder.city:
        raise HTTPException(403, "this city token reads the offices of its own city only")
    return holder


async def report_reader(
    office: OfficePath,
    central: Annotated[Central, Depends(get_central)],
    holder: Annotated[Principal, Depends(principal)],
) -> Principal:
    """report_reader_of the office in the path."""
    return report_reader_of(central, holder, office)


def city_reader(holder: Principal, city: str) -> Principal:
    """A city token of `city` (compared NFC): the only reader of a city view."""
    if holder.role != CITY:
        raise HTTPException(403, "the city view is read with a city token")
    if holder.city != unicodedata.normalize("NFC", city):
        raise HTTPException(403, "this token belongs to another city")
    return holder
