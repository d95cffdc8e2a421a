"""The fleet: every enrolled device of an office (or of every office), its latest health report,
and what is wrong with it in words (Vietnamese for the ward's technicians, English beside).

A device is *silent* when the server has not heard from it for `silent_after` (from its
enrolment, when it never reported). The other problems come from its last report; their limits
are `FleetRules`. The fleet page (central.fleet_page), its JSON and /metrics (central.metrics)
all read this one view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select

from central.db import Database
from central.enrolment import DEVICE_ROLES
from central.health_reports import StoredReport, latest_reports
from central.schema import devices

MIB = 1024 * 1024
SILENT_AFTER = timedelta(minutes=10)  # the default of `kiosk-central serve --silent-after`


@dataclass(frozen=True)
class FleetRules:
    """When a device counts as silent, and the limits of what its report says."""

    silent_after: timedelta = SILENT_AFTER
    backlog_after: timedelta = timedelta(minutes=10)  # an unsent event older than this
    clock_off_seconds: float = 120.0  # the devices' [central] clock_margin
    disk_low_bytes: int = 200 * MIB


@dataclass(frozen=True)
class Problem:
    code: str
    vi: str
    en: str


@dataclass(frozen=True)
class FleetDevice:
    office: str
    device_id: str
    role: str
    counter: int | None
    enrolled_at: datetime
    report: StoredReport | None
    silent: bool
    problems: tuple[Problem, ...]

    @property
    def version(self) -> str | None:
        return self.report.version if self.report else None

    @property
    def last_seen_at(self) -> datetime | None:
        return self.report.last_seen_at if self.report else None

    @property
    def last_error(self) -> dict[str, Any] | None:
        return self.report.report.get("last_error") if self.report else None


@dataclass(frozen=True)
class Fleet:
    generated_at: datetime
    office: str | None  # None: every office
    rules: FleetRules
    devices: tuple[FleetDevice, ...]


PRINTER_PROBLEMS = {
    "paper_out": Problem("printer_paper_out", "Máy in hết giấy", "Printer out of paper"),
    "paper_near_end": Problem(
        "printer_paper_near_end", "Máy in sắp hết giấy", "Printer paper near its end"
    ),
    "cover_open": Problem("printer_cover_open", "Nắp máy in đang mở", "Printer cover open"),
    "offline": Problem("printer_offline", "Máy in không phản hồi", "Printer not responding"),
    "disconnected": Problem("printer_disconnected", "Máy in chưa kết nối", "Printer not connected"),
}
STORAGE_PROBLEMS = {
    "read_only": Problem(
        "storage_read_only", "Thẻ nhớ chỉ đọc, không ghi được", "Storage is read-only"
    ),
    "full": Problem("storage_full", "Hết dung lượng lưu trữ", "Storage full"),
    "database_error": Problem(
        "storage_database", "Cơ sở dữ liệu trên máy bị lỗi", "Device database fault"
    ),
}
SCANNER_MISSING = Problem("scanner_missing", "Không thấy máy quét", "Scanner missing")
NEVER_REPORTED = Problem("never_reported", "Chưa từng báo cáo", "Never reported")


def fleet_view(db: Database, office: str | None, now: datetime, rules: FleetRules) -> Fleet:
    """Every device with a live token in `office` (None: in every office), by office, role and
    id, with its last report and problems as of `now` (the server's clock)."""
    query = select(
        devices.c.office,
        devices.c.device_id,
        devices.c.role,
        devices.c.counter,
        devices.c.enrolled_at,
    ).where(devices.c.revoked_at.is_(None), devices.c.role.in_(DEVICE_ROLES))
    if office is not None:
        query = query.where(devices.c.office == office)
    query = query.order_by(devices.c.office, devices.c.role, devices.c.device_id)

    def enrolled(conn: Connection) -> list[Any]:
        return conn.execute(query).all()

    reports = latest_reports(db, office)
    listed = []
    for row in db.read(enrolled):
        report = reports.get((row.office, row.device_id))
        heard = report.last_seen_at if report else row.enrolled_at
        silent = now - heard > rules.silent_after
        problems = _problems(report, now, rules, silent)
        listed.append(
            FleetDevice(
                row.office,
                row.device_id,
                row.role,
                row.counter,
                row.enrolled_at,
                report,
                silent,
                problems,
            )
        )
    return Fleet(now, office, rules, tuple(listed))


def _problems(
    stored: StoredReport | None, now: datetime, rules: FleetRules, silent: bool
) -> tuple[Problem, ...]:
    out: list[Problem] = []
    if stored is None:
        return (NEVER_REPORTED,)
    if silent:
        minutes = _minutes(now - stored.last_seen_at)
        out.append(
            Problem("silent", f"Mất liên lạc {minutes} phút", f"Not heard from for {minutes} min")
        )
    report = stored.report
    if report.get("printer") in PRINTER_PROBLEMS:
        out.append(PRINTER_PROBLEMS[report["printer"]])
    if report.get("scanner") == "disconnected":
        out.append(SCANNER_MISSING)
    if report.get("storage") in STORAGE_PROBLEMS:
        out.append(STORAGE_PROBLEMS[report["storage"]])
    out += _outbox_problems(stored, rules)
    offset = report.get("clock_offset_seconds")
    if offset is not None and abs(offset) > rules.clock_off_seconds:
        minutes = max(1, round(abs(offset) / 60))
        way_vi, way_en = ("chậm", "slow") if offset > 0 else ("nhanh", "fast")
        out.append(
            Problem(
                "clock_off",
                f"Đồng hồ {way_vi} {minutes} phút",
                f"Clock {minutes} min {way_en}",
            )
        )
    disk = report.get("disk")
    if (
        disk is not None
        and report.get("storage") != "full"
        and disk["free_bytes"] < rules.disk_low_bytes
    ):
        free = disk["free_bytes"] // MIB
        out.append(
            Problem(
                "disk_low", f"Sắp hết dung lượng ({free} MB trống)", f"Disk low ({free} MB free)"
            )
        )
    return tuple(out)


def _outbox_problems(stored: StoredReport, rules: FleetRules) -> list[Problem]:
    out = []
    outbox = stored.report["outbox"]
    age = stored.outbox_oldest_age()
    if outbox["pending"] and age is not None and age > rules.backlog_after:
        count, minutes = outbox["pending"], _minutes(age)
        out.append(
            Problem(
                "outbox_backlog",
                f"{count} bản ghi chưa gửi được, cũ nhất {minutes} phút",
                f"{count} records not sent, the oldest {minutes} min old",
            )
        )
    if outbox["quarantined"]:
        count = outbox["quarantined"]
        out.append(
            Problem(
                "outbox_quarantined",
                f"{count} bản ghi bị máy chủ từ chối",
                f"{count} records refused by the server",
            )
        )
    return out


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)
