"""Drive the real Kivy apps headless: a real window (SDL offscreen), real touches, real frames;
and the lobby's screens as a citizen goes through them."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.tests import UnitTestTouch
from kivy.uix.widget import Widget
from PIL import Image

from apps.counter import CounterApp
from apps.display import DisplayApp
from apps.lobby import LobbyApp
from common.office_clock import aware_now
from devices.virtual_printer import VirtualPrinter
from kiosk.config import Config
from kiosk.services import open_device_data
from tests.support.device import device_config
from tests.support.ports import free_udp_port

T = TypeVar("T")


def lobby_config(folder: Path, extra: str = "") -> Config:
    """The lobby's configuration in `folder` (etc/ and data/), polling the printer often. The
    lobby issues tickets at any hour (the real one, when the test runs), unless `extra` sets
    `closed_outside_hours` (the opening-hours tests, on an injected clock)."""
    if "closed_outside_hours" not in extra:
        line = "closed_outside_hours = false\n"
        extra = (
            extra.replace("[office]\n", "[office]\n" + line, 1)
            if "[office]\n" in extra
            else f"{extra}\n[office]\n{line}"
        )
    return device_config(
        folder, kiosk=f"[printer]\nstatus_interval = 0.5\nwrite_timeout = 1.0\n{extra}"
    )


@contextlib.contextmanager
def running_lobby(
    tmp_path: Path,
    *,
    size: tuple[int, int] = (1280, 800),
    extra_config: str = "",
    config: Config | None = None,
    clock: Callable[[], datetime] = aware_now,
) -> Iterator[tuple[LobbyApp, VirtualPrinter]]:
    """The lobby app on a virtual printer, shown in the test window, on `clock`."""
    if config is None:
        config = lobby_config(tmp_path, extra_config)
    printer = VirtualPrinter(tmp_path / "printed", width_dots=config.printer_profile.width_dots)
    printer.start()
    Window.size = size
    app = LobbyApp(
        config,
        open_device_data(config, clock),
        printer_url=printer.device_path,
    )
    app._run_prepare()  # what App.run() does before entering the event loop
    try:
        pump(lambda: app.printer_state is not None)
        yield app, printer
    finally:
        app.dispatch("on_stop")  # stops the workers and releases kv's cached `app`
        Window.remove_widget(app.root)
        printer.stop()


def pump(until: Callable[[], bool] | None = None, timeout: float = 10.0) -> bool:
    """Runs frames until `until()` is true (or for `timeout` seconds when it is None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        EventLoop.idle()
        if until is not None and until():
            return True
        time.sleep(0.005)
    return until is None


def frames(count: int = 3) -> None:
    for _ in range(count):
        EventLoop.idle()


def tap(widget: Widget) -> None:
    """A finger down and up on the middle of `widget`, once the layout is up to date."""
    frames(2)
    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    touch.touch_up()


def screenshot(path: Path) -> Image.Image:
    """Saves what the window shows right now to `path` and returns it as an RGB image."""
    frames(2)
    written = Path(Window.screenshot(name=str(path)))
    written.replace(path)
    return Image.open(path).convert("RGB")


def window_box(widget: Widget, shot: Image.Image) -> tuple[int, int, int, int]:
    """The widget's rectangle in screenshot pixel coordinates (origin top-left)."""
    x0, y0 = widget.to_window(widget.x, widget.y)
    x1, y1 = widget.to_window(widget.right, widget.top)
    height = shot.height
    return int(x0), int(height - y1), int(x1), int(height - y0)


def share_of_colour(
    shot: Image.Image,
    box: tuple[int, int, int, int],
    colour: tuple[int, int, int],
    tolerance: int = 24,
) -> float:
    """Fraction of the pixels in `box` within `tolerance` of `colour`."""
    data = shot.crop(box).tobytes()
    pixels = [data[i : i + 3] for i in range(0, len(data), 3)]
    close = sum(1 for p in pixels if all(abs(p[i] - colour[i]) <= tolerance for i in range(3)))
    return close / max(1, len(pixels))


def shown(widget: Widget) -> bool:
    """Whether `widget` is drawn: it and everything that holds it are not transparent."""
    while widget is not None:
        if widget.opacity <= 0.01:
            return False
        widget = widget.parent if widget.parent is not widget else None
    return True


def walk(widget: Widget) -> Iterator[Widget]:
    yield widget
    for child in widget.children:
        yield from walk(child)


@contextlib.contextmanager
def shown_app(app: T, size: tuple[int, int]) -> Iterator[T]:
    """`app` (made for a window of `size`) started in the test window, stopped after."""
    Window.size = size
    app._run_prepare()  # what App.run() does before entering the event loop
    try:
        frames(3)
        yield app
    finally:
        app.dispatch("on_stop")  # stops the workers and releases kv's cached `app`
        Window.remove_widget(app.root)


@contextlib.contextmanager
def running_counter(config: Config, *, size: tuple[int, int] = (1280, 800)) -> Iterator[CounterApp]:
    """The counter terminal app on `config`, shown in the test window at `size`."""
    with shown_app(CounterApp(config, open_device_data(config)), size) as app:
        yield app


def display_config(folder: Path, kiosk: str = "", *, speech: str = "") -> Config:
    """A hall display in `folder`: its virtual speaker writes to folder/data/announcements
    (`speech`: more [speech] keys), it listens for the counters on a free port of 127.0.0.1."""
    return device_config(
        folder,
        kiosk='[device]\nid = "display-01"\nrole = "display"\n\n'
        f'[speech]\noutput = "virtual"\n{speech}\n'
        f'[office_network]\nport = {free_udp_port()}\nlisten = "127.0.0.1"\n\n' + kiosk,
    )


@contextlib.contextmanager
def running_display(
    config: Config,
    *,
    size: tuple[int, int] = (1920, 1080),
    clock: Callable[[], datetime] = aware_now,
) -> Iterator[DisplayApp]:
    """The hall display app on `config`, shown in the test window at `size`, on `clock`."""
    with shown_app(DisplayApp(config, open_device_data(config, clock)), size) as app:
        yield app


def tickets_today(app):
    return app.tickets.tickets_of_day(app.tickets.office_day_now())


def go_to_fields(app):
    tap(app.root.get_screen("welcome").ids.take_number)
    assert pump(lambda: app.root.current == "fields")
    frames()
    return app.root.get_screen("fields")


def field_button(fields_screen, field_id):
    return next(b for b in fields_screen.ids.grid.children if b.field_id == field_id)
