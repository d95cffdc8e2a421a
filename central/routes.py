"""The HTTP endpoints of the central API v1 (docs/central-api.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import text

from central.api_models import (
    ArrivalsBody,
    CalledTicketBody,
    CallNextRequest,
    CallsBody,
    ConsentLogBody,
    EnrollRequest,
    EnrollResponse,
    ErrorBody,
    EventsRequest,
    EventsResponse,
    HallKeyBody,
    HealthBody,
    HeldElsewhereBody,
    IdentityBody,
    QueueBody,
    ReportBody,
    ServiceReportBody,
    SessionsBody,
    TakeRequest,
)
from central.auth import (
    OfficePath,
    bearer,
    office_member,
    principal,
    report_reader_of,
)
from central.call_polls import next_calls
from central.consents import LOG_COLUMNS, consent_figures, consent_log
from central.context import Central, get_central
from central.csv_cells import csv_cell
from central.enrolment import DEVICE_ROLES, EnrolmentRefused, Principal, enroll
from central.hall_keys import hall_key
from central.identities import identity_for_counter
from central.ingest import ingest
from central.monthly_pdf import monthly_pdf
from central.monthly_report import MONTH_PATTERN, MonthError, monthly_figures
from central.offices import office_labels
from central.projections import IngestDay
from central.queue import HeldElsewhere, call_next, queue_state, take_ticket
from central.report_page import OfficeFigures, hide_query_tokens_in_access_log, report_page
from central.reports import Grouping, report_csv, satisfaction_report
from central.service_page import LinkTo
from central.service_report import (
    ServiceGrouping,
    arrivals,
    arrivals_csv,
    service_csv,
    service_report,
    service_reports,
)
from central.service_shares import service_shares
from central.session_export import session_records, sessions_csv
from central.strict_json import StrictJsonRoute
from central.values import Day
from common.version import __version__

CentralDep = Annotated[Central, Depends(get_central)]
HALL_KEY_ROLES = ("counter", "display")
MAX_SEQ = 2**62


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        400: "refused, with the reason",
        401: "missing, unknown or revoked token",
        403: "this token may not do this (another office, or the wrong role)",
        404: "no identity for a ticket called at this counter",
        413: "body larger than 1 MiB",
        422: "malformed request",
        503: "database busy; retry after Retry-After seconds",
    }
    return {code: {"model": ErrorBody, "description": descriptions[code]} for code in codes}


def _json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """_errors for a route whose own answer is not JSON: its errors still are."""
    errors = _errors(*codes)
    for spec in errors.values():
        spec["content"] = {"application/json": {}}
    return errors


router = APIRouter(prefix="/api/v1", responses=_errors(413, 422, 503), route_class=StrictJsonRoute)


@router.post("/enroll", response_model=EnrollResponse, responses=_errors(400))
def enroll_device(body: EnrollRequest, central: CentralDep) -> dict[str, Any]:
    """Redeem a one-time enrolment code for a device token."""
    try:
        credentials = enroll(
            central.db,
            code=body.code,
            device_id=body.device.id,
            role=body.device.role,
            version=body.device.version,
            now=central.now(),
        )
    except EnrolmentRefused as refusal:
        raise HTTPException(400, str(refusal)) from None
    return asdict(credentials)


@router.post(
    "/events",
    response_model=EventsResponse,
    response_model_exclude_unset=True,
    responses=_errors(401, 403),
)
def post_events(
    body: EventsRequest,
    central: CentralDep,
    holder: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """Store a batch of events; each is accepted, a duplicate, or rejected with a reason."""
    if holder.role not in DEVICE_ROLES:
        raise HTTPException(403, f"a {holder.role} token may only read")
    if holder.role == "display":
        raise HTTPException(403, "a display device may only read")
    now = central.now()
    today = IngestDay(central.office_day(holder.office, now), central.keys)
    results = ingest(central.db, holder, body.events, now, today, central.wakeups.wake_soon)
    return {
        "results": [
            {key: value for key, value in asdict(result).items() if key == "id" or value}
            for result in results
        ]
    }


@router.get("/offices/{office}/queue", response_model=QueueBody, responses=_errors(401, 403))
def get_queue(
    office: OfficePath,
    central: CentralDep,
    _holder: Annotated[Principal, Depends(office_member)],
) -> dict[str, Any]:
    """Waiting tickets and estimated wait per field, and the last numbers called today."""
    now = central.now()
    day = central.office_day(office, now)
    return asdict(queue_state(central.db, office=office, day=day, now=now))


@router.post(
    "/offices/{office}/counters/{counter}/call-next",
    response_model=CalledTicketBody,
    responses={204: {"description": "no ticket waits"}, **_errors(401, 403)},
)
def post_call_next(
    office: OfficePath,
    counter: Annotated[int, Path(ge=1, le=999)],
    body: CallNextRequest,
    central: CentralDep,
    holder: Annotated[Principal, Depends(office_member)],
) -> Any:
    """Call the next ticket of the officer's fields to this counter (priority first)."""
    if holder.role != "counter":
        raise HTTPException(403, "only a counter device may call tickets")
    if holder.counter is not None and holder.counter != counter:
        raise HTTPException(403, f"this device is counter {holder.counter}")
    now = central.now()
    called = call_next(
        central.db,
        office=office,
        counter=counter,
        officer_id=body.officer_id,
        fields=body.fields,
        day=central.office_day(office, now),
        now=now,
    )
    if called is None:
        return Response(status_code=204)
    central.wakeups.wake_soon(office)
    return asdict(called)


@router.post(
    "/offices/{office}/counters/{counter}/take",
    response_model=CalledTicketBody,
    responses={
        404: {"model": ErrorBody, "description": "the server has no such ticket (yet)"},
        409: {"model": HeldElsewhereBody, "description": "another counter holds the ticket"},
        **_errors(401, 403),
    },
)
def post_take(
    office: OfficePath,
    counter: Annotated[int, Path(ge=1, le=999)],
    body: TakeRequest,
    central: CentralDep,
    holder: Annotated[Principal, Depends(office_member)],
) -> Any:
    """Call a ticket the officer typed or scanned (its day and label) to this counter, unless
    another counter holds it: then 409 and nothing changes."""
    if holder.role != "counter":
        raise HTTPException(403, "only a counter device may call tickets")
    if holder.counter != counter:
        raise HTTPException(403, f"this device is counter {holder.counter}")
    now = central.now()
    if body.day != central.office_day(office, now):
        raise HTTPException(404, "the server has no such ticket of that day (yet)")
    taken = take_ticket(
        central.db,
        office=office,
        counter=counter,
        officer_id=body.officer_id,
        day=body.day,
        label=body.label,
        field_id=body.field_id,
        now=now,
    )
    if taken is None:
        raise HTTPException(404, "the server has no such ticket of that day (yet)")
    if isinstance(taken, HeldElsewhere):
        verb = "was already served" if taken.served else "is being served"
        detail = f"ticket {taken.label} of {taken.day} {verb} at counter {taken.counter}"
        return JSONResponse(
            {"detail": detail, "counter": taken.counter, "served": taken.served}, status_code=409
        )
    central.wakeups.wake_soon(office)
    return asdict(taken)


@router.get("/offices/{office}/calls", response_model=CallsBody, responses=_errors(401, 403))
async def get_calls(
    office: OfficePath,
    central: CentralDep,
    _holder: Annotated[Principal, Depends(office_member)],
    after: Annotated[int | None, Query(ge=0, le=MAX_SEQ, description="the last seq seen")] = None,
    wait: Annotated[float, Query(ge=0, le=30, description="seconds to wait for a call")] = 25,
) -> dict[str, Any]:
    """The calls and recalls for the hall display. Without `after`: the newest of the office
    day, at once. With it: those after it as soon as there is one, else none after `wait`
    seconds (a long-poll; go on with `after=last_seq`)."""
    feed = await next_calls(central, office, after, wait)
    return {
        "calls": [asdict(call) for call in feed.calls],
        "last_seq": feed.last_seq,
        "server_time": central.now(),
    }


@router.get("/offices/{office}/hall-key", response_model=HallKeyBody, responses=_errors(401, 403))
def get_hall_key(
    office: OfficePath,
    central: CentralDep,
    holder: Annotated[Principal, Depends(office_member)],
) -> dict[str, str]:
    """The key the office's counters sign the calls they send the hall display with; for the
    office's counter and display devices only. Made on the first request."""
    if holder.role not in HALL_KEY_ROLES:
        raise HTTPException(403, "only a counter or display device may read the hall key")
    key = hall_key(central.db, office, central.now())
    return {"key_id": key.key_id, "key": key.key_text}


hide_query_tokens_in_access_log()


def page_reader(
    office: OfficePath,
    central: CentralDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    token: Annotated[str | None, Query(description="the bearer token, for a browser")] = None,
) -> Principal:
    """report_reader, where the token may also come as `?token=` (a browser link)."""
    return report_reader_of(central, query_token_holder(central, credentials, token), office)


def query_token_holder(
    central: Central, credentials: HTTPAuthorizationCredentials | None, token: str | None
) -> Principal:
    """The bearer token, or `?token=` (a browser cannot easily send a header)."""
    if credentials is None and token is not None:
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    return principal(central, credentials)


@router.get(
    "/offices/{office}/reports/satisfaction",
    response_model=ReportBody,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **_errors(401, 403),
    },
)
def get_satisfaction(
    office: OfficePath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    by: Annotated[Grouping, Query()],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(page_reader)],
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Ballots, not rated, count and percent per level, and satisfaction rate, per key."""
    check_period(first, last)
    report = satisfaction_report(central.db, office=office, first=first, last=last, by=by)
    consent = consent_figures(central.db, office=office, first=first, last=last, by=by)
    if wants_csv(format, accept):
        name = f"satisfaction-{office}-{first}-{last}-{by}.csv"
        return csv_download(report_csv(report, consent), name)
    body = period_body(report)
    body["consent"] = asdict(consent)
    return body


@router.get(
    "/offices/{office}/reports/service",
    response_model=ServiceReportBody,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **_errors(401, 403),
    },
)
def get_service(
    office: OfficePath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    by: Annotated[ServiceGrouping, Query()],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(page_reader)],
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Tickets issued, called, served, no-shows, still waiting; waiting and service times;
    same-day results; per key, and the arrivals per hour and field."""
    check_period(first, last)
    zone = central.rule(office).timezone
    report = service_report(central.db, office=office, first=first, last=last, by=by, zone=zone)
    shares = service_shares(central.db, office=office, first=first, last=last, by=by, zone=zone)
    if wants_csv(format, accept):
        csv_text = service_csv(report, shares)
        return csv_download(csv_text, f"service-{office}-{first}-{last}-{by}.csv")
    body = period_body(report)
    for row in body["rows"]:
        row.update(asdict(shares.of(row["key"])))
    body["total"].update(asdict(shares.total))
    return body


@router.get(
    "/offices/{office}/reports/arrivals",
    response_model=ArrivalsBody,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **_errors(401, 403),
    },
)
def get_arrivals(
    office: OfficePath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(page_reader)],
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Tickets issued per hour of the day and field over the period (the service report's
    arrivals), for staffing the counters."""
    check_period(first, last)
    rows = arrivals(
        central.db, office=office, first=first, last=last, zone=central.rule(office).timezone
    )
    if wants_csv(format, accept):
        return csv_download(arrivals_csv(rows), f"arrivals-{office}-{first}-{last}.csv")
    return {"office": office, "from": first, "to": last, "arrivals": [asdict(a) for a in rows]}


def wants_csv(format: str | None, accept: str | None) -> bool:
    """`format=csv`, or no `format` and an Accept header naming text/csv."""
    return format == "csv" or (format is None and "text/csv" in (accept or ""))


def csv_download(content: str, name: str, *, utf8_name: str | None = None) -> Response:
    """A CSV attachment named `name`; `utf8_name` (percent-encoded) for a name a Latin-1 header
    cannot carry (RFC 6266 filename*)."""
    disposition = f'attachment; filename="{name}"'
    if utf8_name is not None:
        disposition += f"; filename*=UTF-8''{utf8_name}"
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": disposition},
    )


def check_period(first: date, last: date) -> None:
    """A report's `from` and `to`, both included: `from` after `to` → 422."""
    if first > last:
        raise HTTPException(422, "from must not be after to")


def period_body(report: Any) -> dict[str, Any]:
    """A report dataclass with `first` and `last` as its JSON body, with `from` and `to`."""
    body = asdict(report)
    body["from"] = body.pop("first")
    body["to"] = body.pop("last")
    return body


@router.get(
    "/offices/{office}/reports/sessions",
    response_model=SessionsBody,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **_errors(401, 403),
    },
)
def get_sessions(
    office: OfficePath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(page_reader)],
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Every closed session of the period, one row each, with its dossier code."""
    check_period(first, last)
    records = session_records(central.db, office=office, first=first, last=last)
    if wants_csv(format, accept):
        return csv_download(sessions_csv(records), f"sessions-{office}-{first}-{last}.csv")
    return {"office": office, "from": first, "to": last, "sessions": [asdict(r) for r in records]}


PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


@router.get(
    "/offices/{office}/reports/page",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **_json_errors(401, 403, 413, 422, 503)},
)
def get_report_page(
    office: OfficePath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(page_reader)],
    token: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> HTMLResponse:
    """The office's report as an HTML page for a browser (Vietnamese): service figures by day,
    field, counter, officer and hour, arrivals, satisfaction by day and officer, consent."""
    return _report_page(central, office, first, last, token, base="")


@router.get(
    "/offices/{office}/reports/satisfaction/page",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}, **_json_errors(401, 403, 413, 422, 503)},
)
def get_satisfaction_page(
    office: OfficePath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(page_reader)],
    token: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> HTMLResponse:
    """The same page as …/reports/page, at the address it had before it showed more than the
    satisfaction (links already handed out keep working)."""
    return _report_page(central, office, first, last, token, base="../")


def _report_page(
    central: Central, office: str, first: date, last: date, token: str | None, *, base: str
) -> HTMLResponse:
    """`base` leads from the page's address to its office's reports (relative links, so the
    page works behind a reverse proxy's prefix too)."""
    check_period(first, last)
    zone = central.rule(office).timezone
    groupings: tuple[ServiceGrouping, ...] = get_args(ServiceGrouping)
    reports = service_reports(
        central.db, office=office, first=first, last=last, bys=groupings, zone=zone
    )
    service = {
        by: (
            reports[by],
            service_shares(central.db, office=office, first=first, last=last, by=by, zone=zone),
        )
        for by in groupings
    }
    figures = OfficeFigures(
        office=office,
        name=office_labels(central.db, office).name,
        first=first,
        last=last,
        service=service,
        by_day=satisfaction_report(central.db, office=office, first=first, last=last, by="day"),
        by_officer=satisfaction_report(
            central.db, office=office, first=first, last=last, by="officer"
        ),
        consent_by_day=consent_figures(central.db, office=office, first=first, last=last, by="day"),
    )
    return HTMLResponse(
        report_page(figures, report_links(base, first, last, token)),
        media_type="text/html; charset=utf-8",
        headers=PAGE_HEADERS,
    )


def report_links(base: str, first: date, last: date, token: str | None) -> LinkTo:
    """The page's links to the reports of its period, carrying the page's own `?token=` for the
    browser that holds it."""

    def link(endpoint: str, params: Mapping[str, str]) -> str:
        query = {"from": first.isoformat(), "to": last.isoformat(), **params}
        if token is not None:
            query["token"] = token
        return f"{base}{endpoint}?{urlencode(query)}"

    return link


@router.get(
    "/offices/{office}/reports/monthly.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **_json_errors(401, 403, 413, 422, 503),
    },
)
def get_monthly_pdf(
    office: OfficePath,
    month: Annotated[str, Query(pattern=MONTH_PATTERN, description="YYYY-MM")],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(page_reader)],
) -> Response:
    """The printable monthly report of the office (PDF, A4, Vietnamese), as a ward files it:
    the summary, the tables by day, field, counter and officer, arrivals by hour, charts."""
    rule = central.rule(office)
    try:
        figures = monthly_figures(
            central.db,
            office=office,
            month=month,
            zone=rule.timezone,
            made_on=central.now().astimezone(rule.timezone).date(),
        )
    except MonthError as error:
        raise HTTPException(422, str(error)) from None
    return Response(
        monthly_pdf(figures),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="bao-cao-{office}-{month}.pdf"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )


@router.get(
    "/offices/{office}/consents",
    response_model=ConsentLogBody,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **_errors(401, 403),
    },
)
def get_consents(
    office: OfficePath,
    day: Annotated[Day, Query()],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(office_member)],
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Each consent answer of an office day at the lobbies: when, which device, the language
    and version of the text shown, the answer, whether it was withdrawn. No card data."""
    answers = consent_log(central.db, office=office, day=day)
    if wants_csv(format, accept):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(LOG_COLUMNS)
        for answer in answers:
            writer.writerow([csv_cell(answer[name]) for name in LOG_COLUMNS])
        return csv_download(out.getvalue(), f"consents-{office}-{day}.csv")
    return {"office": office, "day": day, "consents": answers}


@router.get(
    "/offices/{office}/counters/{counter}/identity",
    response_model=IdentityBody,
    responses=_errors(401, 403, 404),
)
def get_counter_identity(
    office: OfficePath,
    counter: Annotated[int, Path(ge=1, le=999)],
    day: Annotated[Day, Query()],
    label: Annotated[str, Query(min_length=1, max_length=12, pattern=r"^[A-Z]{0,3}[0-9]{1,6}$")],
    central: CentralDep,
    holder: Annotated[Principal, Depends(office_member)],
) -> dict[str, Any]:
    """The identity the citizen gave at the lobby for ticket `label`, only to the counter that
    has called it (for the officer's prefilled forms)."""
    if holder.role != "counter":
        raise HTTPException(403, "only the counter that called the ticket may read it")
    if holder.counter is not None and holder.counter != counter:
        raise HTTPException(403, f"this device is counter {holder.counter}")
    identity = identity_for_counter(
        central.db, central.keys, office=office, counter=counter, day=day, label=label
    )
    if identity is None:
        raise HTTPException(404, "no identity for a ticket called at this counter")
    return {"identity": identity}


@router.get("/health", response_model=HealthBody)
def get_health(central: CentralDep) -> dict[str, Any]:
    """Liveness: the database answers."""
    central.db.read(lambda conn: conn.execute(text("SELECT 1")))
    return {
        "status": "ok",
        "version": __version__,
        "time": central.now(),
        "database": central.db.kind,
    }
