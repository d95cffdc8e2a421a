"""The on-screen keypad of the PIN and number entry screens: digits, extra keys, Delete, OK.

Each key's `key` is what the screen's `press(key)` receives: a digit or letter, "del" or "ok".
The Delete label follows the language of the visit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kivy.app import App
from kivy.metrics import mm
from kivy.properties import AliasProperty, BooleanProperty, StringProperty
from kivy.uix.gridlayout import GridLayout

from screens.base import BaseScreen
from screens.widgets import BigButton

DIGITS = (*"123456789", "del", "0")
# What a typed PIN shows, one per digit: U+2022 BULLET is in the bundled font (config/fonts);
# U+25CF BLACK CIRCLE is not, and drew a missing-glyph box.
MASK = "\u2022"


def fill_keypad(grid: GridLayout, press: Callable[[str], None], extra: Iterable[str] = ()) -> None:
    """Puts the keys into `grid` (3 columns): 1–9, Delete, 0, then `extra`, then OK."""
    app = App.get_running_app()
    for key in (*DIGITS, *extra, "ok"):
        button = BigButton(font_size=mm(7), fill="#1B5E20" if key == "ok" else "#334155")
        button.key = key
        button.bind(on_release=lambda b: press(b.key))
        grid.add_widget(button)

    def label(*_args) -> None:
        names = {"del": app.t("Delete"), "ok": "OK"}
        for button in grid.children:
            button.text = names.get(button.key, button.key)

    app.bind(language=label)
    label()


class KeypadScreen(BaseScreen):
    """A screen where something is typed on the keypad and submitted with OK.

    Subclasses fill their grid (`fill_keypad(self.ids.keypad, self.press)`) and define
    `submit(entry)`, which hands the entry to the app; the app answers with `show_refused`.
    """

    entry = StringProperty("")
    message = StringProperty("")
    checking = BooleanProperty(False)
    max_length = 12
    keep_entry_when_refused = False  # a typed ticket number is corrected, a PIN typed again

    def _masked(self) -> str:
        return MASK * len(self.entry)

    masked = AliasProperty(_masked, bind=("entry",), cache=True)  # the entry as the screen shows it

    def on_pre_enter(self, *args) -> None:
        self.entry = ""
        self.message = ""
        self.checking = False

    def accepts_keys(self) -> bool:
        return not self.checking

    def press(self, key: str) -> None:
        if not self.accepts_keys():
            return
        if key == "del":
            self.entry = self.entry[:-1]
        elif key == "ok":
            if self.entry:
                self.checking = True
                self.submit(self.entry)
        elif len(self.entry) < self.max_length:
            self.entry += key

    def show_refused(self, text: str) -> None:
        if not self.keep_entry_when_refused:
            self.entry = ""
        self.checking = False
        self.message = text
