"""The touch panel's input as apps.launch gives it to Kivy: through SDL as a mouse (turned with
the picture), or from its event device with its own axes, never both (every touch twice)."""

from __future__ import annotations

from kivy.config import ConfigParser

from apps.launch import configure_input
from kiosk.config.device import TouchConfig


def kivy_input() -> ConfigParser:
    config = ConfigParser()
    config.add_section("input")
    config.set("input", "mouse", "mouse")  # Kivy's default
    return config


def test_touches_come_through_sdl_by_default() -> None:
    config = kivy_input()
    configure_input(config, TouchConfig())
    assert dict(config.items("input")) == {"mouse": "mouse,disable_multitouch"}


def test_a_touch_device_with_its_own_axes_replaces_the_mouse() -> None:
    config = kivy_input()
    configure_input(
        config, TouchConfig("/dev/input/event3", rotation=90, invert_x=True, invert_y=False)
    )
    assert dict(config.items("input")) == {
        "touch": "hidinput,/dev/input/event3,rotation=90,invert_x=1,invert_y=0"
    }
