"""Welcome screen: greeting, one large "take a number" button, language switch, status line."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App
from kivy.lang import Builder

from screens.base import BaseScreen

TAKEN = "welcome.taken"  # touch.ud key: a widget of the screen took the touch down


class WelcomeScreen(BaseScreen):
    """The start of every visit. A touch anywhere outside the language buttons takes a number."""

    def on_touch_down(self, touch) -> bool:
        if super().on_touch_down(touch):
            # A language button, the status line or the big button: its own touch, which
            # does not also take a number (a tap on "English" stays on this screen).
            touch.ud[TAKEN] = True
            return True
        return False

    def on_touch_up(self, touch) -> bool:
        if super().on_touch_up(touch):
            return True
        if touch.ud.get(TAKEN):
            return False
        if self.collide_point(*touch.pos) and self.manager.current == self.name:
            App.get_running_app().start_visit()
            return True
        return False


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
