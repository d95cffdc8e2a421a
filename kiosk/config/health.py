"""kiosk.toml [health]: how often the device tells the central server how it is
(kiosk.device_health)."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.config.reader import Table


@dataclass(frozen=True)
class HealthConfig:
    # Seconds between two reports while nothing that matters changes.
    report_interval: float
    # The shortest time between two reports: a change (the printer runs out of paper) is
    # reported at once, changes within this time after a report go together in the next one.
    change_gap: float


def parse_health(t: Table) -> HealthConfig:
    interval = t.seconds("report_interval", 10, 3600)
    gap = t.seconds("change_gap", 0.1, 600)
    if gap > interval:
        t.fail(
            "change_gap",
            f"must not be longer than report_interval ({interval:g})",
            related=("report_interval",),
        )
    t.finish()
    return HealthConfig(interval, gap)
