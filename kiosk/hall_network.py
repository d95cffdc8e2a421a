"""Calls over the office network: each counter sends every call and recall straight to the hall
display as signed UDP datagrams (kiosk.hall_messages), online or not, so that the hall hears of
them within a second or two while the central server is unreachable too. The display shows a
call that reaches it by both paths once: both name it by its key (kiosk.hall_calls).

HallSender (counter): `send` returns at once; a thread of its own sends each call to every
target, repeated a few times against loss. HallListener (display): a thread receives, checks
each datagram and hands every accepted call to `on_call`, keeping counts for the technician.
Neither raises into its caller nor stops on a bad datagram. docs/office-network.md.
"""

from __future__ import annotations

import heapq
import logging
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from kiosk.config import Config
from kiosk.config.office_network import Target
from kiosk.hall_calls import HallCall
from kiosk.hall_key import HallKeyStore
from kiosk.hall_messages import (
    MAX_ATTEMPTS,
    MAX_DATAGRAM,
    REPEAT,
    CallVerifier,
    Refused,
    encode,
    new_nonce,
)
from kiosk.i18n import N_

log = logging.getLogger(__name__)

REPEATS = (0.0, 0.2, 0.6)  # seconds after the call: each datagram is sent at each
MAX_WAITING = 200  # calls waiting to be sent at most (the oldest are dropped beyond)
LOG_EVERY_SECONDS = 60.0  # a repeated problem is logged at most this often
POLL_SECONDS = 0.2  # the listener looks this often whether it is asked to stop

# The technician's words for the listener (msgids; HallListener.describe).
LISTENER_OFF = N_("off ([office_network] enabled = false)")
LISTENER_FAILED = N_("cannot listen on UDP port {port}: it is in use or not allowed")
LISTENING = N_("listening on UDP port {port}: {accepted} calls received, the last at {time}")
LISTENING_IDLE = N_("listening on UDP port {port}: no call received yet")
REFUSED_COUNT = N_("{count} refused (forged, stale or unreadable)")


class _RateLimitedLog:
    """Logs each kind of problem at once, then at most every LOG_EVERY_SECONDS with the count
    of the ones left unsaid."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}
        self._unsaid: Counter[str] = Counter()

    def warning(self, kind: str, message: str, *args: object) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < LOG_EVERY_SECONDS:
            self._unsaid[kind] += 1
            return
        self._last[kind] = now
        unsaid = self._unsaid.pop(kind, 0)
        more = f" ({unsaid} more since the last report)" if unsaid else ""
        log.warning(message + more, *args)


@dataclass(frozen=True)
class SenderStats:
    calls: int  # calls given to send
    datagrams: int  # datagrams sent (each call to each target, repeated)
    failed: int  # datagrams the network refused
    no_key: int  # calls not sent: no hall key
    dropped: int  # calls dropped: too many waiting


class HallSender:
    """The counter's side: sends to `[office_network] send_to`, signed with the current key
    of `keys`, timed by `clock` (the office clock)."""

    def __init__(
        self,
        config: Config,
        keys: HallKeyStore,
        *,
        clock: Callable[[], datetime],
        repeats: tuple[float, ...] = REPEATS,
    ) -> None:
        if not 1 <= len(repeats) <= MAX_ATTEMPTS:
            raise ValueError(f"from 1 to {MAX_ATTEMPTS} repeats")
        self._targets = config.office_network.send_to
        self._keys = keys
        self._device_id = config.device.id
        self._clock = clock
        self._repeats = repeats
        self._waiting: deque[HallCall] = deque()
        self._due: list[tuple[float, int, bytes, Target]] = []  # heap: when, order, what, where
        self._order = 0
        self._wake = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._counts: Counter[str] = Counter()
        self._told_no_key = False
        self._log = _RateLimitedLog()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="hall-sender", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> HallSender:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def send(self, call: HallCall) -> None:
        """Send `call` to the hall. Returns at once and never raises."""
        try:
            with self._wake:
                self._counts["calls"] += 1
                if len(self._waiting) >= MAX_WAITING:
                    self._waiting.popleft()
                    self._counts["dropped"] += 1
                self._waiting.append(call)
                self._wake.notify()
        except Exception:  # the officer's call is committed: nothing here may undo it
            log.exception("a call could not be queued for the hall")

    def stats(self) -> SenderStats:
        with self._wake:
            c = self._counts
            return SenderStats(c["calls"], c["datagrams"], c["failed"], c["no_key"], c["dropped"])

    def _run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            while True:
                with self._wake:
                    while not self._stopping and not self._waiting and not self._ready():
                        wait = self._due[0][0] - time.monotonic() if self._due else None
                        self._wake.wait(wait)
                    if self._stopping:
                        return
                    calls = list(self._waiting)
                    self._waiting.clear()
                for call in calls:
                    self._schedule(call)
                self._send_due(sock)

    def _ready(self) -> bool:
        return bool(self._due) and self._due[0][0] <= time.monotonic()

    def _schedule(self, call: HallCall) -> None:
        """Sign each attempt of the call (one nonce: they make one call) and plan its sends."""
        try:
            hall_key = self._keys.current()
            datagrams = []
            if hall_key is not None:
                sent_at, nonce = self._clock(), new_nonce()
                datagrams = [
                    encode(
                        call,
                        device_id=self._device_id,
                        sent_at=sent_at,
                        hall_key=hall_key,
                        nonce=nonce,
                        attempt=attempt,
                    )
                    for attempt in range(len(self._repeats))
                ]
        except Exception:
            log.exception("a call could not be signed for the hall")
            return
        if not datagrams:
            with self._wake:
                self._counts["no_key"] += 1
            if not self._told_no_key:
                self._told_no_key = True
                log.warning("no hall key yet: calls are not sent over the office network")
            return
        start = time.monotonic()
        with self._wake:
            for delay, datagram in zip(self._repeats, datagrams, strict=True):
                for target in self._targets:
                    self._order += 1
                    heapq.heappush(self._due, (start + delay, self._order, datagram, target))

    def _send_due(self, sock: socket.socket) -> None:
        while True:
            with self._wake:
                if not self._ready():
                    return
                _when, _order, datagram, target = heapq.heappop(self._due)
            try:
                sock.sendto(datagram, (target.host, target.port))
                outcome = "datagrams"
            except OSError as error:  # no route, no network, a name not resolved
                outcome = "failed"
                self._log.warning(
                    f"send {target}", "a call cannot be sent to %s: %s", target, error
                )
            with self._wake:
                self._counts[outcome] += 1


@dataclass(frozen=True)
class ListenerStats:
    """For the technician screen: calls accepted, repeats of them (not calls again),
    datagrams refused by reason (kiosk.hall_messages.REASONS), and when (display clock) the
    last call was accepted."""

    accepted: int
    repeats: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    last_accepted_at: datetime | None = None


class HallListener:
    """The display's side: receives on `[office_network] listen`:`port`, hands each accepted
    call to `on_call` (from the listener's thread). A call may be signed with any key `keys`
    holds; `clock` is the display's office clock. Repeats of one send (one nonce) give one
    on_call; a call that also came from the server is the display board's to merge."""

    def __init__(
        self,
        config: Config,
        keys: HallKeyStore,
        *,
        on_call: Callable[[HallCall], None],
        clock: Callable[[], datetime],
    ) -> None:
        network = config.office_network
        self._zone = config.office.timezone
        self._enabled = network.enabled
        self._address = (network.listen, network.port)
        self._keys = keys
        self._verifier = CallVerifier(
            config.office.code, keys.keys, clock, network.max_clock_skew_seconds
        )
        self._on_call = on_call
        self._clock = clock
        self._lock = threading.Lock()
        self._accepted = 0
        self._repeats = 0
        self._refused: Counter[str] = Counter()
        self._last_accepted_at: datetime | None = None
        self._log = _RateLimitedLog()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._failed = False

    def start(self) -> bool:
        """Bind and start listening; False when it cannot (off, or the port is in use: said in
        the log and by `describe`; the server's feed still brings the calls)."""
        if self._thread is not None:
            return True
        if not self._enabled:
            return False
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(self._address)
        except OSError as error:
            sock.close()
            self._failed = True
            log.error("cannot listen for calls on %s:%d: %s", *self._address, error)
            return False
        self._failed = False
        sock.settimeout(POLL_SECONDS)
        self._socket = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hall-listener", daemon=True)
        self._thread.start()
        log.info("listening for calls over the office network on %s:%d", *self.address)
        return True

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the port chosen when the configured one is 0)."""
        if self._socket is None:
            return self._address
        host, port = self._socket.getsockname()[:2]
        return host, port

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> HallListener:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stats(self) -> ListenerStats:
        with self._lock:
            return ListenerStats(
                self._accepted, self._repeats, dict(self._refused), self._last_accepted_at
            )

    def describe(self, t: Callable[[str], str]) -> str:
        """The technician's line: listening or not, calls taken and refused, and the key."""
        port = self.address[1]
        stats = self.stats()
        if not self._enabled:
            words = t(LISTENER_OFF)
        elif self._failed:
            words = t(LISTENER_FAILED).format(port=port)
        elif stats.last_accepted_at is None:
            words = t(LISTENING_IDLE).format(port=port)
        else:
            words = t(LISTENING).format(
                port=port,
                accepted=stats.accepted,
                time=f"{stats.last_accepted_at.astimezone(self._zone):%H:%M:%S}",
            )
        parts = [words]
        refused = sum(stats.refused.values())
        if refused:
            parts.append(t(REFUSED_COUNT).format(count=refused))
        msgid, values = self._keys.status().words(self._zone)
        parts.append(t(msgid).format(**values))
        return "  ·  ".join(parts)

    def _run(self) -> None:
        sock = self._socket
        assert sock is not None
        while not self._stop.is_set():
            try:
                datagram, sender = sock.recvfrom(MAX_DATAGRAM + 1)
            except TimeoutError:
                continue
            except OSError as error:
                if self._stop.is_set():
                    return
                self._log.warning("receive", "receiving calls failed: %s", error)
                self._stop.wait(POLL_SECONDS)
                continue
            self._take(datagram, sender[0])

    def _take(self, datagram: bytes, sender: str) -> None:
        try:
            signed = self._verifier.verify(datagram)
        except Refused as refused:
            with self._lock:
                if refused.reason == REPEAT:
                    self._repeats += 1
                    return
                self._refused[refused.reason] += 1
            self._log.warning(refused.reason, "a call from %s was refused: %s", sender, refused)
            return
        except Exception:  # a bug must not stop the hall from hearing the next call
            log.exception("a datagram from %s could not be checked", sender)
            return
        with self._lock:
            self._accepted += 1
            self._last_accepted_at = self._clock()
        try:
            self._on_call(signed.call)
        except Exception:
            log.exception("the display could not take call %s", signed.call.key)
