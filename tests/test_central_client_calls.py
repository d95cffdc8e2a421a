"""CentralClient.calls and .hall_key against a real HTTP server on 127.0.0.1 that answers what
a broken or foreign central server might: anything not the contract is CentralUnavailable, and
a long-poll's request may take its wait plus the client's timeout."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from kiosk.central_client import CentralClient, CentralNoAnswer, CentralUnavailable


class Canned:
    """Answers every GET with the body and delay set for it; keeps the query strings asked."""

    def __init__(self) -> None:
        self.body: Any = {}
        self.delay = 0.0
        self.paths: list[str] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                canned.paths.append(self.path)
                threading.Event().wait(canned.delay)
                data = json.dumps(canned.body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def canned() -> Iterator[Canned]:
    server = Canned()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_the_feed_is_asked_with_after_and_wait_and_may_take_longer_than_the_timeout(
    canned: Canned,
) -> None:
    canned.body = {"calls": [{"seq": 4, "key": "call:x"}], "last_seq": 4, "server_time": "t"}
    canned.delay = 0.6  # the server answers the long-poll after a while
    client = CentralClient(canned.url, token="t", timeout=0.5)
    try:
        assert client.calls("00637", 3, 1)["last_seq"] == 4
        assert client.calls("00637", None, 25)["calls"][0]["seq"] == 4
    finally:
        client.close()
    assert canned.paths == [
        "/api/v1/offices/00637/calls?wait=1&after=3",
        "/api/v1/offices/00637/calls?wait=25",
    ]


def test_no_answer_within_wait_and_timeout_is_no_answer(canned: Canned) -> None:
    canned.body = {"calls": [], "last_seq": 0, "server_time": "t"}
    canned.delay = 2.0
    client = CentralClient(canned.url, token="t", timeout=0.5)
    try:
        with pytest.raises(CentralNoAnswer):
            client.calls("00637", 0, 0.5)
    finally:
        client.close()


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"calls": [], "last_seq": "4"},
        {"calls": [], "last_seq": True},
        {"calls": {}, "last_seq": 4},
        {"calls": [{"seq": "1"}], "last_seq": 4},
        {"calls": ["x"], "last_seq": 4},
    ],
)
def test_a_feed_answer_not_of_the_contract_is_unavailable(canned: Canned, body: Any) -> None:
    canned.body = body
    client = CentralClient(canned.url, token="t")
    try:
        with pytest.raises(CentralUnavailable):
            client.calls("00637", 0, 0)
    finally:
        client.close()


@pytest.mark.parametrize(
    "body",
    [
        {"key_id": "", "key": "A" * 43},
        {"key_id": "k", "key": "A" * 42},  # 31 bytes
        {"key_id": "k", "key": "not base64 !"},
        {"key_id": "k"},
        ["k", "A" * 43],
    ],
)
def test_a_hall_key_not_of_32_bytes_is_unavailable(canned: Canned, body: Any) -> None:
    canned.body = body
    client = CentralClient(canned.url, token="t")
    try:
        with pytest.raises(CentralUnavailable):
            client.hall_key("00637")
    finally:
        client.close()


def test_a_hall_key_of_32_bytes_is_read(canned: Canned) -> None:
    canned.body = {"key_id": "k1", "key": "_" * 43}  # base64url, no padding
    client = CentralClient(canned.url, token="t")
    try:
        assert client.hall_key("00637") == ("k1", b"\xff" * 32)
    finally:
        client.close()
