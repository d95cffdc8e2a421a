"""systemd notification: READY=1 after the first frame, WATCHDOG=1 from the Kivy main loop.

Pinging from the main loop (not a thread) is the point: if the UI freezes, the pings stop and
systemd restarts the kiosk. Without NOTIFY_SOCKET (not under systemd) every call is a no-op.
"""

from __future__ import annotations

import os
import socket


def notify(message: str) -> bool:
    """Sends one sd_notify message; returns False when not running under systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):  # abstract namespace socket
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        sock.connect(address)
        sock.sendall(message.encode("utf-8"))  # STATUS= may name a file in Vietnamese
    return True


def watchdog_interval() -> float | None:
    """Half the WatchdogSec systemd gave this process, in seconds, or None when there is none."""
    usec = os.environ.get("WATCHDOG_USEC")
    pid = os.environ.get("WATCHDOG_PID")
    if not usec or (pid and int(pid) != os.getpid()):
        return None
    return int(usec) / 2_000_000
