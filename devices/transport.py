"""Byte transports to a serial device: serial ports and pyserial URLs, or raw device files.

`open_transport` picks the kind from the URL: anything with "://" (socket://host:9100,
loop://) and tty devices (/dev/ttyUSB0, /dev/pts/N) go through pyserial; any other path
(/dev/usb/lp0) is read and written directly on a non-blocking descriptor. Error messages name
the device ("printer", "scanner"...) and its port in plain English.
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
    """The device did not take all the data within the write timeout."""


class Transport(ABC):
    """An open connection to a device. Not thread-safe: the driver serialises access."""

    @abstractmethod
    def write(self, data: bytes) -> None:
        """Write all of `data`, or raise TransportTimeout / TransportError."""

    @abstractmethod
    def read(self, n: int, timeout: float) -> bytes:
        """Up to `n` bytes, waiting at most `timeout` seconds for them; b"" if none came."""

    @abstractmethod
    def read_available(self, limit: int, timeout: float) -> bytes:
        """The bytes received (at most `limit`) as soon as there is one, waiting at most
        `timeout` seconds for it; b"" if none came. For devices that send when they like."""

    @abstractmethod
    def reset_input(self) -> None:
        """Discard bytes received but not read yet (e.g. late status answers)."""

    @abstractmethod
    def close(self) -> None:
        """Close the port (closing it again does nothing). After a write timeout, data not yet
        sent is discarded so that a stuck device cannot hold the close; otherwise it is still
        delivered."""


def open_transport(
    url: str, *, baudrate: int, write_timeout: float = 5.0, device: str = "printer"
) -> Transport:
    """Open the `device` at `url`; TransportError says why in plain English if it cannot.

    A tty is locked (flock) while open, so a second program gets "busy" rather than half the
    bytes. Opening a tty discards what it received while nobody had it open."""
    if "://" in url:
        return _SerialTransport(url, baudrate, write_timeout, device, exclusive=False)
    try:
        fd = os.open(url, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise TransportError(f"cannot open {device} port {url}: {exc.strerror}") from exc
    if os.isatty(fd):
        os.close(fd)
        return _SerialTransport(url, baudrate, write_timeout, device, exclusive=True)
    return _FileTransport(url, fd, write_timeout, device)


class _SerialTransport(Transport):
    def __init__(
        self, url: str, baudrate: int, write_timeout: float, device: str, *, exclusive: bool
    ) -> None:
        self._url = url
        self._device = device
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
                    f"{device} port {url} is busy: another program has it open"
                ) from exc
            raise TransportError(f"cannot open {device} port {url}: {exc}") from exc
        self._port = port
        self._timeout = 0.0
        self._stuck = False

    def write(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except serial.SerialTimeoutException as exc:
            self._stuck = True
            raise TransportTimeout(
                f"{self._device} on {self._url} did not take {len(data)} bytes within "
                f"{self._port.write_timeout:g} s"
            ) from exc
        except _SERIAL_ERRORS as exc:
            raise self._error("writing to", exc) from exc

    def read(self, n: int, timeout: float) -> bytes:
        try:
            if timeout != self._timeout:
                self._port.timeout = timeout
                self._timeout = timeout
            return bytes(self._port.read(n))
        except _SERIAL_ERRORS as exc:
            raise self._error("reading from", exc) from exc

    def read_available(self, limit: int, timeout: float) -> bytes:
        first = self.read(1, timeout)
        if not first:
            return b""
        try:
            # Already received, so this read returns at once: the timeout is left as it is
            # (setting it reconfigures the port, which some USB-serial chips do not like).
            waiting = min(self._port.in_waiting, limit - 1)
            return first + bytes(self._port.read(waiting)) if waiting else first
        except _SERIAL_ERRORS as exc:
            raise self._error("reading from", exc) from exc

    def reset_input(self) -> None:
        try:
            self._port.reset_input_buffer()
        except _SERIAL_ERRORS as exc:
            raise TransportError(f"{self._device} port {self._url} failed: {exc}") from exc

    def _error(self, doing: str, exc: Exception) -> TransportError:
        return TransportError(f"{doing} {self._device} on {self._url} failed: {exc}")

    def close(self) -> None:
        if self._stuck:
            # Else closing a real serial port waits (up to 30 s) for the stuck data to drain.
            # A port that is already dead cannot be flushed; closing it is all that is left.
            with contextlib.suppress(*_SERIAL_ERRORS):
                self._port.reset_output_buffer()
        self._port.close()


class _FileTransport(Transport):
    """A device file that is not a tty, e.g. the usblp driver's /dev/usb/lp0."""

    def __init__(self, path: str, fd: int, write_timeout: float, device: str) -> None:
        self._path = path
        self._fd = fd
        self._write_timeout = write_timeout
        self._device = device

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        done = 0
        deadline = time.monotonic() + self._write_timeout
        while done < len(view):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportTimeout(
                    f"{self._device} {self._path} took only {done} of {len(view)} bytes within "
                    f"{self._write_timeout:g} s"
                )
            try:
                _, writable, _ = select.select([], [self._fd], [], remaining)
                if writable:
                    done += os.write(self._fd, view[done:])
            except BlockingIOError:
                continue
            except OSError as exc:
                raise self._error("writing to", exc) from exc

    def read(self, n: int, timeout: float) -> bytes:
        out = bytearray()
        deadline = time.monotonic() + timeout
        while len(out) < n:
            chunk = self._read_once(n - len(out), max(0.0, deadline - time.monotonic()))
            if not chunk:
                break  # nothing came in time, or end of file: nothing more will come
            out += chunk
        return bytes(out)

    def read_available(self, limit: int, timeout: float) -> bytes:
        chunk = self._read_once(limit, timeout)
        if chunk is None:
            raise TransportError(f"{self._device} {self._path} has ended (end of file)")
        return chunk

    def _read_once(self, limit: int, timeout: float) -> bytes | None:
        """What one read gets within `timeout` (b"" if nothing came), None at end of file."""
        try:
            readable, _, _ = select.select([self._fd], [], [], timeout)
            if not readable:
                return b""
            return os.read(self._fd, limit) or None
        except BlockingIOError:
            return b""  # select saw data that another reader took
        except OSError as exc:
            raise self._error("reading from", exc) from exc

    def reset_input(self) -> None:
        while self.read(4096, 0):
            pass

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _error(self, doing: str, exc: OSError) -> TransportError:
        return TransportError(f"{doing} {self._device} {self._path} failed: {exc.strerror}")
