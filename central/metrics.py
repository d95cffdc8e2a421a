"""The fleet as Prometheus metrics (text exposition format 0.0.4), one sample per device and
gauge, labelled office, device and role.

Written here rather than with prometheus_client: the gauges are computed from the database at
each scrape (no process-wide registry to keep), and the format of a few gauges is small. Label
values are escaped as the format says (backslash, double quote, line feed); every gauge has its
HELP and TYPE lines, once, before its samples. A device that never reported has only
`kiosk_device_up` (and `kiosk_device_info`); a gauge its report does not give (no printer, no
clock measured) has no sample for it, so an alert never fires on a value that is not known.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from central.fleet import Fleet, FleetDevice

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PRINTER_CANNOT_PRINT = ("paper_out", "cover_open", "offline", "disconnected")


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    value: Callable[[FleetDevice, datetime], float | None]


def _report(device: FleetDevice) -> dict[str, Any] | None:
    return device.report.report if device.report else None


def _printer(state: str | tuple[str, ...]) -> Callable[[FleetDevice, datetime], float | None]:
    states = (state,) if isinstance(state, str) else state

    def value(device: FleetDevice, _now: datetime) -> float | None:
        report = _report(device)
        if report is None or report.get("printer") is None:
            return None
        return 1.0 if report["printer"] in states else 0.0

    return value


def _last_seen_age(device: FleetDevice, now: datetime) -> float | None:
    seen = device.last_seen_at
    return None if seen is None else max(0.0, (now - seen).total_seconds())


def _outbox_oldest_age(device: FleetDevice, _now: datetime) -> float | None:
    if device.report is None:
        return None
    age = device.report.outbox_oldest_age()
    return 0.0 if age is None else age.total_seconds()


def _field(*path: str) -> Callable[[FleetDevice, datetime], float | None]:
    def value(device: FleetDevice, _now: datetime) -> float | None:
        found: Any = _report(device)
        for key in path:
            if not isinstance(found, dict):
                return None
            found = found.get(key)
        return None if found is None else float(found)

    return value


def _scanner_connected(device: FleetDevice, _now: datetime) -> float | None:
    report = _report(device)
    if report is None or report.get("scanner") not in ("connected", "disconnected"):
        return None
    return 1.0 if report["scanner"] == "connected" else 0.0


def _storage_fault(device: FleetDevice, _now: datetime) -> float | None:
    report = _report(device)
    return None if report is None else (0.0 if report["storage"] == "ok" else 1.0)


GAUGES = (
    Gauge(
        "kiosk_device_up",
        "1 while the device reports, 0 when it has been silent for longer than silent_after.",
        lambda device, _now: 0.0 if device.silent else 1.0,
    ),
    Gauge(
        "kiosk_device_last_seen_age_seconds",
        "Seconds since the server last heard from the device.",
        _last_seen_age,
    ),
    Gauge("kiosk_printer_paper_out", "1 when the printer is out of paper.", _printer("paper_out")),
    Gauge(
        "kiosk_printer_paper_near_end",
        "1 when the printer's paper is near its end (it still prints).",
        _printer("paper_near_end"),
    ),
    Gauge(
        "kiosk_printer_cannot_print",
        "1 when the printer cannot print (out of paper, cover open, offline, not connected).",
        _printer(PRINTER_CANNOT_PRINT),
    ),
    Gauge(
        "kiosk_scanner_connected",
        "1 when the serial QR scanner is connected, 0 when it is missing.",
        _scanner_connected,
    ),
    Gauge(
        "kiosk_outbox_pending",
        "Events waiting on the device to be sent to the server.",
        _field("outbox", "pending"),
    ),
    Gauge(
        "kiosk_outbox_quarantined",
        "Events the server refused, kept on the device.",
        _field("outbox", "quarantined"),
    ),
    Gauge(
        "kiosk_outbox_oldest_age_seconds",
        "Age of the oldest event waiting to be sent, at the device's last report (0: none).",
        _outbox_oldest_age,
    ),
    Gauge(
        "kiosk_clock_offset_seconds",
        "Seconds to add to the device's clock to get the server's.",
        _field("clock_offset_seconds"),
    ),
    Gauge(
        "kiosk_disk_free_bytes",
        "Free space of the device's data folder.",
        _field("disk", "free_bytes"),
    ),
    Gauge(
        "kiosk_storage_fault",
        "1 when the device's storage is read-only, full or its database damaged.",
        _storage_fault,
    ),
)


def metrics_text(fleet: Fleet) -> str:
    """The exposition of every gauge for every device of `fleet`."""
    lines = [
        "# HELP kiosk_device_info The device's role and software version (always 1).",
        "# TYPE kiosk_device_info gauge",
    ]
    for device in fleet.devices:
        labels = _labels(device, version=device.version or "")
        lines.append(f"kiosk_device_info{{{labels}}} 1")
    for gauge in GAUGES:
        lines += [f"# HELP {gauge.name} {gauge.help}", f"# TYPE {gauge.name} gauge"]
        for device in fleet.devices:
            value = gauge.value(device, fleet.generated_at)
            if value is not None:
                lines.append(f"{gauge.name}{{{_labels(device)}}} {_number(value)}")
    return "\n".join(lines) + "\n"


def _labels(device: FleetDevice, **extra: str) -> str:
    pairs = {"office": device.office, "device": device.device_id, "role": device.role, **extra}
    return ",".join(f'{name}="{_escape(value)}"' for name, value in pairs.items())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)
