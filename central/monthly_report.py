"""The figures of one office's monthly report (the printable PDF, central.monthly_pdf): the
service report of the calendar month's office days by day, field, counter and officer with its
shares (satisfaction and consent per row, central.service_shares), the satisfaction report's
levels and the consent figures of the month, each computed by its own module, gathered once for
the route and the `kiosk-central monthly-report` command."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal
from zoneinfo import ZoneInfo

from central.consents import ConsentFigures, consent_figures
from central.db import Database
from central.offices import office_names
from central.reports import Report, satisfaction_report
from central.service_report import ServiceReport, service_reports
from central.service_shares import ServiceShares, service_shares
from central.values import FIRST_YEAR, LAST_YEAR

MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
# The tables of the report, in their order.
MonthlyGrouping = Literal["day", "field", "counter", "officer"]
GROUPINGS: tuple[MonthlyGrouping, ...] = ("day", "field", "counter", "officer")


class MonthError(ValueError):
    """Not a month written YYYY-MM."""


def month_days(text: str) -> tuple[date, date]:
    """The first and last office day of the month `YYYY-MM` (office days are dates)."""
    if not re.fullmatch(MONTH_PATTERN, text):
        raise MonthError(f"{text!r} is not a month like 2026-11")
    year, month = int(text[:4]), int(text[5:])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise MonthError(f"expected a month between {FIRST_YEAR} and {LAST_YEAR}, not {text!r}")
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


@dataclass(frozen=True)
class MonthlyFigures:
    office: str
    name: str | None  # the office's name, when the server has one
    first: date
    last: date
    made_on: date  # the office day the report was made
    service: dict[str, ServiceReport]  # by each of GROUPINGS; arrivals in each
    shares: dict[str, ServiceShares]  # the service report's shares, by each of GROUPINGS
    satisfaction: Report  # by day: the month's levels
    consent: ConsentFigures  # by day

    @property
    def empty(self) -> bool:
        """Nothing happened in the month: no ticket, session, ballot nor consent answer."""
        service = self.service["day"].total
        satisfaction = self.satisfaction.total
        return not (
            service.issued
            or service.served
            or satisfaction.ballots
            or satisfaction.not_rated
            or self.consent.total.visits
            or self.consent.total.without_ticket
        )


def monthly_figures(
    db: Database,
    *,
    office: str,
    month: str,
    zone: ZoneInfo,
    made_on: date,
) -> MonthlyFigures:
    """The figures of `month` (YYYY-MM) at `office`, whose time zone is `zone`, and its name."""
    first, last = month_days(month)
    return MonthlyFigures(
        office=office,
        name=office_names(db).get(office),
        first=first,
        last=last,
        made_on=made_on,
        service=service_reports(
            db, office=office, first=first, last=last, bys=GROUPINGS, zone=zone
        ),
        shares={
            by: service_shares(db, office=office, first=first, last=last, by=by, zone=zone)
            for by in GROUPINGS
        },
        satisfaction=satisfaction_report(db, office=office, first=first, last=last, by="day"),
        consent=consent_figures(db, office=office, first=first, last=last, by="day"),
    )
