"""The city view: every office of a city side by side over a period, ranked by tỷ lệ hài lòng and
by median wait, and the city's total.

The definitions are those of docs/central-api.md (`GET /cities/{city}/reports/overview`). Each
office's figures are those of its own reports (the total of `…/reports/service`, of
`…/reports/satisfaction` and its consent columns); the city's total is the same figures over all
its offices' tickets, ballots and visits (its median wait is that of every ticket, not a median
of medians). Ranks compare the figures as published (one decimal); equal figures share a rank
(1, 1, 3); an office with no ballot, or no called ticket, has no rank in that ranking.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from central.consents import ConsentTally, consent_totals
from central.csv_cells import csv_cell
from central.db import Database
from central.offices import office_names, offices_of_city
from central.reports import TOTAL_KEY, Tally, percent, pooled_tally, satisfaction_totals
from central.service_report import SERVICE_COLUMNS, ServiceTally, office_totals, service_cells


@dataclass(frozen=True)
class OfficeLine:
    office: str
    name: str | None
    service: ServiceTally  # the total of the office's service report for the period
    satisfaction: Tally  # the total of its satisfaction report (ballots, rate)
    consent: ConsentTally  # its consent figures (visits asked, consented, rate)
    satisfaction_rank: int | None  # 1 = highest tỷ lệ hài lòng; None without a ballot
    wait_rank: int | None  # 1 = shortest median wait; None without a called ticket


@dataclass(frozen=True)
class CityTotal:
    service: ServiceTally
    satisfaction: Tally
    consent: ConsentTally


@dataclass(frozen=True)
class CityReport:
    city: str
    first: date
    last: date
    offices: list[OfficeLine]  # every office of the city, also those with no data, by code
    total: CityTotal


@dataclass(frozen=True)
class _Figures:
    office: str
    service: ServiceTally
    satisfaction: Tally
    consent: ConsentTally


def city_report(
    db: Database, *, city: str, first: date, last: date, zone_of: Callable[[str], ZoneInfo]
) -> CityReport:
    """The city view of the office days `first`..`last` (both included); `zone_of` gives an
    office's time zone (its day rule)."""
    codes = offices_of_city(db, city)
    names = office_names(db)
    services, city_service = office_totals(
        db, offices=codes, first=first, last=last, zone_of=zone_of
    )
    satisfaction = satisfaction_totals(db, offices=codes, first=first, last=last)
    consent = consent_totals(db, offices=codes, first=first, last=last)
    figures = [
        _Figures(office, services[office], satisfaction[office], consent[office])
        for office in codes
    ]
    satisfaction_ranks = competition_ranks(
        {f.office: f.satisfaction.satisfaction_rate for f in figures}, highest_first=True
    )
    wait_ranks = competition_ranks(
        {f.office: f.service.wait.median for f in figures}, highest_first=False
    )
    lines = [
        OfficeLine(
            office=f.office,
            name=names.get(f.office),
            service=f.service,
            satisfaction=f.satisfaction,
            consent=f.consent,
            satisfaction_rank=satisfaction_ranks.get(f.office),
            wait_rank=wait_ranks.get(f.office),
        )
        for f in figures
    ]
    total = CityTotal(
        service=city_service,
        satisfaction=pooled_tally([f.satisfaction for f in figures]),
        consent=pooled_consent([f.consent for f in figures]),
    )
    return CityReport(city, first, last, lines, total)


def competition_ranks(values: dict[str, float | None], *, highest_first: bool) -> dict[str, int]:
    """Standard competition ranking (1, 1, 3) of the keys with a value; equal values share the
    best rank of their group."""
    present = [value for value in values.values() if value is not None]
    return {
        key: 1 + sum((other > value) if highest_first else (other < value) for other in present)
        for key, value in values.items()
        if value is not None
    }


def pooled_consent(tallies: list[ConsentTally]) -> ConsentTally:
    """Several offices' consent totals as one: counts added, the rate over all visits asked."""
    visits = sum(t.visits for t in tallies)
    consented = sum(t.consented for t in tallies)
    return ConsentTally(
        visits=visits,
        yes=sum(t.yes for t in tallies),
        no=sum(t.no for t in tallies),
        withdrawn=sum(t.withdrawn for t in tallies),
        consented=consented,
        consent_rate=percent(consented, visits) if visits else None,
        without_ticket=sum(t.without_ticket for t in tallies),
    )


CSV_COLUMNS = (
    "office",
    "name",
    "satisfaction_rank",
    "ballots",
    "not_rated",
    "satisfaction_rate",
    "wait_rank",
    *SERVICE_COLUMNS,
    "visits_asked",
    "consented",
    "consent_rate",
)


def city_csv(report: CityReport) -> str:
    """CSV_COLUMNS, one row per office (by code), then `total` (no name, no ranks); an absent
    rank, duration or rate is empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.offices:
        writer.writerow(
            _cells(
                line.office,
                line.name,
                line.satisfaction_rank,
                line.wait_rank,
                CityTotal(line.service, line.satisfaction, line.consent),
            )
        )
    writer.writerow(_cells(TOTAL_KEY, None, None, None, report.total))
    return out.getvalue()


def _cells(
    office: str,
    name: str | None,
    satisfaction_rank: int | None,
    wait_rank: int | None,
    figures: CityTotal,
) -> list[str]:
    values: list[str | int | float | None] = [
        office,
        name,
        satisfaction_rank,
        figures.satisfaction.ballots,
        figures.satisfaction.not_rated,
        figures.satisfaction.satisfaction_rate,
        wait_rank,
    ]
    consent = [figures.consent.visits, figures.consent.consented, figures.consent.consent_rate]
    return [
        *(csv_cell(value) for value in values),
        *service_cells(figures.service),
        *(csv_cell(value) for value in consent),
    ]
