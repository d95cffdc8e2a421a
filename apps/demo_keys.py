"""The demo's keys, bound on the window beside the app (never inside it): F5–F8 flip the virtual
printer's faults, F9 takes the demo's central server down or up, F10 makes the virtual scanner
read the next of the demo's ID cards (on the card step)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from kivy.core.window import Window

from kiosk.demo import DemoTwins

log = logging.getLogger("apps.demo_keys")

PRINTER_SWITCHES = {286: "paper_out", 287: "cover_open", 288: "offline", 289: "stalled"}
CENTRAL_KEY = 290  # F9
SCAN_KEY = 291  # F10


class DemoKeys:
    """Binds the keys while the demo's app runs; each action runs off the main thread when it
    may wait (the server's restart, the scanner's write)."""

    def __init__(self, twins: DemoTwins) -> None:
        self._twins = twins

    def bind(self) -> None:
        Window.bind(on_key_down=self._on_key)

    def unbind(self) -> None:
        Window.unbind(on_key_down=self._on_key)

    def _on_key(self, _window: Any, key: int, *_args: Any) -> bool:
        switch = PRINTER_SWITCHES.get(key)
        if switch is not None:
            value = self._twins.flip_printer(switch)
            log.info("demo: virtual printer %s = %s", switch, value)
            return True
        if key == CENTRAL_KEY:
            threading.Thread(target=self._twins.central.toggle, daemon=True).start()
            return True
        if key == SCAN_KEY:
            threading.Thread(target=self._twins.scan_next_card, daemon=True).start()
            return True
        return False
