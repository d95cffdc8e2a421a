"""The serial and printer ports present on this device, for the setup screen to offer.

Stable names first (the udev rules' /dev/kiosk-printer and /dev/kiosk-scanner, then
/dev/serial/by-id/*, which survive a replug into another USB socket), then the kernel's names
(/dev/ttyUSB*, /dev/ttyACM*, /dev/usb/lp*), then any other port pyserial knows of.
"""

from __future__ import annotations

from pathlib import Path

PATTERNS = (
    "kiosk-printer",
    "kiosk-scanner",
    "serial/by-id/*",
    "ttyUSB*",
    "ttyACM*",
    "usb/lp*",
)


def present_ports(dev: Path = Path("/dev")) -> list[str]:
    """The ports present now, each once, in the order above. `dev` is /dev except in tests,
    which also leave pyserial's list out."""
    found: list[str] = []
    for pattern in PATTERNS:
        found += sorted(str(path) for path in dev.glob(pattern) if str(path) not in found)
    if dev == Path("/dev"):
        from serial.tools import list_ports

        found += sorted(port.device for port in list_ports.comports() if port.device not in found)
    return found
