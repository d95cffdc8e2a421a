"""What every request handler needs: the database and the office clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from fastapi import Request

from central.db import Database

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Central:
    db: Database
    timezone: ZoneInfo
    clock: Callable[[], datetime] = utc_now

    def now(self) -> datetime:
        return self.clock()

    def office_day(self, moment: datetime) -> date:
        """The office day of a moment: tickets and reports are per local calendar day."""
        return moment.astimezone(self.timezone).date()


async def get_central(request: Request) -> Central:
    return request.app.state.central
