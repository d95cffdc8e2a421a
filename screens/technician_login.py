"""Technician PIN entry: an on-screen keypad, digits shown as dots."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from screens.keypad import KeypadScreen, fill_keypad


class TechnicianLoginScreen(KeypadScreen):
    def on_kv_post(self, base_widget) -> None:
        fill_keypad(self.ids.keypad, self.press)

    def submit(self, entry: str) -> None:
        App.get_running_app().check_technician_pin(entry)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
