"""A physical rating keypad: 3 to 5 big buttons on a serial port (USB CDC), in place of the
faces on the touchscreen.

Each press sends one ASCII digit, '1' (the best level) to '5', possibly followed by CR and/or
LF. Any other byte (line noise, a digit beyond the keypad's buttons) is ignored. A reader thread
keeps the port open, and when it fails (the keypad unplugged) reopens it, waiting a little
longer after each failed attempt, never giving up. Bytes that arrived while the port was closed
are dropped when it opens: a press nobody saw happen is never handed on late.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from enum import Enum

import serial

log = logging.getLogger("devices.rating_keypad")

READ_TIMEOUT = 0.2  # seconds a read waits: how soon stop() is noticed
RECONNECT_FIRST_DELAY = 0.25
RECONNECT_MAX_DELAY = 2.0
"""Seconds between attempts to open a port that cannot be opened (doubling up to the max)."""

_ERRORS = (serial.SerialException, OSError, ValueError)


class KeypadState(Enum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


class RatingKeypad:
    """The keypad at `url` (a device path such as /dev/ttyACM0 or /dev/serial/by-id/…, or a
    pyserial URL) with `buttons` buttons (3 to 5).

    `on_press(level, at)` is called from the reader thread for each press, `at` being the
    time.monotonic() the byte was read; `on_state` with each new KeypadState (and the first).
    Keep both short: hand them over to the UI loop.
    """

    def __init__(
        self,
        url: str,
        *,
        buttons: int,
        on_press: Callable[[int, float], None],
        on_state: Callable[[KeypadState], None] | None = None,
        baudrate: int = 9600,
    ) -> None:
        if not 3 <= buttons <= 5:
            raise ValueError("a rating keypad has 3 to 5 buttons")
        self._url = url
        self._buttons = buttons
        self._on_press = on_press
        self._on_state = on_state
        self._baudrate = baudrate
        self._state: KeypadState | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def state(self) -> KeypadState:
        return self._state or KeypadState.DISCONNECTED

    def start(self) -> None:
        """Start the reader thread (a daemon)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="rating-keypad", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the reader thread and close the port (waits up to about READ_TIMEOUT)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            port = self._open()
            if port is None:
                failures += 1
                delay = min(RECONNECT_FIRST_DELAY * 2 ** (failures - 1), RECONNECT_MAX_DELAY)
                self._stop.wait(delay)
                continue
            failures = 0
            self._set_state(KeypadState.CONNECTED, f"opened {self._url}")
            try:
                self._read(port)
            finally:
                with contextlib.suppress(*_ERRORS):
                    port.close()

    def _open(self) -> serial.SerialBase | None:
        try:
            port = serial.serial_for_url(self._url, do_not_open=True)
            port.baudrate = self._baudrate
            port.timeout = READ_TIMEOUT
            if "://" not in self._url:
                port.exclusive = True  # flock: no second program reading our presses
            port.open()
        except _ERRORS as error:
            self._set_state(KeypadState.DISCONNECTED, f"cannot open {self._url}: {error}")
            return None
        return port

    def _read(self, port: serial.SerialBase) -> None:
        while not self._stop.is_set():
            try:
                data = port.read(64)
            except _ERRORS as error:
                self._set_state(KeypadState.DISCONNECTED, f"{self._url} failed: {error}")
                return
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

    def _set_state(self, state: KeypadState, reason: str) -> None:
        if state is self._state:
            return
        log.log(
            logging.INFO if state is KeypadState.CONNECTED else logging.WARNING,
            "rating keypad %s: %s",
            state.value,
            reason,
        )
        self._state = state
        if self._on_state is not None:
            try:
                self._on_state(state)
            except Exception:
                log.exception("rating keypad state handler failed")
