"""The on-screen keyboard of the setup screen: a touchscreen kiosk has no keyboard.

Letters, digits and what an address, an office code, a date or a device id is written with
(`-` `.` `/` `:`), a space, a switch between small and capital letters, Delete, Cancel and OK.
No diacritics: an office name with them comes with the provisioning QR (kiosk-central writes it
there), so nobody types Vietnamese on it. Nine keys a row keep every key at 15 mm on a 7" panel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, StringProperty

from screens.base import BaseScreen
from screens.widgets import BigButton

CHARACTER_KEYS = (*"abcdefghijklmnopqrstuvwxyz-", *"1234567890", *"./:")
WORD_KEYS = ("shift", "space", "del", "cancel", "ok")
MAX_LENGTH = 200


class KeyButton(BigButton):
    """A key: its text may use nearly all of its width (a word key at 15 mm)."""


class KeyboardScreen(BaseScreen):
    """Edits one text: `start(title, text, done)`; OK hands the text to `done`, Cancel drops it.
    Each key's `key` is what `press` receives: a character or one of WORD_KEYS."""

    title = StringProperty("")
    entry = StringProperty("")
    capitals = BooleanProperty(False)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._done: Callable[[str | None], None] = lambda _text: None
        app = App.get_running_app()
        for key in (*CHARACTER_KEYS, *WORD_KEYS):
            word = key in WORD_KEYS
            button = KeyButton(
                font_size=mm(4) if word else mm(6),
                fill="#1B5E20" if key == "ok" else "#475569" if word else "#334155",
            )
            button.key = key
            button.bind(on_release=lambda b: self.press(b.key))
            self.ids.key_grid.add_widget(button)
        app.bind(language=self._label)
        self.bind(capitals=self._label)
        self._label()

    def start(self, title: str, text: str, done: Callable[[str | None], None]) -> None:
        """`done` gets the text on OK, None on Cancel."""
        self.title, self.entry, self._done, self.capitals = title, text, done, False

    def press(self, key: str) -> None:
        if key == "ok":
            self._done(self.entry.strip())
        elif key == "cancel":
            self._done(None)
        elif key == "del":
            self.entry = self.entry[:-1]
        elif key == "shift":
            self.capitals = not self.capitals
        elif len(self.entry) < MAX_LENGTH:
            character = " " if key == "space" else key
            self.entry += character.upper() if self.capitals else character

    def _label(self, *_args) -> None:
        app = App.get_running_app()
        names = {
            "shift": "abc" if self.capitals else "ABC",
            "space": app.t("Space"),
            "del": app.t("Delete"),
            "cancel": app.t("Cancel"),
            "ok": "OK",
        }
        for button in self.ids.key_grid.children:
            key = button.key
            button.text = names.get(key) or (key.upper() if self.capitals else key)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
