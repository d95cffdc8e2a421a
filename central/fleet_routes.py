"""The HTTP endpoints of device health and the fleet (docs/central-api.md, "Device health and
the fleet"): devices report, viewers and monitors read.

Who may read: an office's viewer token (`kiosk-central viewer-token`) its own office; a monitor
token (`kiosk-central monitor-token`) every office. Device tokens only report, each for itself.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials

from central.api_models import ErrorBody, FleetBody, HealthReport, HealthStoredBody
from central.auth import OfficePath, bearer, principal
from central.context import Central, get_central
from central.enrolment import DEVICE_ROLES, MONITOR, VIEWER, Principal
from central.fleet import Fleet, fleet_view
from central.fleet_page import fleet_page
from central.health_reports import store_report
from central.metrics import CONTENT_TYPE, metrics_text
from central.strict_json import StrictJsonRoute

CentralDep = Annotated[Central, Depends(get_central)]
HEALTH_BODY_LIMIT = 16 * 1024  # a report is about 2 kB with ten recent errors
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "missing, unknown or revoked token"},
    403: {"model": ErrorBody, "description": "this token may not do this"},
    413: {"model": ErrorBody, "description": "body too large"},
    422: {"model": ErrorBody, "description": "malformed request"},
    503: {"model": ErrorBody, "description": "database busy; retry after Retry-After seconds"},
}

# A page's own answer is HTML; its errors are still JSON.
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}},
    **{code: {**spec, "content": {"application/json": {}}} for code, spec in ERRORS.items()},
}

router = APIRouter(prefix="/api/v1", responses=ERRORS, route_class=StrictJsonRoute)
metrics_router = APIRouter()


async def small_body(request: Request) -> None:
    """A health report larger than HEALTH_BODY_LIMIT is refused (413) before it is read."""
    if len(await request.body()) > HEALTH_BODY_LIMIT:
        raise HTTPException(413, f"a health report is at most {HEALTH_BODY_LIMIT // 1024} KiB")


@router.post(
    "/devices/health",
    response_model=HealthStoredBody,
    dependencies=[Depends(small_body)],
)
def post_device_health(
    body: HealthReport,
    central: CentralDep,
    holder: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """Keep this device's latest health; an older report than the one kept only says the
    device is alive."""
    if holder.role not in DEVICE_ROLES:
        raise HTTPException(403, "only a device reports its health")
    claimed = (body.office, body.device_id, body.role)
    if claimed != (holder.office, holder.device_id, holder.role):
        raise HTTPException(
            403,
            f"this token is {holder.role} device {holder.device_id} of office {holder.office};"
            " a device reports only for itself",
        )
    now = central.now()
    stored = store_report(central.db, holder, body.model_dump(mode="json"), body.observed_at, now)
    return {"stored": stored, "last_seen_at": now}


def _reader(holder: Principal, office: str | None) -> Principal:
    """A viewer of `office`, or a monitor (any office, and every office: `office` None)."""
    if holder.role == MONITOR:
        return holder
    if holder.role != VIEWER:
        raise HTTPException(403, "the fleet is read with a viewer or monitor token")
    if office is None:
        raise HTTPException(403, "every office's fleet is read with a monitor token")
    if holder.office != office:
        raise HTTPException(403, "this token belongs to another office")
    return holder


def _holder(
    central: Central, credentials: HTTPAuthorizationCredentials | None, token: str | None
) -> Principal:
    """The bearer token, or `?token=` (a browser cannot easily send a header)."""
    if credentials is None and token is not None:
        credentials = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    return principal(central, credentials)


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
QueryToken = Annotated[str | None, Query(description="the bearer token, for a browser")]


def _fleet(central: Central, office: str | None) -> Fleet:
    return fleet_view(central.db, office, central.now(), central.fleet_rules)


def _page(central: Central, office: str | None) -> HTMLResponse:
    page = fleet_page(_fleet(central, office), lambda code: central.rule(code).timezone)
    return HTMLResponse(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)


@router.get("/offices/{office}/fleet", response_model=FleetBody)
def get_office_fleet(
    office: OfficePath,
    central: CentralDep,
    holder: Annotated[Principal, Depends(principal)],
) -> dict[str, Any]:
    """Every device of the office, its last report, whether it is silent and what is wrong."""
    _reader(holder, office)
    return fleet_json(_fleet(central, office))


@router.get("/fleet", response_model=FleetBody)
def get_fleet(
    central: CentralDep, holder: Annotated[Principal, Depends(principal)]
) -> dict[str, Any]:
    """The same for every office (a monitor token)."""
    _reader(holder, None)
    return fleet_json(_fleet(central, None))


@router.get("/offices/{office}/fleet/page", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def get_office_fleet_page(
    office: OfficePath, central: CentralDep, credentials: Credentials, token: QueryToken = None
) -> HTMLResponse:
    """The office's fleet as an HTML page for a browser (Vietnamese, English beside)."""
    _reader(_holder(central, credentials, token), office)
    return _page(central, office)


@router.get("/fleet/page", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def get_fleet_page(
    central: CentralDep, credentials: Credentials, token: QueryToken = None
) -> HTMLResponse:
    """Every office's fleet as an HTML page (a monitor token)."""
    _reader(_holder(central, credentials, token), None)
    return _page(central, None)


@metrics_router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}},
        **{code: {**ERRORS[code], "content": {"application/json": {}}} for code in (401, 403)},
    },
)
def get_metrics(central: CentralDep, holder: Annotated[Principal, Depends(principal)]) -> Response:
    """The fleet as Prometheus gauges: every office for a monitor token, its own office for a
    viewer token."""
    office = None if holder.role == MONITOR else _reader(holder, holder.office).office
    return Response(metrics_text(_fleet(central, office)), media_type=CONTENT_TYPE)


def fleet_json(fleet: Fleet) -> dict[str, Any]:
    return {
        "generated_at": fleet.generated_at,
        "office": fleet.office,
        "silent_after_seconds": fleet.rules.silent_after.total_seconds(),
        "devices": [
            {
                "office": device.office,
                "device_id": device.device_id,
                "role": device.role,
                "counter": device.counter,
                "version": device.version,
                "last_seen_at": device.last_seen_at,
                "silent": device.silent,
                "problems": [asdict(problem) for problem in device.problems],
                "health": device.report.report if device.report else None,
            }
            for device in fleet.devices
        ],
    }
