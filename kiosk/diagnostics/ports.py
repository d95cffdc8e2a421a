"""The serial ports present on this device, for a fix that says where to look."""

from __future__ import annotations

import glob

PORT_PATTERNS = ("/dev/serial/by-id/*", "/dev/ttyUSB*", "/dev/ttyACM*", "/dev/usb/lp*")


def present_serial_ports() -> list[str]:
    return sorted({path for pattern in PORT_PATTERNS for path in glob.glob(pattern)})
