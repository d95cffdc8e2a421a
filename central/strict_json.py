"""Request bodies are parsed as strict JSON: UTF-8, no NaN or Infinity, bounded nesting.

FastAPI answers 400 when a body is not UTF-8 or nests too deep for the parser, and Python's
parser accepts NaN and Infinity, which are not JSON. Here all of these are a JSON decode error,
so the client gets the contract's 422 for a body that is not JSON.

A number that is valid JSON but no database can store (`1e400` reads as infinity; an integer
of hundreds of digits) becomes an `OutOfRange` marker instead, so that only the event holding
it is rejected (jsonsafe.json_problem) and the rest of the batch goes through.
"""

from __future__ import annotations

import json
import math
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute

MAX_INTEGER_DIGITS = 20  # beyond a 64-bit integer: no column or JSON number we keep is larger


class OutOfRange:
    """A JSON number that cannot be stored: infinite as a float, or too long an integer."""

    def __repr__(self) -> str:
        return "OutOfRange()"


OUT_OF_RANGE = OutOfRange()


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not JSON")


def _float(text: str) -> float | OutOfRange:
    value = float(text)
    return value if math.isfinite(value) else OUT_OF_RANGE


def _int(text: str) -> int | OutOfRange:
    digits = text.lstrip("-")
    return int(text) if len(digits) <= MAX_INTEGER_DIGITS else OUT_OF_RANGE


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(
                    body.decode("utf-8"),
                    parse_constant=_not_json,
                    parse_float=_float,
                    parse_int=_int,
                )
            except (UnicodeDecodeError, RecursionError, ValueError) as error:
                raise json.JSONDecodeError("not JSON", "", 0) from error
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
