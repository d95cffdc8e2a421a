"""A virtual QR imager in USB-serial mode on a pseudo-terminal: the twin of the real scanner.

The driver opens `device_path` exactly as it opens /dev/ttyACM0; each `scan` arrives there as
the payload's bytes and a suffix, as from an imager reading a code. It can be unplugged and
plugged in again. Bytes scanned while no driver has the port open are lost, as with a real
imager: the driver flushes the port when it opens it.

Run it alone for the demo: `python -m devices.virtual_scanner [--link PATH] [--suffix CRLF]`
prints its device path first, then sends each line of standard input and exits at the end of
the input (once the driver has read everything), which unplugs it. `run` with samples from the
caller scans the next of them each time Enter is pressed instead; the twin knows no sample file
(`python -m kiosk.citizen_id_sample_scanner` runs it with the shared citizen ID samples).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import select
import shutil
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Sequence
from pathlib import Path

from devices.pty_pair import PtyPair, open_pty_pair

SUFFIX_BYTES = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n"}
DRAIN_SETTLE = 0.1  # seconds the input queue must stay empty to count as read


class VirtualScanner:
    """A scanner twin on a pty. With `link`, `device_path` is that symlink, re-pointed to the new
    pty at each replug like a udev rule's /dev/qr-scanner; without it, a replugged twin has a new
    path, as a real imager may come back as ttyACM1.

    The path is always a symlink that is removed at unplug, as udev removes a device's node: a
    bare /dev/pts/N would be handed to the next pty opened on the machine, so a driver still
    retrying it could open another program's port (another test's printer twin, say)."""

    def __init__(self, link: Path | None = None) -> None:
        self._link = link
        self._own_folder = None if link is not None else Path(tempfile.mkdtemp(prefix="scanner-"))
        self._plugs = 0
        self._path = ""
        self._pty: PtyPair | None = None
        self.replug()

    @property
    def device_path(self) -> str:
        return self._path

    @property
    def plugged(self) -> bool:
        return self._pty is not None

    def scan(self, payload: bytes, suffix: bytes = b"\r\n", *, timeout: float = 10.0) -> None:
        """Send `payload` and `suffix` as the imager does after reading a code.

        Blocks while the driver is slower than the data (the pty buffer is small); TimeoutError
        if it has not taken everything within `timeout` seconds."""
        if self._pty is None:
            raise RuntimeError("the virtual scanner is unplugged")
        fd = self._pty.master_fd
        data = memoryview(payload + suffix)
        total = len(data)
        deadline = time.monotonic() + timeout
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(
                    f"the driver took {total - len(data)} of {total} bytes in {timeout:g} s"
                )
            _, writable, _ = select.select([], [fd], [], remaining)
            if writable:
                try:
                    data = data[os.write(fd, data) :]
                except BlockingIOError:
                    continue

    def drain(self, timeout: float = 5.0) -> bool:
        """Wait until the driver has read every byte scanned; False if not within `timeout`.

        The kernel moves bytes written to the pty into the tty's input queue a little later
        (from a work queue), so the queue must stay empty for DRAIN_SETTLE seconds."""
        deadline = time.monotonic() + timeout
        empty_since = None
        while self._pty is not None:
            now = time.monotonic()
            if _unread(self._pty.slave_fd):
                empty_since = None
            elif empty_since is None:
                empty_since = now
            elif now - empty_since >= DRAIN_SETTLE:
                return True
            if now > deadline:
                return False
            time.sleep(0.01)
        return True

    def unplug(self) -> None:
        """Close the pty: a driver holding the port sees a hang-up, and the path vanishes."""
        if self._pty is not None:
            Path(self._path).unlink(missing_ok=True)
            self._pty.close()
            self._pty = None

    def replug(self) -> None:
        """Plug in again (a no-op while plugged in): a new pty, and the path points to it."""
        if self._pty is not None:
            return
        self._pty = open_pty_pair()
        if self._own_folder is not None:
            link = self._own_folder / f"ttyACM{self._plugs}"
        else:
            assert self._link is not None
            link = self._link
        self._plugs += 1
        fresh = link.with_name(f".{link.name}.new")
        fresh.unlink(missing_ok=True)
        fresh.symlink_to(self._pty.slave_path)
        os.replace(fresh, link)
        self._path = str(link)

    def close(self) -> None:
        """Unplug for good (which removes the path)."""
        self.unplug()
        if self._own_folder is not None:
            shutil.rmtree(self._own_folder, ignore_errors=True)


def _unread(slave_fd: int) -> int:
    """Bytes waiting in the tty's input queue, which the driver's reads empty."""
    return struct.unpack("i", fcntl.ioctl(slave_fd, termios.TIOCINQ, b"\0\0\0\0"))[0]


def arguments(prog: str, description: str) -> argparse.ArgumentParser:
    """The twin's command-line options (--link, --suffix), for `run`; a caller may add its own."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--link", type=Path, help="a symlink to the tty, like /dev/qr-scanner")
    parser.add_argument("--suffix", choices=SUFFIX_BYTES, default="CRLF", help="after each code")
    return parser


def run(args: argparse.Namespace, samples: Sequence[tuple[str, bytes]] | None = None) -> None:
    """Print the device path, then scan each line of standard input; with `samples` (what each
    is, and its payload), scan the next of them each time Enter is pressed instead."""
    scanner = VirtualScanner(args.link)
    suffix = SUFFIX_BYTES[args.suffix]
    print(scanner.device_path, flush=True)
    try:
        if samples is None:
            for line in sys.stdin.buffer:
                scanner.scan(line.rstrip(b"\r\n"), suffix)
        else:
            _scan_samples(scanner, suffix, samples)
        scanner.drain()  # unplugging drops what the driver has not read yet
    except KeyboardInterrupt:
        pass
    finally:
        scanner.close()


def _scan_samples(
    scanner: VirtualScanner, suffix: bytes, samples: Sequence[tuple[str, bytes]]
) -> None:
    for number, (what, payload) in enumerate(samples, start=1):
        print(f"[{number}/{len(samples)}] Enter scans {what}", flush=True)
        if not sys.stdin.readline():
            return
        scanner.scan(payload, suffix)
    print("All samples scanned.", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = arguments(
        "python -m devices.virtual_scanner",
        "Run a virtual QR scanner on a pseudo-terminal; it scans what you type.",
    )
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
