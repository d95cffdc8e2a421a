"""Every error answer is `{"detail": "one plain sentence"}` (docs/central-api.md)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

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


async def _unexpected(_request: Request, _error: Exception) -> JSONResponse:
    # The server logs the traceback itself; the answer says nothing about the internals.
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(DatabaseBusy, _database_busy)
    app.add_exception_handler(Exception, _unexpected)
