"""One reconnecting serial worker: a thread that keeps a device's port open, for every driver.

The driver supplies how to open the port (usually devices.transport.open_transport) and what
to do with it once open, the session: read lines, presses, poll a status... The worker runs
the session on its own thread, and when the port cannot be opened or fails it closes it and
tries again after a delay from its Backoff policy, for as long as it runs. stop() ends the wait at
once, so it returns as soon as the session notices (sessions wait on the stop event, or read
with a short timeout and check it).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

from devices.transport import Transport, TransportError

log = logging.getLogger(__name__)

CONNECTED = "connected"
DISCONNECTED = "disconnected"

Session = Callable[[Transport, threading.Event], None]
"""session(port, stopping): use the open port until `stopping` is set, raise TransportError
when the port fails, or return to have it closed and opened again."""


class Backoff:
    """How long to wait before the next attempt to open a port: `first` seconds once it was
    open (a replugged device is back at once), doubling with each failed attempt in a row up to
    `ceiling` (a device unplugged for long is looked for every `ceiling` seconds). A policy
    without state: one may serve several workers."""

    def __init__(self, first: float = 0.25, ceiling: float = 2.0) -> None:
        if not 0 < first <= ceiling:
            raise ValueError("a backoff needs 0 < first <= ceiling")
        self.first = first
        self.ceiling = ceiling

    def delay(self, failures: int) -> float:
        """The wait after `failures` failed attempts in a row (0: the port was open till now)."""
        return min(self.first * 2 ** min(failures, 32), self.ceiling)


class SerialWorker:
    """Runs `session` on a daemon thread named `name` over the port `connect` opens.

    `on_state(state)` is called on the worker thread on each change (and the first state):
    CONNECTED once the port is open, DISCONNECTED when it cannot be opened or has failed;
    stopping is not a change. With `logger`, each change is logged there as "<label>: connected
    (reason)"; drivers with states of their own (the printer's) leave both out. Failures of the
    driver's code are logged with their traceback (to `logger`, else this module's), and the
    port is opened again. `label` names the device in logs, e.g. "scanner /dev/qr-scanner".
    """

    def __init__(
        self,
        connect: Callable[[], Transport],
        session: Session,
        *,
        name: str,
        label: str,
        on_state: Callable[[str], None] | None = None,
        logger: logging.Logger | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self._connect = connect
        self._session = session
        self._name = name
        self._label = label
        self._on_state = on_state
        self._log = logger or log
        self._log_changes = logger is not None
        self._backoff = backoff or Backoff()
        self._state: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> str:
        """CONNECTED while the port is open, else DISCONNECTED (stop() leaves it as it was)."""
        return self._state or DISCONNECTED

    def start(self) -> None:
        """Start the thread (a no-op while it runs). It never gives up reopening the port."""
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close the port; returns once the thread has ended."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            port = self._open()
            if port is not None:
                failures = 0
                self._set_state(CONNECTED, "port open")
                self._serve(port)
            self._stopping.wait(self._backoff.delay(failures))
            failures += 1

    def _open(self) -> Transport | None:
        try:
            return self._connect()
        except TransportError as exc:
            self._set_state(DISCONNECTED, str(exc))
        except Exception:
            self._log.exception("%s: opening the port failed", self._label)
            self._set_state(DISCONNECTED, "opening the port failed")
        return None

    def _serve(self, port: Transport) -> None:
        reason = "port closed"
        try:
            self._session(port, self._stopping)
        except TransportError as exc:
            reason = str(exc)
        except Exception:
            # A bug must not end the worker for the life of the kiosk.
            self._log.exception("%s: the session failed; reopening", self._label)
            reason = "session failed"
        finally:
            with contextlib.suppress(TransportError, OSError):
                port.close()
        if not self._stopping.is_set():
            self._set_state(DISCONNECTED, reason)

    def _set_state(self, state: str, reason: str) -> None:
        if state == self._state:
            return
        self._state = state
        if self._log_changes:
            level = logging.INFO if state == CONNECTED else logging.WARNING
            self._log.log(level, "%s: %s (%s)", self._label, state, reason)
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                self._log.exception("%s: the state callback failed", self._label)
