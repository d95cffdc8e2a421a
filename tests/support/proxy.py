"""A fault-injecting HTTP proxy in front of the real central server, for the sync tests."""

from __future__ import annotations

import email.utils
import http.client
import json
import socket
import struct
import threading
import time
import urllib.parse
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# One request's fault, by name: answered without reaching the server, or after the server has
# stored the batch (the device must send it again and be told "duplicate").
BEFORE_SERVER = ("500", "429", "503-date", "reset")
AFTER_SERVER = ("hang", "garbage", "wrong-results", "cut")


class FaultProxy:
    """A real HTTP proxy on 127.0.0.1 in front of the real central server. Each POST to
    /api/v1/events takes the next queued fault (none: passed through faithfully)."""

    def __init__(self, upstream: str, *, hang_seconds: float) -> None:
        parts = urllib.parse.urlsplit(upstream)
        self._upstream = (parts.hostname, parts.port)
        self._hang_seconds = hang_seconds
        self._faults: list[str] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.requests: list[tuple[float, str | None]] = []  # (monotonic time, fault)
        self.verdicts: Counter[str] = Counter()  # per-event statuses relayed to the device
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()

    def inject(self, *faults: str) -> None:
        with self._lock:
            self._faults += faults

    def faults_left(self) -> int:
        with self._lock:
            return len(self._faults)

    def _next_fault(self) -> str | None:
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
            self.requests.append((time.monotonic(), fault))
            return fault

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes | None):
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                self._relay(*proxy._forward("GET", self.path, self._headers(), None))

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                fault = proxy._next_fault() if self.path == "/api/v1/events" else None
                if fault == "reset":
                    linger_zero = struct.pack("ii", 1, 0)  # close() sends a TCP reset
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_zero)
                    self.close_connection = True
                    return
                if fault == "500":
                    return self._answer(500, {"detail": "injected failure"})
                if fault == "429":
                    return self._answer(429, {"detail": "slow down"}, {"Retry-After": "1"})
                if fault == "503-date":
                    later = datetime.now(UTC) + timedelta(seconds=2)
                    date = email.utils.format_datetime(later, usegmt=True)
                    return self._answer(503, {"detail": "busy"}, {"Retry-After": date})
                status, content_type, payload = proxy._forward(
                    "POST", self.path, self._headers(), body
                )
                if fault == "hang":
                    proxy._closing.wait(proxy._hang_seconds)
                    self.close_connection = True
                elif fault == "garbage":
                    self._relay(200, "application/json", b"<html>502 Bad Gateway</html>")
                elif fault == "wrong-results":
                    self._answer(200, {"results": [{"id": "x", "status": "accepted"}]})
                elif fault == "cut":
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload[: len(payload) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                else:
                    if self.path == "/api/v1/events" and status == 200:
                        results = json.loads(payload)["results"]
                        proxy.verdicts.update(result["status"] for result in results)
                    self._relay(status, content_type, payload)

            def _headers(self) -> dict[str, str]:
                names = ("Authorization", "Content-Type")
                return {name: self.headers[name] for name in names if name in self.headers}

            def _answer(self, status: int, body: dict, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                self._relay(status, "application/json", payload, headers or {})

            def _relay(
                self, status: int, content_type: str, payload: bytes, headers: dict | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

        return Handler
