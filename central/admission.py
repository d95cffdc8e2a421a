"""Load shedding: the server takes on only as many event batches as it can answer in time.

After a city-wide outage every device's outbox drains at once. Taking every batch in would
queue them all behind the database, each answered long after the device's 10 s timeout, so
each would be sent and processed again. Instead at most `limit` batches are processed at once;
a batch waits at most `max_wait` seconds (and behind at most `queue` others) for its turn, else
it is answered 503 with a Retry-After spread over a few seconds, which the devices obey. The
batch is not lost: its device keeps it and sends it again.
"""

from __future__ import annotations

import asyncio
import logging
import random

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

EVENTS_PATH = "/api/v1/events"
RETRY_AFTER_RANGE = (2, 10)


class Admission:
    def __init__(
        self, app: ASGIApp, *, limit: int, max_wait: float = 1.5, queue: int | None = None
    ) -> None:
        """`limit` ≤ 0 turns shedding off (every batch is taken in)."""
        self.app = app
        self.limit = limit
        self.max_wait = max_wait
        self.queue = 4 * limit if queue is None else queue
        self._slots: asyncio.Semaphore | None = None
        self._waiting = 0
        self.shed = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limit <= 0
            or scope["type"] != "http"
            or scope.get("method") != "POST"
            or scope.get("path") != EVENTS_PATH
        ):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.limit)
        if self._waiting >= self.queue:
            await self._refuse(scope, receive, send)
            return
        self._waiting += 1
        try:
            await asyncio.wait_for(self._slots.acquire(), self.max_wait)
        except TimeoutError:
            await self._refuse(scope, receive, send)
            return
        finally:
            self._waiting -= 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.shed += 1
        if self.shed % 1000 == 1:
            log.warning("overloaded: batches answered 503 so far: %d", self.shed)
        response = JSONResponse(
            {"detail": "the server is busy; send this batch again after Retry-After seconds"},
            status_code=503,
            headers={"Retry-After": str(random.randint(*RETRY_AFTER_RANGE))},
        )
        await response(scope, receive, send)
