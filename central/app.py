"""The FastAPI application of the central server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from central.admission import Admission
from central.body_limit import MIB, BodyLimit
from central.call_watch import watch_calls
from central.city_routes import router as city_router
from central.context import Central
from central.day_keys import DayKeys, default_key_dir
from central.db import POOL_SIZE, Database
from central.desk_routes import api as desk_api
from central.desk_routes import pages as desk_pages
from central.errors import install_error_handlers
from central.fleet import SILENT_AFTER, FleetRules
from central.fleet_routes import metrics_router
from central.fleet_routes import router as fleet_router
from central.housekeeping import sweep_forever
from central.routes import router
from common.office_clock import (
    DEFAULT_DAY_STARTS_AT,
    DEFAULT_TIMEZONE,
    OfficeDayRule,
    aware_now,
)
from common.version import __version__

DESCRIPTION = (
    "The contract between the kiosk devices of a ward one-stop office and the central server: "
    "enrolment, event ingest, the live queue, call-next, the hall displays' calls feed, the"
    " satisfaction report, and the devices' health (the fleet page and /metrics)."
)


def create_app(
    database_url: str,
    *,
    timezone: str = DEFAULT_TIMEZONE,
    day_starts_at: time = DEFAULT_DAY_STARTS_AT,
    clock: Callable[[], datetime] = aware_now,
    pool_size: int = POOL_SIZE,
    max_batches: int | None = None,
    key_dir: Path | None = None,
    silent_after: timedelta = SILENT_AFTER,
) -> FastAPI:
    """The API on a database URL (`sqlite:///central.db` or `postgresql+psycopg://…`).

    The schema is created in a new database; one not at the newest revision is refused
    (central.migrations.SchemaError). `timezone` and `day_starts_at` define the office day of
    an office the `offices` table does not name (common.office_clock); `clock` is the server's
    time (tests inject theirs). `pool_size` is the database connections this process keeps;
    `max_batches` the event batches it processes at once before it answers 503 (default the
    pool size; 0 takes every batch in). `key_dir` holds the identities' day keys (default
    beside an SQLite file, else `central-keys`; central.day_keys). A device not heard from for
    `silent_after` is silent on the fleet page and in /metrics.
    """
    db = Database(database_url, pool_size=pool_size)
    db.create_schema()
    keys = DayKeys(key_dir or default_key_dir(database_url))
    rule = OfficeDayRule(ZoneInfo(timezone), day_starts_at)
    central = Central(db, keys, rule, clock, FleetRules(silent_after=silent_after))

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        central.wakeups.bind(asyncio.get_running_loop())
        tasks = [
            asyncio.create_task(sweep_forever(central)),
            asyncio.create_task(watch_calls(db, central.wakeups)),
        ]
        try:
            yield
        finally:
            central.wakeups.close()
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            db.dispose()

    app = FastAPI(
        title="Kiosk central API", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.central = central
    app.include_router(router)
    app.include_router(city_router)
    app.include_router(fleet_router)
    app.include_router(metrics_router)
    app.include_router(desk_api)
    app.include_router(desk_pages)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=MIB)
    limit = pool_size if max_batches is None else max_batches
    app.add_middleware(Admission, limit=limit)
    return app
