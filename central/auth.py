"""Bearer-token dependencies: who is calling, and may they touch this office."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from central.context import Central, get_central
from central.enrolment import DESK, Principal, authenticate
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
    token reads the desk only (central.desk_routes)."""
    if holder.office != office:
        raise HTTPException(403, "this token belongs to another office")
    if holder.role == DESK:
        raise HTTPException(403, "a desk token reads the desk only")
    return holder
