"""Technician PIN entry: an on-screen keypad, digits shown as dots."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen
from screens.keypad import fill_keypad

MAX_PIN_DIGITS = 12


class TechnicianLoginScreen(KioskScreen):
    pin = StringProperty("")
    message = StringProperty("")
    checking = BooleanProperty(False)

    def on_kv_post(self, base_widget) -> None:
        fill_keypad(self.ids.keypad, self.press)

    def on_pre_enter(self, *args) -> None:
        self.pin = ""
        self.message = ""
        self.checking = False

    def press(self, key: str) -> None:
        if self.checking:
            return
        if key == "del":
            self.pin = self.pin[:-1]
        elif key == "ok":
            if self.pin:
                self.checking = True
                App.get_running_app().check_technician_pin(self.pin)
        elif len(self.pin) < MAX_PIN_DIGITS:
            self.pin += key

    def show_refused(self, text: str) -> None:
        self.pin = ""
        self.checking = False
        self.message = text


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
