"""Start a role's app in a window: Kivy's settings, the window, the app the role names, and
SIGTERM handled like a closed window; or, when the configuration cannot be read, the error
screen (apps.config_error). The command line reaches this module by name only
(kiosk.roles.LAUNCHER), so that none of its commands imports Kivy."""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from kiosk.config import Config
from kiosk.config.device import PanelConfig, TouchConfig, parse_panel
from kiosk.config.reader import Document
from kiosk.paths import SHIPPED_CONFIG_DIR
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


def kivy_settings(panel: PanelConfig) -> Any:
    """Kivy's environment and settings for `panel`, before Kivy is imported; returns Kivy's
    Config (the window is made from it when first imported)."""
    for key, value in KIVY_ENV.items():
        os.environ.setdefault(key, value)
    os.environ.setdefault("KIVY_DPI", str(panel.dpi))
    from kivy.config import Config as KivyConfig

    KivyConfig.set("kivy", "exit_on_escape", "0")
    configure_input(KivyConfig, panel.touch)
    width, height = panel.window_size
    KivyConfig.set("graphics", "width", str(width))
    KivyConfig.set("graphics", "height", str(height))
    KivyConfig.set("graphics", "rotation", str(panel.rotation))
    return KivyConfig


def window_opened(purpose: str) -> bool:
    """Opens Kivy's window (its settings made); False, said in one sentence, when there is no
    screen (Kivy's own report of that is a traceback, kept out of the log)."""
    kivy_log = logging.getLogger("kivy")
    level = kivy_log.level
    kivy_log.setLevel(logging.CRITICAL + 1)
    from kivy.core.window import Window

    kivy_log.setLevel(level)
    if Window is None:
        driver = os.environ.get("SDL_VIDEODRIVER", "SDL's default")
        log.error("No screen %s (video driver %s): is the panel connected?", purpose, driver)
        return False
    return True


def run_app(
    config: Config, data: DeviceData, *, verbose: bool, demo: DemoTwins | None = None
) -> int:
    """Runs the app of `config.device.role` until its window closes or SIGTERM; `demo` binds
    the demo's keys beside it."""
    if not _prepare_window(config, verbose=verbose):
        return 1  # restarted by systemd: a panel connected later is found
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


def run_setup(config: Config, override: Path | None, *, verbose: bool) -> bool | None:
    """Runs the setup app (apps.setup) until the device is provisioned (True) or its window
    closes or SIGTERM (False); None when there is no screen."""
    if not _prepare_window(config, verbose=verbose):
        return None
    from apps.setup import SetupApp

    app = SetupApp(config, override)
    stop_on_sigterm(app)
    app.run()
    return app.provisioned is not None


def _prepare_window(config: Config, *, verbose: bool) -> bool:
    """Kivy's settings and the window, before an app is made; False when there is no screen."""
    panel = config.panel
    kivy_config = kivy_settings(panel)
    if not panel.fullscreen and (panel.left is not None or panel.top is not None):
        # Read when the window is created (importing apps.base creates it): only from here.
        kivy_config.set("graphics", "position", "custom")
        kivy_config.set("graphics", "left", str(panel.left or 0))
        kivy_config.set("graphics", "top", str(panel.top or 0))
    logging.getLogger("kivy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    if not window_opened("to draw the kiosk on"):
        return False
    from apps.base import configure_window

    configure_window(config)
    return True


def show_config_error(message: str, reload: Callable[[], object], check_every: float) -> bool:
    """Shows a configuration error on the screen until `reload()` stops raising ConfigError
    (True), SIGTERM (False), or returns False at once when no window can be opened. The panel is
    the shipped one (the site's is in the configuration that failed)."""
    panel = parse_panel(
        Document.load(SHIPPED_CONFIG_DIR / "kiosk.toml", None).root().table("panel")
    )
    return _show_start_problem(
        panel, "CONFIGURATION", message, reload, check_every, "to show the configuration error on"
    )


def show_storage_fault(
    config: Config, message: str, reload: Callable[[], object], check_every: float
) -> bool:
    """Shows why the device's data cannot be used (a damaged database, a read-only card, a full
    disk) until `reload()` stops raising DataUnavailable (True), SIGTERM (False), or returns
    False at once when no window can be opened."""
    return _show_start_problem(
        config.panel, "STORAGE", message, reload, check_every, "to show the storage fault on"
    )


def _show_start_problem(
    panel: PanelConfig,
    problem: Literal["CONFIGURATION", "STORAGE"],
    message: str,
    reload: Callable[[], object],
    check_every: float,
    purpose: str,
) -> bool:
    """The error screen (apps.config_error) of `problem` (the name of its StartProblem there),
    fullscreen under KMS/DRM as the service runs. Nothing of Kivy is imported before
    kivy_settings(): Kivy would read the command line (`--config DIR`) as its own."""
    kivy_config = kivy_settings(panel)
    if os.environ.get("SDL_VIDEODRIVER") == "kmsdrm":
        kivy_config.set("graphics", "fullscreen", "auto")
    logging.getLogger("kivy").setLevel(logging.WARNING)
    if not window_opened(purpose):
        return False
    from apps import config_error

    app = config_error.ConfigErrorApp(
        message, reload, check_every=check_every, problem=getattr(config_error, problem)
    )
    stop_on_sigterm(app)
    app.run()
    return app.fixed
