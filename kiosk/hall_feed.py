"""The hall display's calls feed, on its own thread: a long-poll that the central server answers
as soon as a counter calls (the waiting counts come from kiosk.queue_snapshot).

At start it reads the server's recent calls of the day: `on_calls(calls, history=True)`, to be
listed, not announced again. Then it remembers the last sequence number it has seen, so after
an outage it asks for what came after: calls made meanwhile (e.g. typed at a counter and sent
from its outbox when the network came back) arrive once, with the time they were made; the
board decides they are too old to announce. A server whose sequence went backwards (a new
database) is followed from its current calls again. Results reach the app through callbacks
from the worker threads.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.central_client import CentralError, CentralUnauthorized
from kiosk.config import Config
from kiosk.enrolment import CentralLink
from kiosk.hall_calls import HallCall

log = logging.getLogger(__name__)

LONG_POLL_SECONDS = 25.0
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 10.0

CONNECTING = "connecting"
ONLINE = "online"
OFFLINE = "offline"
NOT_CONFIGURED = "not_configured"
UNAUTHORIZED = "unauthorized"


@dataclass(frozen=True)
class FeedStatus:
    state: str
    since: datetime | None = None  # offline since
    problem: str = ""  # for the technician (English, nothing personal)


class CallFeed:
    """Follows the feed on a daemon thread (a long-poll in flight when the app stops must not
    hold the process: the server forgets it); a failure waits with a growing, jittered pause."""

    def __init__(
        self,
        config: Config,
        *,
        on_calls: Callable[[list[HallCall], bool], None],
        on_status: Callable[[FeedStatus], None],
        clock: Callable[[], datetime],
        wait: float = LONG_POLL_SECONDS,
    ) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hall-feed", daemon=True)
        self._retry = FIRST_RETRY_SECONDS
        self._office = config.office.code
        self._link = CentralLink(config)
        self._on_calls = on_calls
        self._on_status = on_status
        self._clock = clock
        self._wait = wait
        self._after: int | None = None
        self.status = FeedStatus(CONNECTING)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop; a long-poll still in flight is left to end on its own (its client is not
        closed under it: the daemon thread ends with the process)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if not self._thread.is_alive():
            self._link.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                pause = self.step()
            except Exception:  # the hall must not lose its feed to one bad answer
                log.exception("calls feed: unexpected failure; trying again")
                pause = self._failed()
            self._stop.wait(pause)

    def _failed(self) -> float:
        pause = self._retry * random.uniform(0.8, 1.2)
        self._retry = min(MAX_RETRY_SECONDS, self._retry * 2)
        return pause

    def step(self) -> float:
        """One request; returns the seconds to wait before the next."""
        client = self._link.current()
        if client is None:
            self._set(FeedStatus(NOT_CONFIGURED, problem=self._link.problem))
            return MAX_RETRY_SECONDS
        try:
            wait = 0.0 if self._after is None else self._wait
            answer = client.calls(self._office, self._after, wait)
            calls, last_seq = self._read(answer)
        except CentralUnauthorized as error:
            self._set(FeedStatus(UNAUTHORIZED, problem=str(error)))
            return MAX_RETRY_SECONDS
        except (CentralError, ValueError) as error:
            self._went_offline(str(error))
            return self._failed()
        self._retry = FIRST_RETRY_SECONDS
        if self._after is not None and last_seq < self._after:
            log.warning("the server's call sequence went back (%d < %d)", last_seq, self._after)
            self._after = None
            return 0
        history = self._after is None
        self._after = last_seq
        if self.status.state != ONLINE:
            log.info("calls feed: following the server's calls from number %d", last_seq)
        self._set(FeedStatus(ONLINE))
        if calls:
            self._on_calls(calls, history)
        return 0

    def _read(self, answer: Any) -> tuple[list[HallCall], int]:
        if not isinstance(answer, dict) or not isinstance(answer.get("calls"), list):
            raise ValueError("the calls feed answered something that is not a list of calls")
        last_seq = answer.get("last_seq")
        if not isinstance(last_seq, int) or isinstance(last_seq, bool):
            raise ValueError("the calls feed gave no sequence number")
        calls = []
        for item in answer["calls"]:
            try:
                calls.append(HallCall.from_json(item, office=self._office))
            except ValueError as error:  # one bad item must not hold up the ones after it
                log.warning("calls feed: an item that is not a call was skipped: %s", error)
        return calls, last_seq

    def _went_offline(self, problem: str) -> None:
        since = self.status.since if self.status.state == OFFLINE else self._clock()
        if self.status.state != OFFLINE:
            log.warning("calls feed: %s", problem)
        self._set(FeedStatus(OFFLINE, since, problem))

    def _set(self, status: FeedStatus) -> None:
        if status != self.status:
            self.status = status
            self._on_status(status)
