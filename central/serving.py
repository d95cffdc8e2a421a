"""Uvicorn for the central app, with a shutdown that does not wait out the long-polls.

Uvicorn's graceful shutdown waits for every request in progress before the app hears of it
(its lifespan shutdown comes last), so open calls long-polls would hold a stopping server for
up to their 30 s. This server first answers them (central.call_wakeups.close), then shuts
down as uvicorn does.
"""

from __future__ import annotations

import contextlib
import socket

import uvicorn
from fastapi import FastAPI

from central.context import Central


class CentralUvicorn(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._central: Central = app.state.central

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._central.wakeups.close()
        await super().shutdown(sockets)


def serve(
    app: FastAPI,
    *,
    host: str,
    port: int,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
    log_level: str = "info",
) -> bool:
    """Serve until SIGINT/SIGTERM, as uvicorn.run(app, ...); False when it did not start."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        log_level=log_level,
    )
    server = CentralUvicorn(config, app)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return server.started
