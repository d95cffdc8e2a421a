"""The officer's desk over HTTP: the page a paired browser opens (/desk, cookie), the provincial
software's pull (desk token), the counter's pairing code, and the access log a leader reads
(docs/central-api.md "The officer's desk")."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import defaultdict, deque
from datetime import UTC, date, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from central.auth import OfficePath, principal
from central.context import Central, get_central
from central.desk import (
    DeskSession,
    desk_record,
    desk_session,
    end_desk_session,
    new_pairing,
    redeem_pairing,
)
from central.desk_access import (
    PAIRED,
    READ_CARD,
    READ_NO_CARD,
    SIGNED_OUT,
    access_log,
    record_access,
)
from central.desk_page import (
    PAIRING_REFUSED,
    PAIRING_THROTTLED,
    access_page,
    desk_page,
    pairing_page,
)
from central.enrolment import DESK, VIEWER, Principal
from central.fleet_routes import ERRORS
from central.routes import page_reader
from central.strict_json import StrictJsonRoute
from central.values import Day

CentralDep = Annotated[Central, Depends(get_central)]
CounterPath = Annotated[int, Path(ge=1, le=999)]
COOKIE = "desk_session"
WRONG_CODES_PER_MINUTE = 5

api = APIRouter(prefix="/api/v1", responses=ERRORS, route_class=StrictJsonRoute)
pages = APIRouter(include_in_schema=False)


class WrongCodes:
    """Wrong pairing codes per client address in the last minute: a 6-digit code is guessed in
    a million tries, so after WRONG_CODES_PER_MINUTE the address waits."""

    def __init__(self) -> None:
        self._seen: dict[str, deque[float]] = defaultdict(deque)

    def blocked(self, client: str) -> bool:
        times = self._seen.get(client)
        if times is None:
            return False
        while times and times[0] < time.monotonic() - 60:
            times.popleft()
        if not times:
            del self._seen[client]  # an address that stopped guessing is forgotten
            return False
        return len(times) >= WRONG_CODES_PER_MINUTE

    def add(self, client: str) -> None:
        self._seen[client].append(time.monotonic())


def _wrong_codes(request: Request) -> WrongCodes:
    state = request.app.state
    if not hasattr(state, "desk_wrong_codes"):
        state.desk_wrong_codes = WrongCodes()
    return state.desk_wrong_codes


def _page(html: str, nonce: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        html,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Content-Security-Policy": (
                f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
                "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
            ),
        },
    )


def _paired(request: Request, central: Central) -> DeskSession | None:
    token = request.cookies.get(COOKIE)
    return None if not token or len(token) > 256 else desk_session(central, token)


def _reader(session: DeskSession) -> str:
    return f"desk-page-{session.session_id}"


def _read(central: Central, office: str, counter: int, reader: str) -> dict[str, Any]:
    """The desk record, its read written to the access log (never the data)."""
    record = desk_record(central, office=office, counter=counter)
    ticket = record["ticket"]
    record_access(
        central,
        office=office,
        counter=counter,
        reader=reader,
        kind=READ_CARD if record["state"] == "card" else READ_NO_CARD,
        day=None if ticket is None else datetime.fromisoformat(ticket["day"]).date(),
        label=None if ticket is None else ticket["label"],
    )
    return record


@pages.get("/desk")
def get_desk(request: Request, central: CentralDep) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    session = _paired(request, central)
    if session is None:
        return _page(pairing_page(nonce), nonce)
    return _page(desk_page(nonce, office=session.office, counter=session.counter), nonce)


async def _form(request: Request) -> dict[str, str]:
    """An HTML form's fields (application/x-www-form-urlencoded; the body limit applies)."""
    text = (await request.body()).decode("utf-8", errors="replace")
    return {name: values[0] for name, values in parse_qs(text).items()}


@pages.post("/desk/pair")
async def post_desk_pair(request: Request, central: CentralDep) -> Response:
    """Redeem a counter's code (form field `code`). The office is found from the code, so the
    officer types only the code; a field `office` narrows the search where a server holds
    several offices' live codes."""
    fields = await _form(request)
    return await asyncio.to_thread(
        _pair, request, central, fields.get("code", "")[:32], fields.get("office")
    )


def _pair(request: Request, central: Central, code: str, office: str | None) -> Response:
    nonce = secrets.token_urlsafe(16)
    client = request.client.host if request.client else "?"
    wrong = _wrong_codes(request)
    if wrong.blocked(client):
        return _page(pairing_page(nonce, problem=PAIRING_THROTTLED), nonce, 429)
    opened = redeem_pairing(central, office=office, typed=code)
    if opened is None:
        wrong.add(client)
        return _page(pairing_page(nonce, problem=PAIRING_REFUSED), nonce, 400)
    previous = _paired(request, central)
    if previous is not None:  # this computer paired again: its old session ends
        end_desk_session(central, previous.session_id)
    session = opened.session
    record_access(
        central,
        office=session.office,
        counter=session.counter,
        reader=_reader(session),
        kind=PAIRED,
    )
    response = RedirectResponse("/desk", status_code=303)
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.set_cookie(
        COOKIE,
        opened.token,
        expires=session.expires_at.astimezone(UTC),
        path="/desk",
        secure=secure,
        httponly=True,
        samesite="strict",
    )
    return response


@pages.post("/desk/logout")
def post_desk_logout(request: Request, central: CentralDep) -> Response:
    session = _paired(request, central)
    if session is not None:
        end_desk_session(central, session.session_id)
        record_access(
            central,
            office=session.office,
            counter=session.counter,
            reader=_reader(session),
            kind=SIGNED_OUT,
        )
    response = RedirectResponse("/desk", status_code=303)
    response.delete_cookie(COOKIE, path="/desk", httponly=True, samesite="strict")
    return response


@pages.get("/desk/current")
def get_desk_current(request: Request, central: CentralDep) -> Response:
    session = _paired(request, central)
    if session is None:
        raise HTTPException(401, "this computer is not paired with a counter")
    record = _read(central, session.office, session.counter, _reader(session))
    return _no_store(record)


def _no_store(record: dict[str, Any]) -> Response:
    from fastapi.encoders import jsonable_encoder
    from fastapi.responses import JSONResponse

    return JSONResponse(jsonable_encoder(record), headers={"Cache-Control": "no-store"})


@api.get("/offices/{office}/counters/{counter}/desk")
def get_counter_desk(
    office: OfficePath,
    counter: CounterPath,
    central: CentralDep,
    holder: Annotated[Principal, Depends(principal)],
) -> Response:
    """The called citizen's card data for the provincial software (a desk token)."""
    if holder.role != DESK:
        raise HTTPException(403, "only a desk token reads the desk")
    if holder.office != office:
        raise HTTPException(403, "this token belongs to another office")
    if holder.counter is not None and holder.counter != counter:
        raise HTTPException(403, f"this desk token is for counter {holder.counter}")
    return _no_store(_read(central, office, counter, holder.device_id))


@api.post("/offices/{office}/counters/{counter}/desk-pairing")
def post_desk_pairing(
    office: OfficePath,
    counter: CounterPath,
    central: CentralDep,
    holder: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """A one-time code for pairing a computer with this counter (shown on the counter)."""
    if holder.office != office:
        raise HTTPException(403, "this token belongs to another office")
    if holder.role != "counter" or holder.counter != counter:
        raise HTTPException(403, "only this counter's device may ask for its pairing code")
    pairing = new_pairing(central, office=office, counter=counter)
    return {"code": pairing.code, "expires_at": pairing.expires_at}


@api.get("/offices/{office}/desk-access")
def get_desk_access(
    office: OfficePath,
    day: Annotated[Day, Query()],
    central: CentralDep,
    holder: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """Who read card data on the desk during an office day, and when (a ward leader's viewer
    token); never the data."""
    return {"office": office, "day": day, "entries": _access(central, office, day, holder)}


def _access(central: Central, office: str, day: date, holder: Principal) -> list[dict]:
    if holder.office != office or holder.role != VIEWER:
        raise HTTPException(403, "only a viewer token of this office reads the access log")
    rule = central.rule(office)
    return access_log(central, office=office, first=rule.start(day), last=rule.end(day))


@api.get("/offices/{office}/desk-access/page", include_in_schema=False)
def get_desk_access_page(
    office: OfficePath,
    day: Annotated[Day, Query()],
    central: CentralDep,
    holder: Annotated[Principal, Depends(page_reader)],
) -> HTMLResponse:
    """The access log as a page, for a ward leader's browser (`?token=` of a viewer)."""
    entries = _access(central, office, day, holder)
    nonce = secrets.token_urlsafe(16)
    return _page(access_page(nonce, office, day, entries, central.rule(office).timezone), nonce)
