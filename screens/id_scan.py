"""Scanning the ID card: where the QR code is on each card type, and what went wrong if a read
failed, in plain words. Every step has a way out."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.widget import Widget

from screens.base import BaseScreen


class CardPicture(Widget):
    """A drawn ID card with its QR code where it is printed (`qr_x`, `qr_y`: fractions of the
    card from its lower left corner). Sizes are derived in the kv rule."""

    qr_x = NumericProperty(0.7)
    qr_y = NumericProperty(0.5)
    card_w = NumericProperty(0)
    card_h = NumericProperty(0)
    card_x = NumericProperty(0)
    card_y = NumericProperty(0)


class IdScanScreen(BaseScreen):
    problem = StringProperty("")

    def on_pre_enter(self, *args) -> None:
        self.problem = ""


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
