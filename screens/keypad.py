"""The on-screen keypad of the PIN and number entry screens: digits, extra keys, Delete, OK.

Each key's `key` is what the screen's `press(key)` receives: a digit or letter, "del" or "ok".
The Delete label follows the language of the visit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kivy.app import App
from kivy.metrics import mm
from kivy.uix.gridlayout import GridLayout

from screens.widgets import BigButton

DIGITS = (*"123456789", "del", "0")


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
