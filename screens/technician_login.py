"""Technician PIN entry: an on-screen keypad, digits shown as dots."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen
from screens.widgets import BigButton

MAX_PIN_DIGITS = 12


class TechnicianLoginScreen(KioskScreen):
    pin = StringProperty("")
    message = StringProperty("")
    checking = BooleanProperty(False)

    def on_kv_post(self, base_widget) -> None:
        keys = [*"123456789", "del", "0", "ok"]
        for key in keys:
            button = BigButton(font_size=mm(8), fill="#334155" if key != "ok" else "#1B5E20")
            button.key = key
            button.bind(on_release=lambda b: self.press(b.key))
            self.ids.keypad.add_widget(button)
        App.get_running_app().bind(language=lambda *_: self._label_keys())
        self._label_keys()

    def _label_keys(self) -> None:
        app = App.get_running_app()
        names = {"del": app.t("Delete"), "ok": "OK"}
        for button in self.ids.keypad.children:
            button.text = names.get(button.key, button.key)

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
