"""A physical rating keypad: 3 to 5 big buttons on a serial port (USB CDC), in place of the
faces on the touchscreen.

Each press sends one ASCII digit, '1' (the best level) to '5', possibly followed by CR and/or
LF. Any other byte (line noise, a digit beyond the keypad's buttons) is ignored. A reader thread
(devices.serial_worker) keeps the port open, and when it fails (the keypad unplugged) reopens it,
waiting a little longer after each failed attempt, never giving up. Bytes that arrived while the
port was closed are dropped when it opens: a press nobody saw happen is never handed on late.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from enum import Enum
from functools import partial

from devices.serial_worker import Backoff, SerialWorker
from devices.transport import Transport, open_transport

log = logging.getLogger("devices.rating_keypad")

READ_TIMEOUT = 0.2  # seconds a read waits for the first byte: how soon stop() is noticed


class KeypadState(Enum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class RatingKeypad:
    """The keypad at `url` (a device path such as /dev/ttyACM0 or /dev/serial/by-id/…, or a
    pyserial URL) with `buttons` buttons (3 to 5).

    `on_press(level, at)` is called from the reader thread for each press, `at` being the
    time.monotonic() the byte was read; `on_state` with each new KeypadState (and the first).
    Keep both short: hand them over to the UI loop. `reconnect` sets the delays between
    attempts to reopen the port (devices.serial_worker).
    """

    def __init__(
        self,
        url: str,
        *,
        buttons: int,
        on_press: Callable[[int, float], None],
        on_state: Callable[[KeypadState], None] | None = None,
        baudrate: int = 9600,
        reconnect: Backoff | None = None,
    ) -> None:
        if not 3 <= buttons <= 5:
            raise ValueError("a rating keypad has 3 to 5 buttons")
        self._buttons = buttons
        self._on_press = on_press
        self._worker = SerialWorker(
            partial(open_transport, url, baudrate=baudrate, device="rating keypad"),
            self._read,
            name="rating-keypad",
            label=f"rating keypad {url}",
            on_state=None if on_state is None else lambda state: on_state(KeypadState(state)),
            logger=log,
            backoff=reconnect,
        )

    @property
    def state(self) -> KeypadState:
        return KeypadState(self._worker.state)

    def start(self) -> None:
        """Start the reader thread (a daemon)."""
        self._worker.start()

    def stop(self) -> None:
        """Stop the reader thread and close the port (waits up to about READ_TIMEOUT)."""
        self._worker.stop()

    def _read(self, port: Transport, stopping: threading.Event) -> None:
        while not stopping.is_set():
            data = port.read_available(64, READ_TIMEOUT)
            at = time.monotonic()
            for byte in data:
                level = byte - ord("0")
                if 1 <= level <= self._buttons:
                    self._press(level, at)

    def _press(self, level: int, at: float) -> None:
        try:
            self._on_press(level, at)
        except Exception:
            log.exception("rating keypad press handler failed")
