"""Start a role's app in a window: Kivy's settings, the window, the app the role names, and
SIGTERM handled like a closed window. The command line reaches this module by name only
(kiosk.roles.LAUNCHER), so that none of its commands imports Kivy."""

from __future__ import annotations

import logging
import os
import signal
from typing import TYPE_CHECKING, Any

from kiosk.config import Config
from kiosk.config.device import TouchConfig
from kiosk.roles import app_class
from kiosk.services import DeviceData

if TYPE_CHECKING:
    from kiosk.demo import DemoTwins

log = logging.getLogger("apps.launch")

KIVY_ENV = {
    "KIVY_NO_ARGS": "1",  # Kivy must not read our command line (it would eat --help)
    "KIVY_NO_CONFIG": "1",  # no ~/.kivy/config.ini: our config is in config/ and /etc/kiosk
    "KIVY_NO_FILELOG": "1",
    "KIVY_LOG_MODE": "PYTHON",
}


def configure_input(kivy_config: Any, touch: TouchConfig) -> None:
    """The touch panel through SDL (as a mouse, turned with the window), or read from its event
    device with its own axes; never both, or every touch would count twice."""
    if not touch.device:
        kivy_config.set("input", "mouse", "mouse,disable_multitouch")
        return
    if kivy_config.has_option("input", "mouse"):
        kivy_config.remove_option("input", "mouse")
    kivy_config.set(
        "input",
        "touch",
        f"hidinput,{touch.device},rotation={touch.rotation},"
        f"invert_x={int(touch.invert_x)},invert_y={int(touch.invert_y)}",
    )


def run_app(
    config: Config, data: DeviceData, *, verbose: bool, demo: DemoTwins | None = None
) -> int:
    """Runs the app of `config.device.role` until its window closes or SIGTERM; `demo` binds
    the demo's keys beside it."""
    for key, value in KIVY_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("KIVY_DPI", str(config.panel.dpi))
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "exit_on_escape", "0")
    panel = config.panel
    configure_input(KivyConfig, panel.touch)
    width, height = panel.window_size
    KivyConfig.set("graphics", "width", str(width))
    KivyConfig.set("graphics", "height", str(height))
    KivyConfig.set("graphics", "rotation", str(panel.rotation))
    if not panel.fullscreen and (panel.left is not None or panel.top is not None):
        # Read when the window is created (importing apps.base creates it): only from here.
        KivyConfig.set("graphics", "position", "custom")
        KivyConfig.set("graphics", "left", str(panel.left or 0))
        KivyConfig.set("graphics", "top", str(panel.top or 0))
    from apps.base import configure_window

    logging.getLogger("kivy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    configure_window(config)
    app = app_class(config.device.role)(config, data)
    from kivy.core.window import Window

    width, height = Window.size
    log.info(
        'window "%s": %dx%d at left %d, top %d', app.title, width, height, Window.left, Window.top
    )
    keys = None
    if demo is not None:
        from apps.demo_keys import DemoKeys

        keys = DemoKeys(demo)
        keys.bind()
    # systemctl stop / kill: stop like a closed window, so the workers finish and children end.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: app.stop())
    try:
        app.run()
    finally:
        if keys is not None:
            keys.unbind()
    return 0
