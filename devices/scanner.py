"""The 2D QR imager in USB-serial (CDC) mode: a reader thread that turns its bytes into lines.

The imager sends each code it reads followed by a line end (CR, LF or CRLF, set in the imager;
"auto" also takes LFCR, TAB, ETX and EOT, and a run of them as one). The driver frames lines,
drops a line too long to be a real code (whatever a faulty device spews, memory stays bounded),
drops the same code read again within the debounce time (a card held under the imager is read
over and over), and reopens the port after an unplug, so a replugged imager behind the same name
(a udev symlink such as /dev/qr-scanner) is back within two seconds (devices.serial_worker keeps
the port open).

Lines are raw bytes with their line end, as the imager sent them: taking off the envelope
(devices.scanner_envelope) and decoding are the caller's job. Scanned content is never logged
(it is personal data); logs name the port, the state and byte counts only.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Literal

from devices.serial_worker import CONNECTED, DISCONNECTED, Backoff, SerialWorker
from devices.transport import Transport, open_transport

__all__ = [
    "CONNECTED",  # the states, as the worker reports them
    "DISCONNECTED",
    "SUFFIXES",
    "Debounce",
    "LineFramer",
    "SerialScanner",
    "Suffix",
]

log = logging.getLogger(__name__)

Suffix = Literal["auto", "CR", "LF", "CRLF"]
SUFFIXES: dict[str, re.Pattern[bytes]] = {
    "auto": re.compile(rb"[\r\n\t\x03\x04]+"),
    "CR": re.compile(rb"\r"),
    "LF": re.compile(rb"\n"),
    "CRLF": re.compile(rb"\r\n"),
}

READ_TIMEOUT = 0.1  # how long a read waits: bounds how late stop() is noticed
READ_CHUNK = 4096


class LineFramer:
    """Cuts a byte stream into lines at the suffix; "auto" takes any run of CR, LF, TAB, ETX, EOT.

    A line longer than `max_line` bytes (without its terminator) is dropped, and with it every
    byte up to the next terminator, so at most `max_line` bytes plus the last chunk fed are ever
    held. `overlong` counts the lines dropped so. Each line keeps its terminator; lines empty
    without it are skipped (a CR then, in a later read, its LF in "auto").
    """

    def __init__(self, suffix: Suffix = "auto", max_line: int = 4096) -> None:
        if suffix not in SUFFIXES:
            raise ValueError(f"suffix must be one of {', '.join(SUFFIXES)}, not {suffix!r}")
        self._terminator = SUFFIXES[suffix]
        self._max_line = max_line
        self._buffer = bytearray()
        self._discarding = False
        self.overlong = 0

    def clear(self) -> None:
        """Forget the partial line (after a reconnect its start is lost)."""
        self._buffer.clear()
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes]:
        """The lines that `data` completes, in order, each with its terminator."""
        self._buffer += data
        lines: list[bytes] = []
        while match := self._terminator.search(self._buffer):
            line, length = bytes(self._buffer[: match.end()]), match.start()
            del self._buffer[: match.end()]
            if self._discarding:
                self._discarding = False  # the end of a line already counted as too long
            elif length > self._max_line:
                self.overlong += 1
            elif length:
                lines.append(line)
        if len(self._buffer) > self._max_line:
            if not self._discarding:
                self.overlong += 1
                self._discarding = True
            # Keep a final CR: it may be the first half of a CRLF terminator.
            keep = 1 if self._buffer.endswith(b"\r") else 0
            del self._buffer[: len(self._buffer) - keep]
        return lines


class Debounce:
    """Accepts a line unless it equals the previous one, seen less than `seconds` ago.

    The window runs from the last sighting, so a card left under the imager is reported once
    however long it stays. Only a hash of the last line is kept, never the line itself.
    """

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._last: bytes | None = None
        self._last_at = 0.0

    def accept(self, line: bytes, now: float) -> bool:
        """`now`: a monotonic time in seconds."""
        digest = hashlib.blake2b(line, digest_size=16).digest()
        repeated = digest == self._last and now - self._last_at < self._seconds
        self._last, self._last_at = digest, now
        return not repeated


class SerialScanner:
    """The imager at `url`: a tty path (/dev/ttyACM0, /dev/qr-scanner) or a pyserial URL.

    `on_line(line)` gets each accepted line with its terminator; `on_state(state)` gets
    "connected" / "disconnected" on each change (and the first state). Both are called on the
    reader thread: keep them short and hand over to the UI thread (Clock.schedule_once).
    A tty is opened exclusively, so a second program gets "busy" rather than half the lines.
    CDC imagers ignore `baudrate`; it matters only behind a real USB-serial adapter.
    `reconnect` sets the delays between attempts to reopen the port (devices.serial_worker).
    """

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 9600,
        suffix: Suffix = "auto",
        max_line: int = 4096,
        debounce_s: float = 2.0,
        on_line: Callable[[bytes], None],
        on_state: Callable[[str], None] | None = None,
        reconnect: Backoff | None = None,
    ) -> None:
        self.url = url
        self._framer = LineFramer(suffix, max_line)
        self._max_line = max_line
        self._debounce = Debounce(debounce_s)
        self._on_line = on_line
        self._worker = SerialWorker(
            partial(open_transport, url, baudrate=baudrate, device="scanner"),
            self._read,
            name="qr-scanner",
            label=f"scanner {url}",
            on_state=on_state,
            logger=log,
            backoff=reconnect,
        )

    @property
    def state(self) -> str:
        return self._worker.state

    @property
    def overlong_lines(self) -> int:
        """Lines dropped for being longer than max_line since the scanner was created."""
        return self._framer.overlong

    def start(self) -> None:
        """Start the reader thread (a daemon). It never gives up reopening the port."""
        self._worker.start()

    def stop(self) -> None:
        """Stop reading and close the port; returns once the reader thread has ended."""
        self._worker.stop()

    def _read(self, port: Transport, stopping: threading.Event) -> None:
        """Deliver lines until stopped; a lost device surfaces as a TransportError."""
        framer = self._framer
        framer.clear()
        while not stopping.is_set():
            data = port.read_available(READ_CHUNK, READ_TIMEOUT)
            if not data:
                continue
            overlong = framer.overlong
            lines = framer.feed(data)
            if framer.overlong != overlong:
                log.warning(
                    "scanner %s: dropped a line longer than %d bytes (%d so far)",
                    self.url,
                    self._max_line,
                    framer.overlong,
                )
            for line in lines:
                if self._debounce.accept(line, time.monotonic()):
                    self._deliver(line)
                else:
                    log.debug("scanner %s: the same %d bytes again, dropped", self.url, len(line))

    def _deliver(self, line: bytes) -> None:
        log.debug("scanner %s: read a line of %d bytes", self.url, len(line))
        try:
            self._on_line(line)
        except Exception as exc:
            # Its message may quote what was scanned: name the error only.
            log.error("scanner %s: the line handler failed with %s", self.url, type(exc).__name__)
