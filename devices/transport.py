"""Byte transports to a printer: serial ports and pyserial URLs, or raw device files.

`open_transport` picks the kind from the URL: anything with "://" (socket://host:9100,
loop://) and tty devices (/dev/ttyUSB0, /dev/pts/N) go through pyserial; any other path
(/dev/usb/lp0) is written directly with os.write on a non-blocking descriptor.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import termios
import time
from abc import ABC, abstractmethod

import serial

_SERIAL_ERRORS = (serial.SerialException, OSError, termios.error, ValueError)


class TransportError(Exception):
    """The port cannot be opened, or reading or writing it failed (e.g. the device is gone)."""


class TransportTimeout(TransportError):
    """The printer did not take all the data within the write timeout."""


class Transport(ABC):
    """An open connection to a printer. Not thread-safe: the driver serialises access."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Write all of `data`, or raise TransportTimeout / TransportError."""

    @abstractmethod
    def read(self, n: int, timeout: float) -> bytes:
        """Up to `n` bytes, waiting at most `timeout` seconds for them; b"" if none came."""

    @abstractmethod
    def reset_input(self) -> None:
        """Discard bytes received but not read yet (e.g. late status answers)."""

    @abstractmethod
    def close(self) -> None:
        """Close the port. After a write timeout, data not yet sent is discarded so that a
        stuck printer cannot hold the close; otherwise it is still delivered."""


def open_transport(url: str, *, baudrate: int, write_timeout: float) -> Transport:
    """Open the printer at `url`; TransportError says why in plain English if it cannot."""
    if "://" in url:
        return _SerialTransport(url, baudrate, write_timeout, exclusive=False)
    try:
        fd = os.open(url, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise TransportError(f"cannot open printer port {url}: {exc.strerror}") from exc
    if os.isatty(fd):
        os.close(fd)
        return _SerialTransport(url, baudrate, write_timeout, exclusive=True)
    return _FileTransport(url, fd, write_timeout)


class _SerialTransport(Transport):
    def __init__(self, url: str, baudrate: int, write_timeout: float, *, exclusive: bool) -> None:
        self._url = url
        try:
            port = serial.serial_for_url(url, do_not_open=True)
            port.baudrate = baudrate
            port.write_timeout = write_timeout
            port.timeout = 0
            if exclusive:
                # flock: a second process gets EWOULDBLOCK instead of interleaving bytes with us.
                port.exclusive = True
            port.open()
        except _SERIAL_ERRORS as exc:
            if getattr(exc, "errno", None) in (errno.EWOULDBLOCK, errno.EBUSY):
                raise TransportError(
                    f"printer port {url} is busy: another program has it open"
                ) from exc
            raise TransportError(f"cannot open printer port {url}: {exc}") from exc
        self._port = port
        self._timeout = 0.0
        self._stuck = False

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except serial.SerialTimeoutException as exc:
            self._stuck = True
            raise TransportTimeout(
                f"printer on {self._url} did not take {len(data)} bytes within "
                f"{self._port.write_timeout:g} s"
            ) from exc
        except _SERIAL_ERRORS as exc:
            raise TransportError(f"writing to printer on {self._url} failed: {exc}") from exc

    def read(self, n: int, timeout: float) -> bytes:
        try:
            if timeout != self._timeout:
                self._port.timeout = timeout
                self._timeout = timeout
            return bytes(self._port.read(n))
        except _SERIAL_ERRORS as exc:
            raise TransportError(f"reading from printer on {self._url} failed: {exc}") from exc

    def reset_input(self) -> None:
        try:
            self._port.reset_input_buffer()
        except _SERIAL_ERRORS as exc:
            raise TransportError(f"printer port {self._url} failed: {exc}") from exc

    def close(self) -> None:
        if self._stuck:
            # Else closing a real serial port waits (up to 30 s) for the stuck data to drain.
            # A port that is already dead cannot be flushed; closing it is all that is left.
            with contextlib.suppress(*_SERIAL_ERRORS):
                self._port.reset_output_buffer()
        self._port.close()


class _FileTransport(Transport):
    """A device file that is not a tty, e.g. the usblp driver's /dev/usb/lp0."""

    def __init__(self, path: str, fd: int, write_timeout: float) -> None:
        self._path = path
        self._fd = fd
        self._write_timeout = write_timeout

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        done = 0
        deadline = time.monotonic() + self._write_timeout
        while done < len(view):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportTimeout(
                    f"printer {self._path} took only {done} of {len(view)} bytes within "
                    f"{self._write_timeout:g} s"
                )
            try:
                _, writable, _ = select.select([], [self._fd], [], remaining)
                if writable:
                    done += os.write(self._fd, view[done:])
            except BlockingIOError:
                continue
            except OSError as exc:
                raise TransportError(
                    f"writing to printer {self._path} failed: {exc.strerror}"
                ) from exc

    def read(self, n: int, timeout: float) -> bytes:
        out = bytearray()
        deadline = time.monotonic() + timeout
        while len(out) < n:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                readable, _, _ = select.select([self._fd], [], [], remaining)
                if not readable:
                    break
                chunk = os.read(self._fd, n - len(out))
            except BlockingIOError:
                break  # select saw data that another reader took
            except OSError as exc:
                raise TransportError(
                    f"reading from printer {self._path} failed: {exc.strerror}"
                ) from exc
            if not chunk:
                break  # end of file: nothing more will come
            out += chunk
        return bytes(out)

    def reset_input(self) -> None:
        while self.read(4096, 0):
            pass

    def close(self) -> None:
        os.close(self._fd)
