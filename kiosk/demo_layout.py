"""Where the demo opens its three windows so that none hides another: the lobby at the top-left
corner, counter 1 to its right, the hall display under the counter, scaled (16:9) to the room
left on the screen. The screen's size is asked of the X server when there is one (libX11
through ctypes: no extra package), else a 1920×1080 screen is assumed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass

GAP = 16  # pixels between windows
TITLE_BAR = 40  # room for the window manager's title bar above a window
COUNTER_SIZE = (800, 480)
DISPLAY_WIDTHS = (800, 640)  # the hall display's width in the demo: at most, at least
ASSUMED_SCREEN = (1920, 1080)


@dataclass(frozen=True)
class Placement:
    left: int
    top: int
    width: int
    height: int


@dataclass(frozen=True)
class DemoLayout:
    lobby: Placement
    counter: Placement
    display: Placement
    screen: tuple[int, int]
    fits: bool  # False: the screen is too small; some window reaches past its edge


def screen_size() -> tuple[int, int] | None:
    """The X screen's size in pixels, None without an X display."""
    if not os.environ.get("DISPLAY"):
        return None
    name = ctypes.util.find_library("X11")
    if name is None:
        return None
    try:
        xlib = ctypes.CDLL(name)
    except OSError:
        return None
    xlib.XOpenDisplay.restype = ctypes.c_void_p
    xlib.XOpenDisplay.argtypes = [ctypes.c_char_p]
    xlib.XDefaultScreen.argtypes = [ctypes.c_void_p]
    xlib.XDisplayWidth.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xlib.XDisplayHeight.argtypes = [ctypes.c_void_p, ctypes.c_int]
    xlib.XCloseDisplay.argtypes = [ctypes.c_void_p]
    display = xlib.XOpenDisplay(None)
    if not display:
        return None
    try:
        screen = xlib.XDefaultScreen(display)
        return xlib.XDisplayWidth(display, screen), xlib.XDisplayHeight(display, screen)
    finally:
        xlib.XCloseDisplay(display)


def arrange(lobby_size: tuple[int, int], screen: tuple[int, int] | None) -> DemoLayout:
    """The three windows for a lobby of `lobby_size` on `screen` (None: assumed 1920×1080)."""
    screen_w, screen_h = screen or ASSUMED_SCREEN
    lobby = Placement(0, 0, *lobby_size)
    right = lobby.width + GAP
    counter = Placement(right, 0, *COUNTER_SIZE)
    top = counter.height + TITLE_BAR + GAP
    room_w, room_h = screen_w - right, screen_h - top - TITLE_BAR
    width = min(DISPLAY_WIDTHS[0], room_w, room_h * 16 // 9)
    width = max(DISPLAY_WIDTHS[1], width - width % 16)
    display = Placement(right, top, width, width * 9 // 16)
    fits = (
        counter.left + counter.width <= screen_w
        and display.left + display.width <= screen_w
        and display.top + display.height <= screen_h
        and lobby.height <= screen_h
    )
    return DemoLayout(lobby, counter, display, (screen_w, screen_h), fits)
