"""Manual ticket entry at the counter (the central server unreachable, or a ticket brought by
hand): type the number, prefix letters included."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty

from screens.base import KioskScreen
from screens.keypad import fill_keypad

MAX_LABEL = 8


class CounterEntryScreen(KioskScreen):
    label = StringProperty("")
    message = StringProperty("")
    checking = BooleanProperty(False)

    def on_kv_post(self, base_widget) -> None:
        catalogue = App.get_running_app().settings.catalogue
        prefixes = sorted({f.prefix for f in catalogue.fields if f.prefix})
        fill_keypad(self.ids.keypad, self.press, extra=prefixes)

    def on_pre_enter(self, *args) -> None:
        self.label = ""
        self.message = ""
        self.checking = False

    def press(self, key: str) -> None:
        if self.checking:
            return
        if key == "del":
            self.label = self.label[:-1]
        elif key == "ok":
            if self.label:
                self.checking = True
                App.get_running_app().take_typed_ticket(self.label)
        elif len(self.label) < MAX_LABEL:
            self.label += key

    def show_refused(self, text: str) -> None:
        self.checking = False
        self.message = text


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
