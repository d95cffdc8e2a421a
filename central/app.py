"""The FastAPI application of the central server."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from central.body_limit import MIB, BodyLimit
from central.context import DEFAULT_TIMEZONE, Central
from central.db import Database
from central.errors import install_error_handlers
from central.housekeeping import sweep_forever
from central.routes import router
from kiosk import __version__

DESCRIPTION = (
    "The contract between the kiosk devices of a ward one-stop office and the central server: "
    "enrolment, event ingest, the live queue, call-next and the satisfaction report."
)


def create_app(database_url: str, *, timezone: str = DEFAULT_TIMEZONE) -> FastAPI:
    """The API on a database URL (`sqlite:///central.db` or `postgresql+psycopg://…`).

    The schema is created if missing. `timezone` is the offices' zone: it decides which
    tickets are today's.
    """
    zone = ZoneInfo(timezone)
    db = Database(database_url)
    db.create_schema()
    central = Central(db, zone)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        sweeper = asyncio.create_task(sweep_forever(central))
        try:
            yield
        finally:
            sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sweeper
            db.dispose()

    app = FastAPI(
        title="Kiosk central API", version=__version__, description=DESCRIPTION, lifespan=lifespan
    )
    app.state.central = central
    app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=MIB)
    return app
