"""Manual ticket entry at the counter (the central server unreachable, or a ticket brought by
hand): type the number, prefix letters included."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from screens.keypad import KeypadScreen, fill_keypad


class CounterEntryScreen(KeypadScreen):
    max_length = 8
    keep_entry_when_refused = True

    def on_kv_post(self, base_widget) -> None:
        catalogue = App.get_running_app().settings.catalogue
        prefixes = sorted({f.prefix for f in catalogue.fields if f.prefix})
        fill_keypad(self.ids.keypad, self.press, extra=prefixes)

    def submit(self, entry: str) -> None:
        App.get_running_app().take_typed_ticket(entry)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
