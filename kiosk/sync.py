"""Store-and-forward: the worker that drains the outbox to the central API.

Events leave the outbox in seq order, in batches, and only once the server has answered for
them: accepted or duplicate → deleted; rejected → quarantined with the server's reason (kept,
never sent again, never holding up the others). A batch without a usable answer (network down,
timeout, 5xx, 429, an answer that makes no sense, this process killed) stays and is sent again;
the server drops duplicates by event id, so every event reaches it exactly once, and the events
of a ticket arrive in the order they happened.

Failures back off exponentially with full jitter up to max_backoff; a server that says how
long to wait (Retry-After, on 429 and 503) is obeyed, up to an hour. While the server gives no
answer at all (down, or out of reach), a backoff is cut short as soon as a health check every
OFFLINE_RECHECK seconds answers, or when the app asks (check_now: an action of the device just
reached the server, or failed to), so the device notices the server's return within seconds
and not after minutes of backoff. A token the server refuses (401) stops the sending, events
kept; it is tried again every 10 minutes, or at once when the device is enrolled again.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from common.office_clock import aware_now
from kiosk.central_client import (
    DUPLICATE,
    REJECTED,
    CentralClient,
    CentralError,
    CentralNoAnswer,
    CentralRefused,
    CentralUnauthorized,
    CentralUnavailable,
)
from kiosk.config import Config
from kiosk.enrolment import CentralLink
from kiosk.personal_data import PersonalData, SealBroken
from kiosk.server_clock import ServerClock
from kiosk.store import Store, StoreError

log = logging.getLogger(__name__)

NOT_CONFIGURED = "not_configured"
ONLINE = "online"
OFFLINE = "offline"
UNAUTHORIZED = "unauthorized"

BASE_DELAY = 1.0  # seconds: the first backoff is drawn from 0..1 s, then 0..2, 0..4, ...
IDLE_POLL = 10.0  # seconds between looks at an idle outbox and the server (other processes
# write to the outbox too; the welcome screen should learn of a lost link within this time)
OFFLINE_RECHECK = 5.0  # seconds between health checks during a backoff while the server gives no
# answer at all (a check is one small GET: the server's return is noticed within seconds)
RELINK_CHECK = 15.0  # seconds between looks for a new enrolment while sync cannot send
UNAUTHORIZED_RETRY = 600.0  # seconds before a refused token is tried again
RETRY_AFTER_LIMIT = 3600.0  # the longest Retry-After obeyed: beyond, the header is nonsense

# The server refused the request as a whole because of what it holds (too large, malformed):
# send fewer events at once until the one at fault is alone, then quarantine it.
_SPLIT_ON = (413, 422)


@dataclass(frozen=True)
class SyncStatus:
    """What the device knows of its link to the central server.

    state: "not_configured" (sync off), "online", "offline" or "unauthorized" (the server
    refuses the token; events are kept). offline_since: when sending last stopped working
    (aware, None while online or not configured). last_error: the most recent problem, in
    plain English, kept after recovery ("" if none yet). clock_off_minutes: how many minutes
    the device's clock is behind (negative: ahead of) the server's, when beyond the margin
    (kiosk.server_clock), else None.
    """

    state: str
    offline_since: datetime | None
    pending: int
    quarantined: int
    last_error: str
    clock_off_minutes: int | None = None


@dataclass
class BatchReport:
    answered: bool = False  # the server answered (False: every event was quarantined here)
    accepted: int = 0
    duplicates: int = 0
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)  # id, type, reason


def backoff_delay(
    failures: int, max_backoff: float, retry_after: float | None, rng: random.Random
) -> float:
    """Seconds to wait after `failures` failures in a row: what the server asked for (up to
    an hour), else "full jitter": uniform from 0 to an exponential ceiling, at most max_backoff.
    """
    if retry_after is not None:
        return min(retry_after, RETRY_AFTER_LIMIT)
    ceiling = min(max_backoff, BASE_DELAY * 2 ** min(failures - 1, 32))
    return rng.uniform(0, ceiling)


class OutboxSender:
    """Sends the next batch of the outbox and applies the answer. No thread, no waiting."""

    def __init__(self, store: Store, personal: PersonalData, batch_size: int) -> None:
        self._store = store
        self._personal = personal
        self._batch_size = batch_size
        self._limit = batch_size

    def send_batch(self, client: CentralClient) -> BatchReport | None:
        """Send the next batch; None when nothing waits. Raises CentralError when the batch
        was not answered (it stays in the outbox), StoreError when the store fails."""
        entries = self._store.outbox.batch(self._limit)
        if not entries:
            return None
        types = {entry["id"]: entry["type"] for entry in entries}
        batch, rejected = [], {}
        for entry in entries:
            if not entry["personal"]:
                batch.append(entry["body"])
                continue
            try:
                batch.append(self._personal.open(entry["body"]))
            except SealBroken as error:
                rejected[entry["id"]] = f"not sent: {error}"
        report = BatchReport()
        delivered = []
        if batch:
            log.debug("sending %d events", len(batch))
            try:
                results = client.send_events(batch)
            except CentralRefused as error:
                if error.status not in _SPLIT_ON:
                    self._store.outbox.record_send_failure(list(types), str(error))
                    raise
                report.answered = True
                if len(batch) > 1:
                    self._limit = max(1, len(batch) // 2)
                    log.info("central server refused %d events at once; trying fewer", len(batch))
                    return report
                rejected[batch[0]["id"]] = str(error)
                results = []
            except (CentralUnavailable, CentralUnauthorized) as error:
                self._store.outbox.record_send_failure(list(types), str(error))
                raise
            report.answered = True
            self._limit = min(self._batch_size, self._limit * 2)
            for result in results:
                if result.status == REJECTED:
                    rejected[result.id] = result.reason or ""
                    continue
                delivered.append(result.id)
                if result.status == DUPLICATE:
                    report.duplicates += 1
                else:
                    report.accepted += 1
        self._store.outbox.settle(delivered, rejected)
        log.debug(
            "settled: %d accepted, %d duplicates, %d quarantined",
            report.accepted,
            report.duplicates,
            len(rejected),
        )
        personal = {entry["id"] for entry in entries if entry["personal"]}
        for event_id, reason in rejected.items():
            report.quarantined.append((event_id, types[event_id], reason))
            shown = "(reason withheld: personal data)" if event_id in personal else reason
            log.warning("event %s (%s) quarantined: %s", event_id, types[event_id], shown)
        return report


class SyncWorker:
    """Drains the outbox in a daemon thread. start(), wake() and `status` may be called from
    any thread, the Kivy main thread included: they never touch the disk or the network;
    stop() waits for the thread up to its timeout. `on_status` is called from the worker thread
    whenever the status changes (hand it to the UI loop, e.g. with Clock.schedule_once)."""

    def __init__(
        self,
        store: Store,
        link: CentralLink,
        *,
        personal: PersonalData,
        batch_size: int,
        max_backoff: float,
        on_status: Callable[[SyncStatus], None] | None = None,
        rng: random.Random | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        self._store = store
        self._server_clock = server_clock
        self._link = link
        self._personal = personal
        self._sender = OutboxSender(store, personal, batch_size)
        self._max_backoff = max_backoff
        self._on_status = on_status
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._status = SyncStatus(OFFLINE, None, 0, 0, "")
        self._stop = threading.Event()
        self._kick = threading.Event()
        self._urgent = threading.Event()  # check_now(): cut a backoff short
        self._no_answer = False  # the last failure had no answer at all (CentralNoAnswer)
        self._thread: threading.Thread | None = None
        self._failures = 0
        self._last_contact = -IDLE_POLL  # monotonic seconds
        self._last_success_at: datetime | None = None
        self._refused: CentralClient | None = None
        self._refused_until = 0.0

    @classmethod
    def from_config(
        cls,
        config: Config,
        store: Store,
        personal: PersonalData,
        on_status: Callable[[SyncStatus], None] | None = None,
        server_clock: ServerClock | None = None,
    ) -> SyncWorker:
        return cls(
            store,
            CentralLink(config),
            personal=personal,
            batch_size=config.central.batch_size,
            max_backoff=config.central.max_backoff,
            on_status=on_status,
            server_clock=server_clock,
        )

    @property
    def status(self) -> SyncStatus:
        """The latest status; before the first attempt: "offline", offline_since None."""
        with self._lock:
            return self._status

    @property
    def last_success_at(self) -> datetime | None:
        """When the server last answered a step (events delivered, or nothing to send and the
        server in reach); None since start until it does."""
        return self._last_success_at

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the sync worker was already started")
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """An event was just written: send soon (a backoff in progress is still honoured)."""
        self._kick.set()

    def check_now(self) -> None:
        """Something says the server's state may have changed (an action of this device just
        reached the server, or failed to): look at once, cutting short a backoff taken while the
        server gave no answer (a wait the server asked for, Retry-After, is still honoured)."""
        self._urgent.set()
        self._kick.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Stop and wait for the thread up to `timeout` s; False if it is still finishing a
        request (it is a daemon thread: it will not hold the process)."""
        self._stop.set()
        self._kick.set()
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                pause = self._cycle()
                if pause is None:
                    continue
                seconds, wakeable = pause
                if wakeable:
                    self._kick.wait(seconds)
                    self._kick.clear()
                else:
                    self._back_off(seconds)
        finally:
            self._link.close()

    def _back_off(self, seconds: float) -> None:
        """Waits `seconds` after a failure; wake() does not shorten it. When the server gave no
        answer at all, a health check every OFFLINE_RECHECK seconds that answers, or a
        check_now(), ends it early."""
        deadline = time.monotonic() + seconds
        shortcut = self._no_answer
        if not shortcut:
            self._urgent.clear()
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return
            kicked = self._kick.wait(min(left, OFFLINE_RECHECK) if shortcut else left)
            if self._stop.is_set():
                return
            if kicked:
                self._kick.clear()
                if shortcut and self._urgent.is_set():
                    self._urgent.clear()
                    return
                if not shortcut:
                    self._urgent.clear()
            elif shortcut and deadline - time.monotonic() > 0 and self._answers():
                return

    def _answers(self) -> bool:
        """Whether the server answers a health check now (during a backoff)."""
        client = self._link.current()
        if client is None:
            return True  # the enrolment changed: the next step finds out
        try:
            self._check_clock(client)
        except CentralError:
            return False
        log.info("sync: the central server answers again")
        return True

    def _cycle(self) -> tuple[float, bool] | None:
        """One step: send a batch, or find out why not. Returns None to go on at once, or how
        long to pause and whether a wake() may cut the pause short."""
        try:
            return self._step()
        except StoreError as error:
            problem = f"The local database failed: {error}"
            log.error("sync: %s", problem)
        except Exception as error:  # the thread must survive; the message may hold anything
            where = traceback.extract_tb(error.__traceback__)[-1]
            problem = f"Internal error ({type(error).__name__})"
            log.error("sync: %s at %s:%s", problem, where.filename, where.lineno)
        self._failures += 1
        self._no_answer = False
        self._publish(self._status.state, problem)
        return backoff_delay(self._failures, self._max_backoff, None, self._rng), False

    def _step(self) -> tuple[float, bool] | None:
        self._personal.purge_expired()
        client = self._link.current()
        if client is None:
            self._publish(NOT_CONFIGURED, self._link.problem)
            return RELINK_CHECK, True
        if client is self._refused:
            wait = self._refused_until - time.monotonic()
            if wait > 0:
                self._publish(UNAUTHORIZED)
                return min(wait, RELINK_CHECK), True
        try:
            if self._server_clock is not None and self._server_clock.stale():
                self._check_clock(client)
            report = self._sender.send_batch(client)
            if report is not None and not report.answered:
                self._publish(self._status.state)  # no news of the server: state unchanged
                return None
            if report is None:
                asked = self._urgent.is_set()  # check_now(): look even if in touch lately
                self._urgent.clear()
                if not asked and self._status.state == ONLINE and self._since_contact() < IDLE_POLL:
                    self._publish(ONLINE)
                    return IDLE_POLL - self._since_contact(), True
                self._check_clock(client)
        except CentralUnauthorized as error:
            self._refused, self._refused_until = client, time.monotonic() + UNAUTHORIZED_RETRY
            self._publish(UNAUTHORIZED, str(error))
            return RELINK_CHECK, True
        except (CentralUnavailable, CentralRefused) as error:
            self._failures += 1
            self._no_answer = isinstance(error, CentralNoAnswer)
            self._publish(OFFLINE, str(error))
            retry_after = getattr(error, "retry_after", None)
            return backoff_delay(self._failures, self._max_backoff, retry_after, self._rng), False
        self._failures = 0
        self._no_answer = False
        self._refused = None
        self._last_contact = time.monotonic()
        self._last_success_at = aware_now()
        self._publish(ONLINE)
        return None if report is not None else (IDLE_POLL, True)

    def _check_clock(self, client: CentralClient) -> None:
        """A health check that also measures the server's clock (kiosk.server_clock)."""
        health = client.health()
        if self._server_clock is None:
            return
        self._server_clock.checked()
        if health.server_time is not None:
            self._server_clock.observe(health.server_time, health.round_trip)

    def _clock_off_minutes(self) -> int | None:
        if self._server_clock is None or not self._server_clock.clock_is_wrong():
            return None
        offset = self._server_clock.offset() or 0.0
        return round(offset / 60) or (1 if offset > 0 else -1)

    def _since_contact(self) -> float:
        return time.monotonic() - self._last_contact

    def _publish(self, state: str, error: str | None = None) -> None:
        old = self._status
        try:
            summary = self._store.outbox.summary()
            pending, quarantined = summary["pending"], summary["quarantined"]
        except StoreError:  # reported by the caller; the counts stay as they were
            pending, quarantined = old.pending, old.quarantined
        if state in (ONLINE, NOT_CONFIGURED):
            offline_since = None
        else:
            offline_since = old.offline_since or aware_now()
        new = SyncStatus(
            state=state,
            offline_since=offline_since,
            pending=pending,
            quarantined=quarantined,
            last_error=old.last_error if error is None else error,
            clock_off_minutes=self._clock_off_minutes(),
        )
        if new == old:
            return
        with self._lock:
            self._status = new
        if new.state != old.state or new.last_error != old.last_error:
            level = logging.INFO if state == ONLINE else logging.WARNING
            log.log(level, "sync %s: %s", state, new.last_error if state != ONLINE else "ok")
        if self._on_status is not None:
            try:
                self._on_status(new)
            except Exception:
                log.exception("the sync status listener failed")
