"""Widgets shared by the screens: large touch buttons, labels and the status line.

Sizes are in millimetres (kivy.metrics.mm, from the panel's configured dpi) so a touch target
is at least 15 mm on any screen the kiosk is installed on.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import qrcode
from kivy.clock import Clock
from kivy.core.image import Image as CoreImage
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import ColorProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.togglebutton import ToggleButton

MIN_TOUCH_MM = 15


def whole_rows(available: float, row: float, gap: float) -> float:
    """The height of a scrolled list in `available`: whole rows only (at least one), so no row
    is ever shown cut in half and too small to touch; the rest is scrolled to."""
    rows = max(1, int((available + gap) // (row + gap)))
    return rows * row + (rows - 1) * gap


class BigButton(Button):
    """A flat, rounded, high-contrast button at least 15 mm tall."""

    fill = ColorProperty("#0D47A1")
    disabled_fill = ColorProperty("#C9CED6")  # light grey, for light screens
    disabled_ink = ColorProperty("#333A44")  # the text on it: 7:1


class FreshTouchButton(BigButton):
    """A BigButton that only a touch begun after `not_before` presses (common.office_clock
    .touch_seconds, the clock touches are stamped with): a finger already on the glass when its
    screen appeared confirms nothing."""

    not_before = NumericProperty(0)

    def on_touch_down(self, touch) -> bool:
        if touch.time_start < self.not_before and self.collide_point(*touch.pos):
            return True  # taken, and not a press
        return super().on_touch_down(touch)


class IdleQuestion(BoxLayout):
    """ "Are you still there?" with the seconds left, in place of an idle screen's content
    (screens.base.BaseScreen); a touch anywhere on the screen answers it."""

    screen = ObjectProperty(None)


class BigToggle(ToggleButton):
    fill = ColorProperty("#37474F")


class CheckToggle(BigToggle):
    """A BigToggle that also shows a check mark when chosen (state not by colour alone); its
    `text` stays the caption alone."""

    mark_room = NumericProperty(0)  # the width kept left of the text for the mark


class LongPressLabel(Label):
    """A label that fires `on_long_press` after being held for `hold_seconds`.

    The technician's way in: nothing a citizen would trigger by a normal tap.
    """

    hold_seconds = NumericProperty(3.0)
    __events__ = ("on_long_press",)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._hold = None

    def on_touch_down(self, touch) -> bool:
        if self.collide_point(*touch.pos):
            self._hold = Clock.schedule_once(
                lambda _dt: self.dispatch("on_long_press"), self.hold_seconds
            )
            touch.grab(self)
            return True
        return super().on_touch_down(touch)

    def on_touch_up(self, touch) -> bool:
        if touch.grab_current is self:
            touch.ungrab(self)
            if self._hold is not None:
                self._hold.cancel()
                self._hold = None
            return True
        return super().on_touch_up(touch)

    def on_long_press(self) -> None:
        self._hold = None


class QRImage(Image):
    """A crisp QR code of `payload`, drawn without smoothing so a phone can photograph it."""

    payload = StringProperty("")

    def on_payload(self, _instance, payload: str) -> None:
        if not payload:
            self.texture = None
            return
        code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        code.add_data(payload)
        buffer = BytesIO()
        code.make_image().get_image().convert("L").save(buffer, format="png")
        buffer.seek(0)
        texture = CoreImage(buffer, ext="png").texture
        texture.mag_filter = "nearest"
        texture.min_filter = "nearest"
        self.texture = texture


Builder.load_file(str(Path(__file__).with_suffix(".kv")))

__all__ = [
    "MIN_TOUCH_MM",
    "BigButton",
    "BigToggle",
    "CheckToggle",
    "FreshTouchButton",
    "IdleQuestion",
    "LongPressLabel",
    "QRImage",
    "mm",
    "whole_rows",
]
