"""The city view's endpoint (docs/central-api.md, "City view"): every office of a city side by
side, read with a city token (`kiosk-central viewer-token --city`) of that city only."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Header, Path, Query
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials

from central.api_models import CityReportBody
from central.auth import bearer, city_reader
from central.city_page import city_page
from central.city_report import CityReport, city_csv, city_report
from central.context import Central, get_central
from central.enrolment import Principal
from central.fleet_routes import ERRORS, PAGE_RESPONSES
from central.routes import (
    PAGE_HEADERS,
    check_period,
    csv_download,
    period_body,
    query_token_holder,
    report_links,
    wants_csv,
)
from central.schema import CITY
from central.strict_json import StrictJsonRoute
from central.values import Day

CentralDep = Annotated[Central, Depends(get_central)]
CityPath = Annotated[
    str,
    Path(
        min_length=1,
        # Its NFC form is at most CITY characters; decomposed (NFD) it may take up to 4 each.
        max_length=4 * CITY,
        description="the city, URL-encoded, e.g. H%C3%A0%20N%E1%BB%99i",
    ),
]

router = APIRouter(prefix="/api/v1", responses=ERRORS, route_class=StrictJsonRoute)


def city_view_reader(
    city: CityPath,
    central: CentralDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    token: Annotated[str | None, Query(description="the bearer token, for a browser")] = None,
) -> Principal:
    """A city token of the city in the path (the bearer token, or `?token=` for a browser's
    link); any other token → 403."""
    return city_reader(query_token_holder(central, credentials, token), city)


def _city_report(central: Central, city: str, first: date, last: date) -> CityReport:
    """The city view of the path's city (NFC, as the token's) over `from`..`to`."""
    check_period(first, last)
    return city_report(
        central.db,
        city=unicodedata.normalize("NFC", city),
        first=first,
        last=last,
        zone_of=lambda office: central.rule(office).timezone,
    )


@router.get(
    "/cities/{city}/reports/overview",
    response_model=CityReportBody,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def get_city_overview(
    city: CityPath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(city_view_reader)],
    format: Annotated[Literal["json", "csv"] | None, Query()] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Any:
    """Every office of the city over the period: its service, satisfaction and consent totals,
    its ranks by satisfaction rate and by median wait; and the city's total."""
    report = _city_report(central, city, first, last)
    if wants_csv(format, accept):
        name = f"overview-{first}-{last}.csv"
        return csv_download(
            city_csv(report), f"city-{name}", utf8_name=f"{quote(report.city, safe='')}-{name}"
        )
    return period_body(report)


@router.get(
    "/cities/{city}/reports/overview/page",
    response_class=HTMLResponse,
    responses=PAGE_RESPONSES,
)
def get_city_overview_page(
    city: CityPath,
    first: Annotated[Day, Query(alias="from")],
    last: Annotated[Day, Query(alias="to")],
    central: CentralDep,
    _holder: Annotated[Principal, Depends(city_view_reader)],
    token: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> HTMLResponse:
    """The city view as an HTML page for a browser (Vietnamese): the offices ranked by tỷ lệ
    hài lòng and by median wait, with their charts; each office links to its own report page."""
    report = _city_report(central, city, first, last)

    def office_page(office: str) -> str:
        # From …/cities/{city}/reports/overview/page up to …/api/v1/, then the office's page.
        return report_links(f"../../../../offices/{office}/reports/", first, last, token)(
            "page", {}
        )

    return HTMLResponse(
        city_page(report, report_links("../", first, last, token), office_page),
        media_type="text/html; charset=utf-8",
        headers=PAGE_HEADERS,
    )
