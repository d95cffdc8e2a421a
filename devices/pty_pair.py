"""A raw pseudo-terminal pair: the device end of the virtual printer and scanner twins."""

from __future__ import annotations

import os
import pty
import tty
from dataclasses import dataclass


@dataclass(frozen=True)
class PtyPair:
    """The twin owns `master_fd` (non-blocking); drivers open `slave_path` like a serial port.

    The twin also keeps `slave_fd` open so the pair survives a driver closing and reopening the
    port (with no slave open, reads on the master fail with EIO).
    """

    master_fd: int
    slave_fd: int
    slave_path: str

    def close(self) -> None:
        """Close both ends: a driver still holding the port then sees a hang-up (EIO)."""
        os.close(self.master_fd)
        os.close(self.slave_fd)


def open_pty_pair() -> PtyPair:
    """Open a pty pair in raw mode.

    Raw mode is set on the slave before anyone opens it, so every byte (0x0A, 0x11/0x13 XON/XOFF,
    0x03 interrupt...) passes untouched in both directions.
    """
    master_fd, slave_fd = pty.openpty()
    tty.setraw(slave_fd)
    os.set_blocking(master_fd, False)
    return PtyPair(master_fd, slave_fd, os.ttyname(slave_fd))
