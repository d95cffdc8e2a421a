"""What every request handler needs: the database, the office clock and the fleet's rules.

Each office's day follows the shared definition (common.office_clock): the office's time zone and
`day_starts_at`, from the `offices` table (`kiosk-central office`), else the server's defaults
(`serve --timezone --day-starts-at`). A rule is cached for a short time so a change made with
the command line reaches a running server within `RULE_CACHE_SECONDS`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime

from fastapi import Request

from central.call_wakeups import CallWakeups
from central.day_keys import DayKeys
from central.db import Database
from central.fleet import FleetRules
from central.offices import office_rule
from common.office_clock import OfficeDayRule, aware_now, default_rule

RULE_CACHE_SECONDS = 30.0


class Central:
    def __init__(
        self,
        db: Database,
        keys: DayKeys,
        default: OfficeDayRule | None = None,
        clock: Callable[[], datetime] = aware_now,
        fleet_rules: FleetRules | None = None,
    ) -> None:
        self.db = db
        self.fleet_rules = fleet_rules or FleetRules()
        self.keys = keys
        self.default_rule = default or default_rule()
        self.clock = clock
        self.wakeups = CallWakeups()
        self._rules: dict[str, tuple[float, OfficeDayRule]] = {}
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self.clock()

    def rule(self, office: str) -> OfficeDayRule:
        """The office day rule of `office` (cached for RULE_CACHE_SECONDS)."""
        with self._lock:
            cached = self._rules.get(office)
        if cached is not None and time.monotonic() - cached[0] < RULE_CACHE_SECONDS:
            return cached[1]
        rule = office_rule(self.db, office) or self.default_rule
        with self._lock:
            self._rules[office] = (time.monotonic(), rule)
        return rule

    def office_day(self, office: str, moment: datetime) -> date:
        """The office day of `moment` at `office`."""
        return self.rule(office).day_of(moment)


async def get_central(request: Request) -> Central:
    return request.app.state.central
