"""The setup screen of a device never provisioned: scan the provisioning QR, or fill in the
form (each setting a row: tap it to type it on the on-screen keyboard or to take the next
choice) and save. The app (apps.setup) holds the settings and does the work off the UI thread.
"""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.metrics import mm
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from screens.base import BaseScreen
from screens.widgets import BigButton, whole_rows

ROW_MM = 16
ROW_GAP_MM = 2


class SetupScreen(BaseScreen):
    warning = StringProperty("")  # the shipped secrets still in place, loud
    message = StringProperty("")
    busy = BooleanProperty(False)  # saving or enrolling: the form waits
    row_gap = NumericProperty(0)

    def __init__(self, **kwargs) -> None:
        self.row_gap = mm(ROW_GAP_MM)
        super().__init__(**kwargs)
        self._buttons: dict[str, BigButton] = {}

    def show_rows(self, rows: list[tuple[str, str, bool]]) -> None:
        """(key, text, enabled) of each setting, in order; tapping one asks the app to edit it."""
        grid = self.ids.rows
        if list(self._buttons) != [key for key, _text, _enabled in rows]:
            grid.clear_widgets()
            self._buttons.clear()
            app = App.get_running_app()
            for key, _text, _enabled in rows:
                button = BigButton(
                    font_size=mm(4.5),
                    fill="#334155",
                    halign="left",
                    size_hint_y=None,
                    height=mm(ROW_MM),
                )
                button.bind(on_release=lambda _b, k=key: app.edit(k))
                grid.add_widget(button)
                self._buttons[key] = button
        for key, text, enabled in rows:
            self._buttons[key].text = text
            self._buttons[key].disabled = not enabled

    def row(self, key: str) -> BigButton:
        return self._buttons[key]

    @staticmethod
    def whole_rows(available: float) -> float:
        """Whole rows of the form only: none is shown cut in half (the rest is scrolled to)."""
        return whole_rows(available, mm(ROW_MM), mm(ROW_GAP_MM))


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
