"""What was read from the card, the ID number masked, for the citizen to confirm, or to refuse
and fill in the forms themself. A card whose fields disagree says so plainly."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from common.office_clock import touch_seconds
from screens.base import BaseScreen
from screens.widgets import FreshTouchButton  # noqa: F401 (the kv rule's Correct button)


class IdConfirmScreen(BaseScreen):
    masked_id = StringProperty("")
    full_name = StringProperty("")
    birth = StringProperty("")
    mismatch = BooleanProperty(False)  # the ID number disagrees with the sex or birth fields
    # When the screen appeared (touch_seconds, the clock touches are stamped with): only a
    # touch begun later confirms.
    shown_at = NumericProperty(0)

    def on_pre_enter(self, *args) -> None:
        self.shown_at = touch_seconds() + 3600  # nothing confirms until the screen is shown

    def on_enter(self, *args) -> None:
        self.shown_at = touch_seconds()
        super().on_enter(*args)

    def on_leave(self, *args) -> None:
        super().on_leave(*args)
        self.forget()

    def _warn(self, dt: float) -> None:
        """The card's data leaves the screen before the question is asked, for good: whoever
        answers it may be someone else, and scans their own card again."""
        self.forget()
        super()._warn(dt)

    def still_here(self) -> None:
        App.get_running_app().id_rescan()

    def forget(self) -> None:
        """Personal data stays on screen no longer than needed."""
        self.masked_id = self.full_name = self.birth = ""
        self.mismatch = False


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
