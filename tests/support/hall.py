"""The office network of the hall tests: a hall key, a call, the [office_network] settings of a
listener on 127.0.0.1, the calls it received, and a tiny central server that serves only the
hall key (a real HTTP server on 127.0.0.1)."""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kiosk.config import Config, load_config
from kiosk.config.office_network import Target
from kiosk.hall_calls import HallCall, call_key
from kiosk.hall_key import HallKey, HallKeyStore, store_hall_key
from tests.support.device import OFFICE

KEY = HallKey("k1", bytes(range(32)))
OTHER_KEY = HallKey("k1", bytes(range(1, 33)))  # the same id, another key: a forger's guess
ARRIVES_WITHIN_S = 2.0  # what the issue asks of a call over the office network


def a_call(occurred_at: datetime, *, label: str = "1002", counter: int = 2) -> HallCall:
    return HallCall(
        key=call_key("5f0c6d2e-1d7a-4a55-9a43-2b1f6f6c1a11"),
        kind="call",
        office=OFFICE,
        day=occurred_at.date(),
        label=label,
        counter=counter,
        field_id="ho-tich",
        occurred_at=occurred_at,
    )


@functools.cache
def _shipped() -> Config:
    with tempfile.TemporaryDirectory() as empty:  # no overrides
        return load_config(Path(empty))


def hall_config(*, send_to: tuple[Target, ...] = (), base: Config | None = None) -> Config:
    """A device's configuration (the shipped one, or `base`) listening on a free port of
    127.0.0.1 (port 0: chosen when bound) and sending to `send_to`."""
    config = base or _shipped()
    network = dataclasses.replace(
        config.office_network, port=0, send_to=send_to, listen="127.0.0.1"
    )
    return dataclasses.replace(config, office_network=network)


def key_store(data_dir: Path, key: HallKey | None = KEY) -> HallKeyStore:
    """A device's key store with `key` cached (fetched before; None: never), no server."""
    if key is not None:
        store_hall_key(data_dir, key)
    return HallKeyStore(data_dir, OFFICE, None)


class Received:
    """The calls a listener handed over, in order."""

    def __init__(self) -> None:
        self._calls: queue.Queue[HallCall] = queue.Queue()

    def __call__(self, call: HallCall) -> None:
        self._calls.put(call)

    def next(self, within: float = ARRIVES_WITHIN_S) -> HallCall:
        return self._calls.get(timeout=within)

    def empty(self) -> bool:
        return self._calls.empty()


def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """For asynchronous delivery: poll `condition` until it holds, failing after `within` s."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.02)


class HallKeyServer:
    """Serves GET /api/v1/offices/{office}/hall-key with the key it holds now (`key`; None:
    503), to the bearer `token` only; counts the requests."""

    def __init__(self, key: HallKey | None, token: str = "device-token") -> None:
        self.key = key
        self.token = token
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    self._answer(401, {"detail": "unknown token"})
                elif self.path != f"/api/v1/offices/{OFFICE}/hall-key":
                    self._answer(404, {"detail": "not found"})
                elif server.key is None:
                    self._answer(503, {"detail": "no key"})
                else:
                    encoded = base64.urlsafe_b64encode(server.key.key).rstrip(b"=").decode()
                    self._answer(200, {"key_id": server.key.key_id, "key": encoded})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: object) -> None:
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


@contextmanager
def hall_key_server(key: HallKey | None) -> Iterator[HallKeyServer]:
    server = HallKeyServer(key)
    server.start()
    try:
        yield server
    finally:
        server.stop()
