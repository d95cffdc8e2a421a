"""The ports the setup screen offers: those present, stable names first, each once."""

from __future__ import annotations

from pathlib import Path

from kiosk.device_ports import present_ports


def test_the_ports_present_are_listed_stable_names_first(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    for name in ("ttyACM0", "ttyUSB1", "ttyUSB0", "usb/lp0", "serial/by-id/usb-Zebra-if00", "tty0"):
        (dev / name).parent.mkdir(parents=True, exist_ok=True)
        (dev / name).touch()
    (dev / "kiosk-printer").symlink_to(dev / "ttyUSB0")
    assert present_ports(dev) == [
        str(dev / "kiosk-printer"),
        str(dev / "serial/by-id/usb-Zebra-if00"),
        str(dev / "ttyUSB0"),
        str(dev / "ttyUSB1"),
        str(dev / "ttyACM0"),
        str(dev / "usb/lp0"),
    ]
    assert present_ports(tmp_path / "empty") == []
