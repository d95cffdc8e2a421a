"""Manual ticket entry at the counter (the central server unreachable, or a ticket brought by
hand): type the number, prefix letters included, and mark a priority ticket.

A refused number stays in view beside the reason until the officer types again: a digit (or
letter) starts a new number, Delete corrects the refused one; either clears the reason."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from screens.counter_signin import dark_keypad
from screens.keypad import KeypadScreen, fill_keypad


class CounterEntryScreen(KeypadScreen):
    max_length = 8
    keep_entry_when_refused = True

    def on_kv_post(self, base_widget) -> None:
        catalogue = App.get_running_app().settings.catalogue
        prefixes = sorted({f.prefix for f in catalogue.fields if f.prefix})
        fill_keypad(self.ids.keypad, self.press, extra=prefixes)
        dark_keypad(self.ids.keypad)

    def on_pre_enter(self, *args) -> None:
        super().on_pre_enter(*args)
        self.ids.priority.state = "normal"

    def press(self, key: str) -> None:
        if self.message and key != "ok" and self.accepts_keys():
            self.message = ""
            if key != "del":
                self.entry = ""  # the refused number is not typed on
        super().press(key)

    def submit(self, entry: str) -> None:
        priority = self.ids.priority.state == "down"
        App.get_running_app().take_typed_ticket(entry, priority)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
