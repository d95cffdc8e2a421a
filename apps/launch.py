"""Start a role's app in a window: Kivy's settings, the window, the app the role names, and
SIGTERM handled like a closed window. The command line reaches this module by name only
(kiosk.roles.LAUNCHER), so that none of its commands imports Kivy."""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Config
from kiosk.roles import app_class
from kiosk.services import DeviceData

if TYPE_CHECKING:
    from kivy.app import App

    from kiosk.demo import DemoTwins

log = logging.getLogger("apps.launch")

KIVY_ENV = {
    "KIVY_NO_ARGS": "1",  # Kivy must not read our command line (it would eat --help)
    "KIVY_NO_CONFIG": "1",  # no ~/.kivy/config.ini: our config is in config/ and /etc/kiosk
    "KIVY_NO_FILELOG": "1",
    "KIVY_LOG_MODE": "PYTHON",
}


def stop_on_sigterm(app: App) -> None:
    """systemctl stop / kill: stop like a closed window, so the workers finish and children end.

    The stop goes through the Clock: a SIGTERM that arrives while build() is still making the
    screens would otherwise stop the app under them (their rules then find no running app and
    the start ends in a traceback). The Clock runs it at the first frame of the loop."""
    from kivy.clock import Clock

    signal.signal(
        signal.SIGTERM, lambda _signum, _frame: Clock.schedule_once(lambda _dt: app.stop())
    )


def run_app(
    config: Config, data: DeviceData, *, verbose: bool, demo: DemoTwins | None = None
) -> int:
    """Runs the app of `config.device.role` until its window closes or SIGTERM; `demo` binds
    the demo's keys beside it."""
    _prepare_window(config, verbose=verbose)
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
    stop_on_sigterm(app)
    try:
        app.run()
    finally:
        if keys is not None:
            keys.unbind()
    return 0


def run_setup(config: Config, override: Path | None, *, verbose: bool) -> bool:
    """Runs the setup app (apps.setup) until the device is provisioned (True) or its window
    closes or SIGTERM (False)."""
    _prepare_window(config, verbose=verbose)
    from apps.setup import SetupApp

    app = SetupApp(config, override)
    stop_on_sigterm(app)
    app.run()
    return app.provisioned is not None


def _prepare_window(config: Config, *, verbose: bool) -> None:
    """Kivy's settings and the window, before an app is made."""
    for key, value in KIVY_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("KIVY_DPI", str(config.panel.dpi))
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")
    KivyConfig.set("graphics", "width", str(config.panel.width))
    KivyConfig.set("graphics", "height", str(config.panel.height))
    panel = config.panel
    if not panel.fullscreen and (panel.left is not None or panel.top is not None):
        # Read when the window is created (importing apps.base creates it): only from here.
        KivyConfig.set("graphics", "position", "custom")
        KivyConfig.set("graphics", "left", str(panel.left or 0))
        KivyConfig.set("graphics", "top", str(panel.top or 0))
    from apps.base import configure_window

    logging.getLogger("kivy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    configure_window(config)
