"""What was read from the card, the ID number masked, for the citizen to confirm."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty

from screens.base import BaseScreen


class IdConfirmScreen(BaseScreen):
    masked_id = StringProperty("")
    full_name = StringProperty("")
    birth = StringProperty("")

    def on_leave(self, *args) -> None:
        super().on_leave(*args)
        # Personal data stays on screen no longer than needed.
        self.masked_id = self.full_name = self.birth = ""


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
