"""The ESC/POS printer driver: status polling, reconnection, and blocking print jobs.

The port is opened when first needed, by a job, a status query or the poller, and shared
under one lock. The poller is a devices.serial_worker session: while the port is open it asks
for the status every `status_interval`; once the port has failed it hands it back, and the
worker reopens it with its backoff.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from enum import Enum

from devices import escpos_commands as cmd
from devices.escpos_encoder import encode
from devices.printjob import PrintJob
from devices.profiles import PrinterProfile
from devices.serial_worker import Backoff, SerialWorker
from devices.transport import Transport, TransportError, TransportTimeout, open_transport

log = logging.getLogger("devices.printer")

# Every DLE EOT answer has bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0: a byte that does not is
# not a status answer (line noise, a wrong baud rate, another device).
_FIXED_MASK = 0x93
_FIXED_BITS = 0x12


class PrinterState(Enum):
    READY = "ready"
    PAPER_NEAR_END = "paper_near_end"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"  # port open, but no valid status answer (or the printer says offline)
    DISCONNECTED = "disconnected"  # the port cannot be opened or failed


PRINTABLE = frozenset({PrinterState.READY, PrinterState.PAPER_NEAR_END})


class PrintError(Exception):
    """A job was not printed, or may not have been. str() is a plain English reason."""

    def __init__(self, state: PrinterState, reason: str) -> None:
        super().__init__(reason)
        self.state = state


def decode_status(printer: int, offline_cause: int, paper: int) -> PrinterState:
    """The state told by the answers to DLE EOT 1, 2 and 4 (fixed bits already checked)."""
    if offline_cause & 0x04:
        return PrinterState.COVER_OPEN
    if offline_cause & 0x20 or paper & 0x60:
        return PrinterState.PAPER_OUT
    if printer & 0x08:
        return PrinterState.OFFLINE
    if paper & 0x0C:
        return PrinterState.PAPER_NEAR_END
    return PrinterState.READY


_REASONS = {
    PrinterState.READY: "printer is ready",
    PrinterState.PAPER_NEAR_END: "printer paper is near its end",
    PrinterState.PAPER_OUT: "printer is out of paper",
    PrinterState.COVER_OPEN: "printer cover is open",
    PrinterState.OFFLINE: "printer reports it is offline",
}


class EscPosPrinter:
    """One ESC/POS printer at `url` (see devices.transport for the URL forms).

    Thread-safe: `print_job`, `query_status` and the status poller share one lock, so a job is
    never interleaved with a status request. `on_state` is called with each new state (and the
    first one) from whichever thread learnt it, the poller's or the printing one, in order and
    outside that lock; keep it short (e.g. hand over to the UI thread). `reconnect` sets the
    poller's delays between attempts to open a port that cannot be opened.
    """

    def __init__(
        self,
        url: str,
        profile: PrinterProfile,
        *,
        baudrate: int = 115200,
        write_timeout: float = 5.0,
        status_timeout: float = 0.5,
        status_interval: float = 3.0,
        on_state: Callable[[PrinterState], None] | None = None,
        full_raster: bool = False,
        reconnect: Backoff | None = None,
    ) -> None:
        """`full_raster` sends every job as one image (for printers without native QR)."""
        self._url = url
        self._profile = profile
        self._baudrate = baudrate
        self._write_timeout = write_timeout
        self._status_timeout = status_timeout
        self._status_interval = status_interval
        self._on_state = on_state
        self._full_raster = full_raster
        self._lock = threading.Lock()
        self._transport: Transport | None = None
        self._state = PrinterState.DISCONNECTED
        self._reason = "printer port not opened yet"
        self._known = False
        self._pending: deque[PrinterState] = deque()
        self._deliver_lock = threading.RLock()
        self._poller = SerialWorker(
            self._connect,
            self._poll,
            name="printer-status",
            label=f"printer {url}",
            backoff=reconnect,
        )

    @property
    def state(self) -> PrinterState:
        return self._state

    @property
    def reason(self) -> str:
        """Why the printer is in its state, in plain English (e.g. "... is busy: ...")."""
        return self._reason

    def start(self) -> None:
        """Start the status poller (a daemon thread). It never gives up reconnecting."""
        self._poller.start()

    def stop(self) -> None:
        """Stop the poller and close the port (a later print_job reopens it)."""
        self._poller.stop()
        with self._lock:
            self._close_locked()

    def query_status(self) -> PrinterState:
        """Ask the printer now (opening the port if needed) and return its state."""
        try:
            with self._lock:
                return self._refresh_locked(self._status_timeout)
        finally:
            self._deliver()

    def print_job(self, job: PrintJob) -> None:
        """Print `job`, blocking until it is sent and the printer has answered after it.

        Raises PrintError without sending anything if the printer cannot print now, and
        PrintError after sending if the write timed out or the printer reports a problem
        after the job (then the ticket may be missing or incomplete).
        """
        data = encode(job, self._profile, full_raster=self._full_raster)
        try:
            with self._lock:
                self._print_locked(data)
        finally:
            self._deliver()

    def _print_locked(self, data: bytes) -> None:
        state = self._refresh_locked(self._status_timeout)
        if state not in PRINTABLE:
            raise PrintError(state, f"not printed: {self._reason}")
        assert self._transport is not None  # a printable state means the port is open
        try:
            self._transport.write(data)
        except TransportTimeout as exc:
            self._fail_locked(PrinterState.OFFLINE, str(exc))
            raise PrintError(PrinterState.OFFLINE, f"print job interrupted: {exc}") from exc
        except TransportError as exc:
            self._fail_locked(PrinterState.DISCONNECTED, str(exc))
            raise PrintError(PrinterState.DISCONNECTED, f"print job interrupted: {exc}") from exc
        log.debug("sent a print job of %d bytes to %s", len(data), self._url)
        # The answer to the next status request queues behind the job: allow for sending it.
        state = self._refresh_locked(self._status_timeout + len(data) * 10 / self._baudrate)
        if state not in PRINTABLE:
            raise PrintError(state, f"print job sent, then: {self._reason}")

    def _connect(self) -> Transport:
        """The poller's port: the one already open (a job's), or a new one."""
        try:
            with self._lock:
                return self._open_locked()
        finally:
            self._deliver()

    def _poll(self, port: Transport, stopping: threading.Event) -> None:
        """Ask for the status every status_interval while `port` is the open one."""
        try:
            while True:
                with self._lock:
                    if self._transport is not port:
                        return  # a job's failure closed it: the worker opens a new one
                    self._refresh_locked(self._status_timeout)
                    lost = self._transport is not port
                self._deliver()
                if lost or stopping.wait(self._status_interval):
                    return
        finally:
            with self._lock:
                if self._transport is port:
                    self._close_locked()

    def _open_locked(self) -> Transport:
        if self._transport is None:
            try:
                self._transport = open_transport(
                    self._url, baudrate=self._baudrate, write_timeout=self._write_timeout
                )
            except TransportError as exc:
                self._set_state_locked(PrinterState.DISCONNECTED, str(exc))
                raise
        return self._transport

    def _refresh_locked(self, first_timeout: float) -> PrinterState:
        try:
            transport = self._open_locked()
        except TransportError:
            return self._state
        try:
            state, reason = self._query_locked(transport, first_timeout)
        except TransportTimeout as exc:
            return self._fail_locked(PrinterState.OFFLINE, str(exc))
        except TransportError as exc:
            return self._fail_locked(PrinterState.DISCONNECTED, str(exc))
        return self._set_state_locked(state, reason)

    def _query_locked(self, transport: Transport, first_timeout: float) -> tuple[PrinterState, str]:
        transport.reset_input()
        answers: list[int] = []
        for n, timeout in (
            (1, first_timeout),
            (2, self._status_timeout),
            (4, self._status_timeout),
        ):
            transport.write(cmd.status_request(n))
            answer = transport.read(1, timeout)
            if not answer:
                return PrinterState.OFFLINE, f"printer on {self._url} does not answer (DLE EOT {n})"
            if answer[0] & _FIXED_MASK != _FIXED_BITS:
                return (
                    PrinterState.OFFLINE,
                    f"printer on {self._url} gave an invalid status answer 0x{answer[0]:02x} "
                    f"(DLE EOT {n}): wrong baud rate or not an ESC/POS printer?",
                )
            answers.append(answer[0])
        state = decode_status(*answers)
        return state, _REASONS[state]

    def _fail_locked(self, state: PrinterState, reason: str) -> PrinterState:
        """Close the port so that the next attempt starts afresh, and record why."""
        self._close_locked()
        return self._set_state_locked(state, reason)

    def _close_locked(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def _set_state_locked(self, state: PrinterState, reason: str) -> PrinterState:
        self._reason = reason
        if state is not self._state or not self._known:
            level = logging.INFO if state in PRINTABLE else logging.WARNING
            log.log(level, "printer %s: %s (%s)", self._url, state.name, reason)
            self._state = state
            self._known = True
            if self._on_state is not None:
                self._pending.append(state)
        return state

    def _deliver(self) -> None:
        """Call on_state for queued changes, outside the driver lock, in the order learnt."""
        callback = self._on_state
        if callback is None:
            return
        with self._deliver_lock:
            while self._pending:
                state = self._pending.popleft()
                try:
                    callback(state)
                except Exception:
                    log.exception("printer state callback failed")
