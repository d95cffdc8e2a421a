"""Request bodies are parsed as strict JSON: UTF-8, no NaN or Infinity, bounded nesting.

FastAPI answers 400 when a body is not UTF-8 or nests too deep for the parser, and Python's
parser accepts NaN and Infinity, which are not JSON. Here all of these are a JSON decode error,
so the client gets the contract's 422 for a body that is not JSON.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from fastapi import Request, Response
from fastapi.routing import APIRoute


def _not_json(constant: str) -> NoReturn:
    raise ValueError(f"{constant} is not JSON")


class StrictJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = json.loads(body.decode("utf-8"), parse_constant=_not_json)
            except (UnicodeDecodeError, RecursionError, ValueError) as error:
                raise json.JSONDecodeError("not JSON", "", 0) from error
        return self._json


class StrictJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
