"""A hall display's view of the calls feed for the tests: a long-poll waiting in a thread, and a
reader that follows the feed the way a display does (after=last_seq, again and again)."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

# The long-poll registers with the server before the test makes its call (a test that calls
# first would get the call at once, and not test the wake-up): a moment to settle, not a timing
# assertion.
SETTLE_S = 0.5


def calls_path(office: str) -> str:
    return f"/api/v1/offices/{office}/calls"


class LongPoll:
    """GET .../calls?after=N&wait=W in a thread of its own, from the moment it is made."""

    def __init__(self, base_url: str, token: str, office: str, after: int, wait: float = 25):
        self.answered_at: float | None = None
        self.response: httpx.Response | None = None
        self.error: Exception | None = None
        self._thread = threading.Thread(
            target=self._run, args=(base_url, token, office, after, wait), daemon=True
        )
        self._thread.start()
        time.sleep(SETTLE_S)

    def _run(self, base_url: str, token: str, office: str, after: int, wait: float) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            self.response = httpx.get(
                base_url + calls_path(office),
                params={"after": after, "wait": wait},
                headers=headers,
                timeout=wait + 30,
            )
        except httpx.HTTPError as error:
            self.error = error
        self.answered_at = time.monotonic()

    def answer(self, timeout: float = 60) -> httpx.Response:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the long-poll did not end"
        if self.error is not None:
            raise self.error
        assert self.response is not None
        return self.response

    @property
    def pending(self) -> bool:
        return self._thread.is_alive()


def last_seq(api_http: httpx.Client, office: str) -> int:
    """Where a display starting now goes on from."""
    reply = api_http.get(calls_path(office))
    assert reply.status_code == 200, reply.text
    return reply.json()["last_seq"]


def follow(
    http: httpx.Client, office: str, after: int, count: int, deadline_s: float = 120
) -> list[dict[str, Any]]:
    """Every call after `after` as a display reads them, until `count` have come; each answer's
    calls in the order given."""
    seen: list[dict[str, Any]] = []
    until = time.monotonic() + deadline_s
    while len(seen) < count and time.monotonic() < until:
        reply = http.get(calls_path(office), params={"after": after, "wait": 5})
        assert reply.status_code == 200, reply.text
        body = reply.json()
        seen += body["calls"]
        after = body["last_seq"]
    return seen
