"""Officer sign-in at the counter: pick your name, then your PIN on the keypad."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import StringProperty
from kivy.uix.gridlayout import GridLayout

from screens.keypad import KeypadScreen, fill_keypad
from screens.widgets import BigButton, whole_rows

# A key that cannot be pressed yet, on the dark keypad screens: dimmer than the keys, its label
# still readable (contrast over 5:1).
KEY_DISABLED_FILL = (0.2, 0.22, 0.26, 1)
KEY_DISABLED_INK = (0.68, 0.71, 0.76, 1)


def dark_keypad(grid: GridLayout) -> None:
    """The disabled look of the keys of `grid` for a dark screen."""
    for key in grid.children:
        key.disabled_fill, key.disabled_ink = KEY_DISABLED_FILL, KEY_DISABLED_INK


OFFICER_ROW_MM = 17  # an officer's name button in the list
OFFICER_GAP_MM = 2


class CounterSignInScreen(KeypadScreen):
    officer_id = StringProperty("")
    officer_name = StringProperty("")
    officer_row_mm = OFFICER_ROW_MM
    officer_gap_mm = OFFICER_GAP_MM

    @staticmethod
    def whole_rows(available: float) -> float:
        """The officer list's height: whole name buttons only, the rest scrolled to."""
        return whole_rows(available, mm(OFFICER_ROW_MM), mm(OFFICER_GAP_MM))

    def on_kv_post(self, base_widget) -> None:
        fill_keypad(self.ids.keypad, self.press)
        dark_keypad(self.ids.keypad)

    def on_pre_enter(self, *args) -> None:
        app = App.get_running_app()
        box = self.ids.officers
        box.clear_widgets()
        for officer in app.settings.officers:
            button = BigButton(text=f"{officer.name}\n{officer.title}", font_size=mm(5))
            button.officer_id = officer.id
            button.bind(on_release=lambda b: self.choose(b.officer_id, b.text.split("\n")[0]))
            box.add_widget(button)
        self.choose("", "")

    def choose(self, officer_id: str, name: str) -> None:
        self.officer_id = officer_id
        self.officer_name = name
        super().on_pre_enter()

    def accepts_keys(self) -> bool:
        return super().accepts_keys() and bool(self.officer_id)

    def submit(self, entry: str) -> None:
        App.get_running_app().sign_in(self.officer_id, entry)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
