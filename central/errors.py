"""Every error answer is `{"detail": "one plain sentence"}` (docs/central-api.md)."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.db import DatabaseBusy
from central.errortext import first_problem

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 1


async def _invalid_request(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    detail = f"invalid request: {first_problem(error.errors())}"
    return JSONResponse({"detail": detail}, status_code=422)


async def _database_busy(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(
        {"detail": "the database is busy or unreachable; retry later"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class ScrubbedErrors:
    """An unexpected exception becomes a 500 and one log line naming its type and where it
    came from, never its message or traceback: a database error's text may quote the data it
    failed on (a citizen's ID number), and the log is read by many."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception as error:
            log.error(
                "internal error in %s %s: %s",
                scope.get("method"),
                scope.get("path"),
                describe(error),
            )
            if not started:
                response = JSONResponse({"detail": "internal server error"}, status_code=500)
                await response(scope, receive, send)


def describe(error: BaseException) -> str:
    """The error's type, its origin's type and SQLSTATE: no message text, no values."""
    parts = [type(error).__name__]
    origin = getattr(error, "orig", None)
    if origin is not None:
        parts.append(type(origin).__name__)
        sqlstate = getattr(origin, "sqlstate", None)
        if isinstance(sqlstate, str):
            parts.append(f"SQLSTATE {sqlstate}")
    where = traceback.extract_tb(error.__traceback__)
    if where:
        frame = where[-1]
        parts.append(f"at {Path(frame.filename).name}:{frame.lineno}")
    return " ".join(parts)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DatabaseBusy, _database_busy)
    app.add_middleware(ScrubbedErrors)
